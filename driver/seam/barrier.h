// Memory ordering between the CPU and the device, explicit at every call site that needs it.
//
// On x86-64 (TSO), stores are not reordered with other stores and MMIO is uncached, so making descriptor
// writes visible before a tail write needs only a compiler barrier; elsewhere a real fence is emitted.
// These are the only two orderings the driver needs.
#pragma once

#include <atomic>
#include <cstdint>

namespace nic {

// Descriptor/packet stores must be visible to the device before the following MMIO (tail) write.
inline void wmb_before_doorbell() {
#if defined(__x86_64__)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_release);
#endif
}

// After seeing a device-written DD bit, the rest of the descriptor and the packet must be read after it.
inline void rmb_after_dd() {
#if defined(__x86_64__)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
}

// Reads the descriptor word that holds DD, as an acquire load: a plain load on x86-64 (the same instruction
// as the volatile read it replaces), and what makes the device's DD write-back (a release store in the
// simulator) order everything the device wrote before it, for the C++ memory model and ThreadSanitizer too.
inline uint32_t dd_load(const volatile uint32_t& word) { return __atomic_load_n(&word, __ATOMIC_ACQUIRE); }

}  // namespace nic
