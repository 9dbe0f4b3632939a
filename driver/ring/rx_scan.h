// The receive hot path's descriptor scan: how many of the next descriptors hold a whole good frame, and their
// lengths, read once each. Three implementations give the same answer on the same memory (tests/rx_scan_test.cc
// and fuzz/rx_ring_fuzz.cc compare them): a portable scalar loop, a 4-wide SSE2 one (SSE2 is part of x86-64,
// so it needs no check) and an 8-wide AVX2 one, chosen at run time from what the CPU has.
//
// "Good" is the ring's fast path: (status & mask) == value, i.e. DD and EOP set and no frame error bit, and
// 1 <= length <= cap. The scan stops at the first descriptor that is not good; the ring looks at that one on its
// own (not done yet, or a frame to drop). Both rx formats keep STATUS/ERRORS in bytes 8..11 of the 16-byte
// write-back and the length in bytes 12..13 (static_asserts in descriptors.h), so the scan reads bytes 8..15
// of each descriptor as one 8-byte load: status and length come from the same snapshot of the device's write,
// as the ring's rule is (never check one read and use another). Loads of different descriptors may happen in
// any order: only a prefix of descriptors each good in its own snapshot is returned.
//
// ThreadSanitizer cannot see a vector load as the acquire that the device's DD write-back pairs with (the
// simulator's device thread), so sanitized-for-threads builds use the scalar scan only.
#pragma once

#include <cstdint>

#include "driver/seam/barrier.h"

namespace nic::rxscan {

enum class Kind { kScalar, kSse2, kAvx2 };

struct Want {
  uint32_t mask;   // status bits looked at: DD, EOP and the format's frame errors
  uint32_t value;  // ... and what they must be: DD | EOP
  uint32_t cap;    // longest length accepted
};

// ring: the first descriptor to look at (16-byte descriptors, bytes 8..15 as above); n: how many may be looked
// at (the caller keeps them within the ring: no wrap); lens: room for n + 7 lengths (the vector paths store
// whole groups). Returns how many leading descriptors are good, with their lengths in lens[0, result).
using ScanFn = uint32_t (*)(const volatile void* ring, uint32_t n, Want want, uint32_t* lens);

inline uint32_t scan_scalar(const volatile void* ring, uint32_t n, Want want, uint32_t* lens) {
  const volatile uint8_t* d = static_cast<const volatile uint8_t*>(ring);
  uint32_t k = 0;
  for (; k < n; ++k, d += 16) {
    // The status word as the rings read it (an acquire load: dd_load), then the length after it.
    const uint32_t status = dd_load(*reinterpret_cast<const volatile uint32_t*>(d + 8));
    if ((status & want.mask) != want.value) break;
    rmb_after_dd();
    const uint32_t len = *reinterpret_cast<const volatile uint16_t*>(d + 12);
    if (len - 1 >= want.cap) break;
    lens[k] = len;
  }
  return k;
}
uint32_t scan_sse2(const volatile void* ring, uint32_t n, Want want, uint32_t* lens);
uint32_t scan_avx2(const volatile void* ring, uint32_t n, Want want, uint32_t* lens);

// Whether this CPU (and this build) can run `kind`.
bool available(Kind kind);
ScanFn function(Kind kind);  // kind must be available()
const char* name(Kind kind);

// The kind new rings use: the environment variable NIC_RX_SCAN (scalar, sse2 or avx2) if set and available,
// else the widest available. Read once.
Kind preferred();

}  // namespace nic::rxscan
