// igb (82576) family against a small fake register file with the 82576's behaviours the driver relies on:
// self-clearing reset, EEPROM auto-read, MDIC PHY access, link status. Packet flow through a real 82576
// model is tested in QEMU (tests/qemu); here: the init contract, PHY access, errors, counters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <vector>

#include "driver/device.h"
#include "driver/igb/igb.h"
#include "driver/igb/regs.h"
#include "driver/log.h"

namespace {

using namespace nic::igb;

class Fake82576 : public nic::Backend {
 public:
  std::map<uint32_t, uint32_t> regs;
  std::map<uint32_t, uint16_t> phy{{phy::kControl, 0x1140}, {phy::kStatus, 0x796D}};
  std::vector<std::pair<uint32_t, uint32_t>> writes;
  bool mdic_error = false, mdic_stuck = false, link_up = true, eeprom = true;
  size_t live_dma = 0;

  uint32_t read32(uint32_t off) override {
    if (off == CTRL.at()) return regs[off] & ~ctrl::kReset.mask();  // reset completes at once
    if (off == EECD.at()) return eeprom ? eecd::kPresent.mask() | eecd::kAutoReadDone.mask() : 0;
    if (off == STATUS.at())
      return link_up ? status::kLinkUp.mask() | status::kFullDuplex.mask() | status::kSpeed.make(2) : 0;
    if (off == MDIC.at()) return mdic_stuck ? regs[off] & ~mdic::kReady.mask() : regs[off];
    if (off == RAL.at(0)) return 0x4d495302;  // 02:53:49:4d
    if (off == RAH.at(0)) return 0x80000100;  // :00:01, AV
    const uint32_t v = regs[off];
    if (off == GPRC.at() || off == GPTC.at() || off == MPC.at() || off == RQDPC.at(0)) regs[off] = 0;  // clear on read
    return v;
  }
  void write32(uint32_t off, uint32_t v) override {
    writes.emplace_back(off, v);
    if (off == MDIC.at()) {
      const uint32_t reg = mdic::kRegAddr.get(v);
      uint32_t result = v | mdic::kReady.mask();
      if (mdic_error || mdic::kPhyAddr.get(v) != mdic::kInternalPhy) result |= mdic::kError.mask();
      else if (mdic::kOp.get(v) == mdic::kOpWrite) phy[reg] = static_cast<uint16_t>(mdic::kData.get(v));
      else result = mdic::kData.set(result, phy[reg]);
      regs[off] = result;
      return;
    }
    regs[off] = v;
  }
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override {
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    ++live_dma;
    return {p, reinterpret_cast<uint64_t>(p), size};
  }
  void dma_free(const nic::DmaRegion& r) override {
    std::free(r.virt);
    --live_dma;
  }
  uint32_t config_read(uint32_t off, int) override {
    if (off == nic::pci::kVendorId) return 0x8086;
    if (off == nic::pci::kDeviceId) return 0x10C9;
    if (off == nic::pci::kClassRev) return 0x02000001;
    return 0;
  }
  void config_write(uint32_t, uint32_t, int) override {}
  nic::PciId identity() override { return {0x8086, 0x10C9, 0x020000}; }
  void delay_us(uint32_t us) override { now_ += us * 1000ull; }
  uint64_t now_ns() override { return now_; }
  std::string name() const override { return "fake-82576"; }

  // Index of the first write of `value` (masked) to `off` at or after `from`; -1 when none.
  long find(uint32_t off, uint32_t mask, uint32_t value, long from = 0) const {
    for (size_t i = static_cast<size_t>(from); i < writes.size(); ++i)
      if (writes[i].first == off && (writes[i].second & mask) == value) return static_cast<long>(i);
    return -1;
  }

 private:
  uint64_t now_ = 0;
};

class Igb : public ::testing::Test {
 protected:
  Igb() { nic::set_log_level(nic::LogLevel::kError); }
  Fake82576 fake;
  nic::DeviceConfig cfg;
};

TEST_F(Igb, OpenDevicePicksIgbFor82576) {
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(dev->driver_name(), "igb");
  EXPECT_EQ(dev->mac(), (nic::MacAddr{0x02, 0x53, 0x49, 0x4d, 0x00, 0x01}));
  EXPECT_EQ(dev->link().speed_mbps, 1000u);
}

TEST_F(Igb, InitFollowsTheContract) {
  auto dev = nic::open_device(fake, cfg);
  const long reset = fake.find(CTRL.at(), ctrl::kReset.mask(), ctrl::kReset.mask());
  ASSERT_GE(reset, 0);
  EXPECT_LT(fake.find(IMC.at(), ~0u, ~0u), reset) << "interrupts masked before the reset";
  EXPECT_GT(fake.find(IMC.at(), ~0u, ~0u, reset), reset) << "and again after it";
  const long slu = fake.find(CTRL.at(), ctrl::kSetLinkUp.mask(), ctrl::kSetLinkUp.mask(), reset);
  EXPECT_GT(slu, reset);
  // Auto-negotiation restarted in the PHY through MDIC.
  EXPECT_EQ(fake.phy[phy::kControl] & (phy::kControlAnEnable | phy::kControlRestartAn),
            phy::kControlAnEnable | phy::kControlRestartAn);
  // Queue 0: base, length, then SRRCTL (advanced one-buffer, 2 KB, drop when no descriptor), enable, tail.
  const long base = fake.find(RDBAL.at(0), 0, 0, reset);
  const long srrctl = fake.find(SRRCTL.at(0), ~0u,
                                srrctl::kBsizePacket.make(2) | srrctl::kDescType.make(1) | srrctl::kDropEnable.mask());
  const long enable = fake.find(RXDCTL.at(0), xdctl::kEnable.mask(), xdctl::kEnable.mask());
  const long tail = fake.find(RDT.at(0), ~0u, cfg.rx_ring_size - 1);
  EXPECT_EQ(fake.regs[RDLEN.at(0)], cfg.rx_ring_size * 16);
  ASSERT_TRUE(base >= 0 && srrctl > base && enable > srrctl && tail > enable);
  EXPECT_GE(fake.find(TXDCTL.at(0), xdctl::kEnable.mask(), xdctl::kEnable.mask()), 0);
  EXPECT_EQ(fake.regs[TCTL.at()] & (tctl::kEnable.mask() | tctl::kPadShortPackets.mask()),
            tctl::kEnable.mask() | tctl::kPadShortPackets.mask());
  // Receive enabled last, with CRC strip, broadcast and promiscuous, no loopback.
  const long rx_on = fake.find(RCTL.at(), rctl::kEnable.mask(), rctl::kEnable.mask());
  EXPECT_GT(rx_on, tail);
  const uint32_t rctl = fake.regs[RCTL.at()];
  EXPECT_TRUE(rctl & rctl::kStripCrc.mask());
  EXPECT_TRUE(rctl & rctl::kBroadcastAccept.mask());
  EXPECT_TRUE(rctl & rctl::kUnicastPromisc.mask());
  EXPECT_EQ(rctl::kLoopbackMode.get(rctl), 0u);
}

TEST_F(Igb, LoopbackSetsMacLoopbackAndForcesGigabit) {
  cfg.loopback = true;
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(rctl::kLoopbackMode.get(fake.regs[RCTL.at()]), rctl::kLoopbackMac);
  const uint32_t c = fake.regs[CTRL.at()];
  EXPECT_EQ(ctrl::kSpeed.get(c), ctrl::kSpeed1000);
  EXPECT_TRUE((c & ctrl::kForceSpeed.mask()) && (c & ctrl::kForceDuplex.mask()) && (c & ctrl::kSetLinkUp.mask()));
}

TEST_F(Igb, PhyErrorsAreClear) {
  fake.mdic_error = true;
  try {
    nic::open_device(fake, cfg);
    FAIL();
  } catch (const nic::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("MDIC.E"));
  }
  fake.mdic_error = false;
  fake.mdic_stuck = true;
  try {
    nic::open_device(fake, cfg);
    FAIL();
  } catch (const nic::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("timed out"));
  }
  EXPECT_EQ(fake.live_dma, 0u) << "a failed init leaves no DMA memory behind";
}

TEST_F(Igb, NoEepromIsNotFatal) {  // QEMU's igb never sets EECD.AUTO_RD; Linux igb carries on too
  fake.eeprom = false;
  auto dev = nic::open_device(fake, cfg);
  EXPECT_TRUE(dev->link().up);
  EXPECT_GE(fake.now_ns(), 10'000'000u) << "waited the bounded 10 ms";
}

TEST_F(Igb, LinkDownTimesOut) {
  fake.link_up = false;
  cfg.link_timeout_ms = 300;
  auto dev = nic::open_device(fake, cfg);
  EXPECT_FALSE(dev->link().up);
  EXPECT_GE(fake.now_ns(), 300'000'000u);
}

TEST_F(Igb, StatsAccumulateAndClearOnRead) {
  auto dev = nic::open_device(fake, cfg);
  fake.regs[GPRC.at()] = 7;
  fake.regs[GPTC.at()] = 5;
  fake.regs[MPC.at()] = 2;
  fake.regs[RQDPC.at(0)] = 3;
  nic::DeviceStats s;
  dev->read_stats(s);
  dev->read_stats(s);
  EXPECT_EQ(s.rx_packets, 7u);
  EXPECT_EQ(s.tx_packets, 5u);
  EXPECT_EQ(s.rx_missed, 2u);
  EXPECT_EQ(s.rx_no_desc, 3u);
}

TEST_F(Igb, TeardownStopsDmaAndFreesEverything) {
  {
    auto dev = nic::open_device(fake, cfg);
    EXPECT_GT(fake.live_dma, 0u);
  }
  EXPECT_EQ(fake.regs[RCTL.at()] & rctl::kEnable.mask(), 0u);
  EXPECT_EQ(fake.regs[RXDCTL.at(0)] & xdctl::kEnable.mask(), 0u);
  EXPECT_EQ(fake.live_dma, 0u);
}

TEST(IgbIds, SupportedDevices) {
  EXPECT_TRUE(is_supported_device(0x8086, 0x10C9));
  EXPECT_FALSE(is_supported_device(0x8086, 0x10FB));
  EXPECT_FALSE(is_supported_device(0x1234, 0x10C9));
}

}  // namespace
