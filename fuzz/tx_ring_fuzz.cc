// Fuzz target: the tx path with fuzzed packet sizes, batch sizes and completion patterns (a device that
// completes in bursts, late, or partially). Invariants: a batch takes a prefix and empties exactly those
// handles; invalid sizes are dropped and counted; the ring never holds more than size-1 descriptors; once
// the device has completed everything, one reclaim returns every buffer. Every input runs against each
// descriptor format: advanced (82599/82576) and legacy (82574).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "driver/ring/ring.h"
#include "driver/ixgbe/regs.h"
#include "fuzz/fuzz_input.h"
#include "sim/fakes/null_nic.h"

namespace {

// NullNic::complete_tx() reads RS and writes DD through the advanced layout; the legacy descriptor has both
// at the same offsets and bits, so the same null device completes either ring.
static_assert(offsetof(nic::LegacyTxDesc, cmd_len) == offsetof(nic::AdvTxDesc, read.cmd_type_len) &&
              offsetof(nic::LegacyTxDesc, status) == offsetof(nic::AdvTxDesc, wb.status) &&
              nic::ltxd::kCmdRs == nic::txd::kCmdRs && nic::ltxd::kStatusDD == nic::txd::kStatusDD);

template <class Ring>
void run(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  sim::NullNic nic("null");
  const uint32_t ring_size = 8u << in.u8(0, 4);
  nic::Mempool pool(nic, 16 + in.u8(0, 255));
  {
    Ring ring(nic, ring_size, nic::ixgbe::TDT.at(0));
    // Tell the null device where the ring is (what the family code does at init).
    nic.write32(nic::ixgbe::TDBAL.at(0), static_cast<uint32_t>(ring.ring_iova()));
    nic.write32(nic::ixgbe::TDBAH.at(0), static_cast<uint32_t>(ring.ring_iova() >> 32));
    nic.write32(nic::ixgbe::TDLEN.at(0), ring.ring_bytes());
    while (!in.empty()) {
      if (in.u8() & 1) {
        nic.complete_tx();
        continue;
      }
      std::vector<nic::Packet> batch(in.u8(0, 80));
      for (auto& p : batch) p = nic::Packet::alloc(pool, in.u16() % 2100);
      for (auto& p : batch)  // sizes beyond the buffer are an app bug the ring must catch
        if (p && p.size() > pool.data_capacity()) p.set_size(pool.data_capacity() + 1 + (p.size() & 7));
      // Allocation can fail mid-batch: send only the allocated prefix.
      size_t k = 0;
      while (k < batch.size() && batch[k]) ++k;
      const size_t took = ring.tx_batch(std::span(batch.data(), k));
      if (took > k) __builtin_trap();
      for (size_t i = 0; i < took; ++i)
        if (batch[i]) __builtin_trap();
      for (size_t i = took; i < k; ++i)
        if (!batch[i]) __builtin_trap();
      if (ring.in_flight() > ring_size - 1) __builtin_trap();
    }
    nic.complete_tx();
    ring.reclaim();
    if (ring.in_flight() != 0 || pool.in_use() != 0) __builtin_trap();
  }
  if (pool.in_use() != 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nic::set_log_level(nic::LogLevel::kSilent);
  run<nic::TxRing>(data, size);
  run<nic::LegacyTxRing>(data, size);
  return 0;
}
