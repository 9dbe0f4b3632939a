// 82599 MSI-X receive interrupts (§7.3, registers §8.2.3.5): rx queue q -> MSI-X vector q.
#include <string>

#include "driver/seam/error.h"
#include "driver/ixgbe/ixgbe.h"
#include "driver/ixgbe/regs.h"

namespace nic::ixgbe {

// Vectors 0..15: their causes are EICR bits 0..15 (RTxQ) in MSI-X mode, and EIMS/EIMC/EIAC/EIAM reach
// them in the low registers (vectors 16+ need the *_EX registers, which this driver does not use).
constexpr uint32_t kMaxIrqVectors = 16;

IrqRegs IxgbeDevice::setup_msix(const InterruptConfig& config) {
  const uint32_t n = rx_queues();
  if (n > kMaxIrqVectors)
    throw Error("ixgbe: interrupts support up to " + std::to_string(kMaxIrqVectors) + " rx queues (got " +
                std::to_string(n) + ")");
  // EITR.ITR_INTERVAL counts 2.048 us; round to the nearest unit, but never to 0 for a non-zero interval.
  const uint64_t units = (static_cast<uint64_t>(config.interval_us) * 1000 + eitr::kUnitNs / 2) / eitr::kUnitNs;
  if (units > eitr::kInterval.mask() >> eitr::kInterval.shift)
    throw Error("ixgbe: interrupt moderation interval " + std::to_string(config.interval_us) +
                " us exceeds the 82599's maximum (1046 us)");
  const uint32_t interval = config.interval_us != 0 && units == 0 ? 1 : static_cast<uint32_t>(units);
  const uint32_t mask = (1u << n) - 1;

  // Everything masked while the mapping changes (the vectors stay masked: wait_rx unmasks one at a time).
  mmio_.write(EIMC, mask);
  // MSI-X mode, pending bits in the PBA, auto-mask on the message for the vectors named in EIAM.
  mmio_.set_bits(GPIE, gpie::kMsixMode.mask() | gpie::kPbaSupport.mask() | gpie::kEiame.mask());
  for (uint32_t q = 0; q < n; ++q) {
    const uint32_t entry = ivar::kAllocValid.mask() | ivar::kAlloc.make(q);
    uint32_t v = mmio_.read(IVAR, q / 2);
    v = (v & ~(0xFFu << ivar::rx_shift(q))) | entry << ivar::rx_shift(q);
    mmio_.write(IVAR, q / 2, v);
    mmio_.write(EITR, q, eitr::kInterval.make(interval));
  }
  mmio_.set_bits(EIAC, mask);  // the message clears the vector's EICR bit
  mmio_.set_bits(EIAM, mask);  // ... and masks it (GPIE.EIAME)
  (void)mmio_.read(EICR);      // stale causes from before (clear on read)
  return IrqRegs{EICR.at(), EIMS.at(), EIMC.at()};
}

}  // namespace nic::ixgbe
