#include "driver/e1000/common.h"

#include "driver/seam/error.h"

namespace nic::e1000 {
namespace {

constexpr uint32_t kMdicTimeoutUs = 10'000;

uint32_t mdic_transaction(Mmio& mmio, uint32_t command) {
  mmio.write(MDIC, command);
  if (!mmio.poll(MDIC, 0, mdic::kReady.mask(), mdic::kReady.mask(), kMdicTimeoutUs, 10))
    throw Error(mmio.backend().name() + ": PHY access timed out (MDIC.R never set)");
  const uint32_t v = mmio.read(MDIC);
  if (v & mdic::kError.mask()) throw Error(mmio.backend().name() + ": PHY access failed (MDIC.E)");
  return v;
}

}  // namespace

uint16_t phy_read(Mmio& mmio, uint32_t reg) {
  return static_cast<uint16_t>(mdic::kData.get(mdic_transaction(
      mmio, mdic::kRegAddr.make(reg) | mdic::kPhyAddr.make(mdic::kInternalPhy) | mdic::kOp.make(mdic::kOpRead))));
}

void phy_write(Mmio& mmio, uint32_t reg, uint16_t value) {
  mdic_transaction(mmio, mdic::kData.make(value) | mdic::kRegAddr.make(reg) |
                             mdic::kPhyAddr.make(mdic::kInternalPhy) | mdic::kOp.make(mdic::kOpWrite));
}

void setup_link(Mmio& mmio, bool loopback) {
  uint32_t c = mmio.read(CTRL) | ctrl::kSetLinkUp.mask();
  c &= ~(ctrl::kForceSpeed.mask() | ctrl::kForceDuplex.mask() | ctrl::kPhyReset.mask() | ctrl::kGioMasterDisable.mask());
  if (loopback)
    c = ctrl::kSpeed.set(c, ctrl::kSpeed1000) | ctrl::kForceSpeed.mask() | ctrl::kForceDuplex.mask() |
        ctrl::kFullDuplex.mask();
  mmio.write(CTRL, c);
  const uint16_t bmcr = phy_read(mmio, phy::kControl);
  phy_write(mmio, phy::kControl, bmcr | phy::kControlAnEnable | phy::kControlRestartAn);
}

void set_promiscuous(Mmio& mmio, bool on) {
  const uint32_t bits = rctl::kUnicastPromisc.mask() | rctl::kMulticastPromisc.mask();
  if (on) mmio.set_bits(RCTL, bits);
  else mmio.clear_bits(RCTL, bits);
}

LinkStatus link_from_status(uint32_t s) {
  if (s == 0xFFFFFFFFu || !(s & status::kLinkUp.mask())) return {};
  static constexpr uint32_t kMbps[] = {10, 100, 1000, 1000};
  return {true, kMbps[status::kSpeed.get(s)]};
}

void read_counters(Mmio& mmio, DeviceStats& s) {
  s.rx_packets += mmio.read(GPRC);
  s.tx_packets += mmio.read(GPTC);
  const uint64_t rx_lo = mmio.read(GORCL);
  s.rx_bytes += rx_lo | static_cast<uint64_t>(mmio.read(GORCH)) << 32;
  const uint64_t tx_lo = mmio.read(GOTCL);
  s.tx_bytes += tx_lo | static_cast<uint64_t>(mmio.read(GOTCH)) << 32;
  s.rx_missed += mmio.read(MPC);
  s.rx_crc_errors += mmio.read(CRCERRS);
}

}  // namespace nic::e1000
