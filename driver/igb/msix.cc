// 82576 MSI-X receive interrupts: rx queue q -> MSI-X vector q. What differs from the 82599: the
// interrupt registers' offsets (GPIE 0x1514, EIMS 0x1524, EITR 0x1680 + 4n), the IVAR layout (one register
// per queue pair q, q + 8; rx queue q in byte 0 of IVAR0[q]), and EITR's 1 us units in bits 14:2.
#include <string>

#include "driver/seam/error.h"
#include "driver/igb/igb.h"
#include "driver/igb/regs.h"

namespace nic::igb {

IrqRegs IgbDevice::setup_msix(const InterruptConfig& config) {
  const uint32_t n = rx_queues();
  if (!eitr::kInterval.fits(config.interval_us))
    throw Error("igb: interrupt moderation interval " + std::to_string(config.interval_us) +
                " us exceeds the 82576's maximum (8191 us)");
  const uint32_t mask = (1u << n) - 1;

  mmio_.write(EIMC, mask);  // masked while the mapping changes; wait_rx unmasks one vector at a time
  mmio_.set_bits(GPIE, gpie::kMsixMode.mask() | gpie::kPbaSupport.mask() | gpie::kEiame.mask());
  for (uint32_t q = 0; q < n; ++q) {
    const uint32_t entry = ivar::kValid.mask() | ivar::kVector.make(q);
    uint32_t v = mmio_.read(IVAR0, ivar::rx_index(q));
    v = (v & ~(0xFFu << ivar::rx_shift(q))) | entry << ivar::rx_shift(q);
    mmio_.write(IVAR0, ivar::rx_index(q), v);
    mmio_.write(EITR, q, eitr::kInterval.make(config.interval_us) | eitr::kCounterIgnore.mask());
  }
  mmio_.set_bits(EIAC, mask);  // the message clears the vector's EICR bit
  mmio_.set_bits(EIAM, mask);  // ... and masks it (GPIE.EIAME)
  mmio_.write(EICR, mask);     // stale causes from before (write 1 to clear)
  return IrqRegs{EICR.at(), EIMS.at(), EIMC.at()};
}

}  // namespace nic::igb
