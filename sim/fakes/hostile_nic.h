// HostileNic: the device as an adversary (the simulator's hostile mode, for fuzzing). What it does comes
// from bytes the fuzzer controls, within what a PCIe device can really do:
//   register reads: all-ones (surprise removal), arbitrary values, values that change between two reads,
//     reset/enable/link bits that never settle;
//   DMA into the rings the driver programmed: rx write-backs with any status and length (DD on slots never
//     handed over, length 0 or beyond the buffer, no EOP), tx write-backs with DD anywhere, raw garbage
//     over whole descriptors.
// A driver must survive all of it: clear errors, no out-of-bounds access, no buffer handed out twice or
// lost. Built on NullNic, so with a benign byte stream it behaves like a working 82599.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "sim/fakes/null_nic.h"

namespace sim {

class HostileNic final : public NullNic {
 public:
  // `next_byte` yields the adversary's choices (0 when it has nothing more to say: benign).
  explicit HostileNic(std::function<uint8_t()> next_byte) : NullNic("hostile"), next_(std::move(next_byte)) {}

  uint32_t read32(uint32_t off) override {
    const uint8_t c = next_();
    if (c < 200) return NullNic::read32(off);
    if (c < 225) return 0xFFFFFFFFu;  // gone from the bus
    return word();                     // anything at all
  }

  uint32_t rx_ring_size() const { return reg(nic::ixgbe::RDLEN.at(0)) / 16; }
  uint32_t tx_ring_size() const { return reg(nic::ixgbe::TDLEN.at(0)) / 16; }

  // An rx write-back on any slot of queue 0's ring.
  void rx_writeback(uint32_t slot, uint32_t status, uint16_t length) {
    if (auto* d = rx_desc(slot)) {
      d->wb.length = length;
      d->wb.status_error = status;
    }
  }
  // Raw bytes over a whole rx descriptor (pkt_addr included).
  void rx_scribble(uint32_t slot, uint64_t lo, uint64_t hi) {
    if (auto* d = rx_desc(slot)) d->read = {lo, hi};
  }
  // A tx write-back (DD or anything else) on any slot of queue 0's ring.
  void tx_writeback(uint32_t slot, uint32_t status) {
    const uint32_t n = tx_ring_size();
    if (n == 0) return;
    auto* ring =
        static_cast<nic::AdvTxDesc*>(ring_addr(nic::ixgbe::TDBAL.at(0), nic::ixgbe::TDBAH.at(0), nic::ixgbe::TDLEN.at(0)));
    if (ring) ring[slot % n].wb.status = status;
  }

 private:
  nic::AdvRxDesc* rx_desc(uint32_t slot) {
    const uint32_t n = rx_ring_size();
    if (n == 0) return nullptr;
    auto* ring =
        static_cast<nic::AdvRxDesc*>(ring_addr(nic::ixgbe::RDBAL.at(0), nic::ixgbe::RDBAH.at(0), nic::ixgbe::RDLEN.at(0)));
    return ring ? &ring[slot % n] : nullptr;
  }
  uint32_t word() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | next_();
    return v;
  }
  std::function<uint8_t()> next_;
};

}  // namespace sim
