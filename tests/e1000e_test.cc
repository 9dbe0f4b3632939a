// e1000e (82574) family against a small fake register file with the 82574's behaviours the driver relies on:
// PCIe master disable, self-clearing reset, NVM auto-read and EERD word reads, MDIC PHY access, link status,
// and a minimal device side for queue 0 (extended rx write-back, legacy tx DD). Packet flow through a real
// 82574 model is tested in QEMU (tests/qemu); here: the init contract, PHY/NVM errors, counters, the hot path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/device/device.h"
#include "driver/e1000e/e1000e.h"
#include "driver/e1000e/regs.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "tests/fake_e1000.h"

namespace {

using namespace nic::e1000e;

// The 82574's additions to the common fake: NVM auto-read and EERD word reads, and the device side of
// queue 0 (extended rx write-backs, legacy tx completion).
class Fake82574 : public testbed::FakeE1000 {
 public:
  Fake82574() : FakeE1000(0x10D3, "fake-82574", {}) {}
  std::vector<uint16_t> nvm{0x5302, 0x4d49, 0x0100};  // 02:53:49:4d:00:01
  bool auto_read = true, eerd_stuck = false;
  bool gone = false;  // surprise removal: every read returns all-ones
  uint32_t rx_head = 0, tx_head = 0;

  // The device resets itself: its registers lose what the driver programmed (RCTL.EN among them), its
  // queue heads go back to 0.
  void self_reset() {
    regs[RCTL.at()] = 0;
    regs[TCTL.at()] = 0;
    rx_head = tx_head = 0;
  }

 protected:
  bool family_read(uint32_t off, uint32_t& v) override {
    if (gone) {
      v = ~0u;
      return true;
    }
    if (off != EECD.at()) return false;
    v = eecd::kPresent.mask() | (auto_read ? eecd::kAutoReadDone.mask() : 0);
    return true;
  }
  bool family_write(uint32_t off, uint32_t v) override {
    if (off == CTRL.at() && (v & ctrl::kReset.mask())) rx_head = tx_head = 0;  // the register file's part: below
    if (off != EERD.at()) return false;
    const uint32_t word = eerd::kAddr.get(v);
    regs[off] = eerd::kAddr.make(word);
    if (!eerd_stuck && (v & eerd::kStart.mask()) && word < nvm.size())
      regs[off] |= eerd::kDone.mask() | eerd::kData.make(nvm[word]);
    return true;
  }

 public:
  // --- The device side of queue 0 (IOVAs translated through the regions this fake handed out).
  template <class D>
  D* ring(const RegDef& bal, const RegDef& bah, const RegDef& len) {
    return static_cast<D*>(to_virt(uint64_t{regs[bah.at(0)]} << 32 | regs[bal.at(0)], regs[len.at(0)]));
  }
  // Receives `len` bytes of `fill` into the next posted buffer, as an extended write-back.
  bool receive(uint16_t len, uint8_t fill) {
    const uint32_t n = regs[RDLEN.at(0)] / 16;
    if (!(regs[RCTL.at()] & rctl::kEnable.mask()) || rx_head == regs[RDT.at(0)]) return false;
    auto* d = &ring<nic::ExtRxDesc>(RDBAL, RDBAH, RDLEN)[rx_head];
    void* buf = to_virt(d->read.buffer_addr, len);
    if (buf == nullptr) return false;
    std::memset(buf, fill, len);
    d->wb = {};
    d->wb.length = len;
    d->wb.status_error = nic::erxd::kStatusDD | nic::erxd::kStatusEOP;
    rx_head = (rx_head + 1) % n;
    regs[GPRC.at()]++;
    return true;
  }
  // Transmits everything up to TDT; returns the frames' lengths. DD on descriptors that asked for it (RS).
  std::vector<uint32_t> transmit() {
    std::vector<uint32_t> lens;
    const uint32_t n = regs[TDLEN.at(0)] / 16;
    if (!(regs[TCTL.at()] & tctl::kEnable.mask()) || !(regs[TARC.at(0)] & tarc::kEnable.mask())) return lens;
    for (; tx_head != regs[TDT.at(0)]; tx_head = (tx_head + 1) % n) {
      auto& d = ring<nic::LegacyTxDesc>(TDBAL, TDBAH, TDLEN)[tx_head];
      lens.push_back(d.cmd_len & nic::ltxd::kLenMask);
      if (d.cmd_len & nic::ltxd::kCmdRs) d.status |= nic::ltxd::kStatusDD;
      regs[GPTC.at()]++;
    }
    return lens;
  }

};

class E1000e : public ::testing::Test {
 protected:
  E1000e() { nic::set_log_level(nic::LogLevel::kError); }
  Fake82574 fake;
  nic::DeviceConfig cfg;
};

TEST_F(E1000e, OpenDevicePicksE1000eFor82574) {
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(dev->driver_name(), "e1000e");
  EXPECT_EQ(dev->mac(), (nic::MacAddr{0x02, 0x53, 0x49, 0x4d, 0x00, 0x01}));
  EXPECT_EQ(dev->link().speed_mbps, 1000u);
  EXPECT_EQ(dev->rx_queues(), 1u);
}

TEST_F(E1000e, InitFollowsTheContract) {
  auto dev = nic::open_device(fake, cfg);
  const long reset = fake.find(CTRL.at(), ctrl::kReset.mask(), ctrl::kReset.mask());
  ASSERT_GE(reset, 0);
  const long masked = fake.find(IMC.at(), ~0u, ~0u);
  EXPECT_GE(masked, 0) << "interrupts masked at all";
  EXPECT_LT(masked, reset) << "interrupts masked before the reset";
  EXPECT_GT(fake.find(IMC.at(), ~0u, ~0u, reset), reset) << "and again after it";
  const long master_off = fake.find(CTRL.at(), ctrl::kGioMasterDisable.mask(), ctrl::kGioMasterDisable.mask());
  EXPECT_TRUE(master_off >= 0 && master_off < reset) << "PCIe master disabled before the reset";
  EXPECT_GT(fake.find(EERD.at(), eerd::kStart.mask(), eerd::kStart.mask(), reset), reset) << "NVM words read";
  const long slu = fake.find(CTRL.at(), ctrl::kSetLinkUp.mask(), ctrl::kSetLinkUp.mask(), reset);
  EXPECT_GT(slu, reset);
  EXPECT_EQ(fake.regs[CTRL.at()] & (ctrl::kGioMasterDisable.mask() | ctrl::kForceSpeed.mask()), 0u);
  EXPECT_EQ(fake.phy[phy::kControl] & (phy::kControlAnEnable | phy::kControlRestartAn),
            phy::kControlAnEnable | phy::kControlRestartAn);
  EXPECT_TRUE(fake.regs[CTRL_EXT.at()] & ctrl_ext::kDriverLoaded.mask());
  // Queue 0: extended descriptors selected before the ring is programmed; base, length, then the tail.
  const long exsten = fake.find(RFCTL.at(), rfctl::kExtendedStatus.mask(), rfctl::kExtendedStatus.mask());
  const long base = fake.find(RDBAL.at(0), 0, 0, reset);
  const long tail = fake.find(RDT.at(0), ~0u, cfg.rx_ring_size - 1);
  EXPECT_EQ(fake.regs[RDLEN.at(0)], cfg.rx_ring_size * 16);
  ASSERT_TRUE(exsten >= 0 && base > exsten && tail > base);
  EXPECT_NE(fake.regs[RDBAL.at(0)] | fake.regs[RDBAH.at(0)], 0u);
  // Transmit: ring, TXDCTL (bit 22 set, as the datasheet asks), TARC0.ENABLE, TCTL.EN with PSP.
  EXPECT_EQ(fake.regs[TDLEN.at(0)], cfg.tx_ring_size * 16);
  EXPECT_TRUE(fake.regs[TXDCTL.at(0)] & xdctl::kCountDesc.mask());
  EXPECT_TRUE(fake.regs[TARC.at(0)] & tarc::kEnable.mask());
  EXPECT_EQ(fake.regs[TCTL.at()] & (tctl::kEnable.mask() | tctl::kPadShortPackets.mask()),
            tctl::kEnable.mask() | tctl::kPadShortPackets.mask());
  // Receive enabled last: CRC strip, broadcast, promiscuous, 2 KB buffers, DTYP 00, no long packets, no loopback.
  const long rx_on = fake.find(RCTL.at(), rctl::kEnable.mask(), rctl::kEnable.mask());
  EXPECT_GT(rx_on, tail);
  const uint32_t rctl = fake.regs[RCTL.at()];
  EXPECT_TRUE(rctl & rctl::kStripCrc.mask());
  EXPECT_TRUE(rctl & rctl::kBroadcastAccept.mask());
  EXPECT_TRUE(rctl & rctl::kUnicastPromisc.mask());
  EXPECT_EQ(rctl & (rctl::kDescType.mask() | rctl::kBufferSize.mask() | rctl::kBufferSizeExtension.mask() |
                    rctl::kLongPackets.mask() | rctl::kLoopbackMode.mask()),
            0u);
  // BSIZE 00b with BSEX 0 is 2048 bytes: no more than a buffer's data area (the whole buffer: no header).
  EXPECT_LE(2048u, nic::Mempool::kDefaultBufSize);
}

TEST_F(E1000e, InterruptsOnABackendWithoutMsixAreAClearError) {
  auto dev = nic::open_device(fake, cfg);
  try {
    dev->enable_interrupts(nic::InterruptConfig{});
    FAIL() << "expected nic::Error";
  } catch (const nic::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no MSI-X"), std::string::npos) << e.what();
  }
  EXPECT_THROW(dev->wait_rx(0, 0), nic::Error);
  EXPECT_EQ(dev->rx_interrupt_fd(0), -1);
}

TEST_F(E1000e, LoopbackSetsMacLoopbackAndForcesGigabit) {
  cfg.loopback = true;
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(rctl::kLoopbackMode.get(fake.regs[RCTL.at()]), rctl::kLoopbackMac);
  const uint32_t c = fake.regs[CTRL.at()];
  EXPECT_EQ(ctrl::kSpeed.get(c), ctrl::kSpeed1000);
  EXPECT_TRUE((c & ctrl::kForceSpeed.mask()) && (c & ctrl::kForceDuplex.mask()) && (c & ctrl::kSetLinkUp.mask()));
}

// The message of the error open_device() throws ("" when it succeeds).
std::string init_error(Fake82574& fake, const nic::DeviceConfig& cfg) {
  try {
    nic::open_device(fake, cfg);
  } catch (const nic::Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(E1000e, PhyErrorsAreClear) {
  fake.mdic_error = true;
  EXPECT_THAT(init_error(fake, cfg), testing::HasSubstr("MDIC.E"));
  fake.mdic_error = false;
  fake.mdic_stuck = true;
  EXPECT_THAT(init_error(fake, cfg), testing::HasSubstr("PHY access timed out"));
  EXPECT_EQ(fake.live_dma, 0u) << "a failed init leaves no DMA memory behind";
}

TEST_F(E1000e, NvmAutoReadAndWordReadsAreChecked) {
  fake.auto_read = false;
  EXPECT_THAT(init_error(fake, cfg), testing::HasSubstr("EECD.AUTO_RD"));
  fake.auto_read = true;
  fake.eerd_stuck = true;
  EXPECT_THAT(init_error(fake, cfg), testing::HasSubstr("EERD.DONE"));
  EXPECT_EQ(fake.live_dma, 0u);
}

TEST_F(E1000e, MacFromNvmWhenReceiveAddressNotValid) {
  fake.mac_loaded = false;
  fake.nvm = {0x5452, 0x0000, 0x0201};  // 52:54:00:00:01:02
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(dev->mac(), (nic::MacAddr{0x52, 0x54, 0x00, 0x00, 0x01, 0x02}));
  EXPECT_TRUE(fake.regs[RAH.at(0)] & rah::kAddressValid.mask());
}

TEST_F(E1000e, LinkDownTimesOut) {
  fake.link_up = false;
  cfg.link_timeout_ms = 300;
  auto dev = nic::open_device(fake, cfg);
  EXPECT_FALSE(dev->link().up);
  EXPECT_GE(fake.now_ns(), 300'000'000u);
}

TEST_F(E1000e, OneQueueOnly) {
  cfg.rx_queues = 2;
  EXPECT_THROW(nic::open_device(fake, cfg), nic::Error);
  EXPECT_EQ(fake.live_dma, 0u);
}

TEST_F(E1000e, StatsAccumulateAndClearOnRead) {
  auto dev = nic::open_device(fake, cfg);
  fake.regs[GPRC.at()] = 7;
  fake.regs[GPTC.at()] = 5;
  fake.regs[MPC.at()] = 2;
  fake.regs[CRCERRS.at()] = 1;
  fake.regs[GORCL.at()] = 700;
  nic::DeviceStats s;
  dev->read_stats(s);
  fake.regs[GORCL.at()] = 0;
  dev->read_stats(s);
  EXPECT_EQ(s.rx_packets, 7u);
  EXPECT_EQ(s.tx_packets, 5u);
  EXPECT_EQ(s.rx_missed, 2u);
  EXPECT_EQ(s.rx_crc_errors, 1u);
  EXPECT_EQ(s.rx_bytes, 700u);
  EXPECT_EQ(s.rx_no_desc, 0u);
}

TEST_F(E1000e, PacketsFlowThroughExtendedRxAndLegacyTx) {
  cfg.rx_ring_size = cfg.tx_ring_size = 64;
  cfg.link_timeout_ms = 0;
  auto dev = nic::open_device(fake, cfg);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(fake.receive(static_cast<uint16_t>(60 + i), static_cast<uint8_t>(i)));
  std::vector<nic::Packet> batch(64);
  const size_t n = dev->rx_batch(0, batch);
  ASSERT_EQ(n, 40u);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(batch[i].size(), 60 + i);
    EXPECT_EQ(batch[i].data()[0], i);
  }
  EXPECT_EQ(fake.regs[RDT.at(0)], 39u) << "the slots just refilled go back to the device";
  EXPECT_EQ(dev->tx_batch(0, std::span(batch.data(), n)), n);
  const std::vector<uint32_t> sent = fake.transmit();
  ASSERT_EQ(sent.size(), 40u);
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i], 60 + i);
  dev->tx_batch(0, {});  // reclaims
  EXPECT_EQ(dev->rx_pool(0).in_use(), 64u) << "only the rx ring's buffers are out";
  EXPECT_EQ(dev->rx_ring_stats(0).packets, 40u);
  EXPECT_EQ(dev->tx_ring_stats(0).packets, 40u);
}

TEST_F(E1000e, TeardownStopsDmaAndFreesEverything) {
  {
    auto dev = nic::open_device(fake, cfg);
    EXPECT_GT(fake.live_dma, 0u);
  }
  EXPECT_EQ(fake.regs[RCTL.at()] & rctl::kEnable.mask(), 0u);
  EXPECT_EQ(fake.regs[TCTL.at()] & tctl::kEnable.mask(), 0u);
  EXPECT_EQ(fake.regs[TARC.at(0)] & tarc::kEnable.mask(), 0u);
  EXPECT_EQ(fake.live_dma, 0u);
}

TEST(E1000eIds, SupportedDevices) {
  EXPECT_TRUE(is_supported_device(0x8086, 0x10D3));
  EXPECT_FALSE(is_supported_device(0x8086, 0x10C9));
  EXPECT_FALSE(is_supported_device(0x1234, 0x10D3));
}

}  // namespace

// --- The device base's watchdog and recovery, which the 82574 shares with the other families.
class E1000eWatchdog : public E1000e {
 protected:
  E1000eWatchdog() {
    cfg.rx_ring_size = cfg.tx_ring_size = 64;
    cfg.link_timeout_ms = 0;
    cfg.tx_hang_timeout_ms = 100;
  }
};

TEST_F(E1000eWatchdog, LinkUpIsOkAndLinkDownIsReported) {
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(dev->watchdog(), nic::Health::kOk);
  fake.link_up = false;
  EXPECT_EQ(dev->watchdog(), nic::Health::kLinkDown);
  EXPECT_EQ(dev->health().link_changes, 1u);
}

TEST_F(E1000eWatchdog, SelfResetIsFoundAndRecoveredWithCountersCarried) {
  auto dev = nic::open_device(fake, cfg);
  const uint32_t ring_buffers = dev->rx_pool(0).in_use();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(fake.receive(60, 0xAB));  // completed, never taken by the app
  fake.self_reset();
  EXPECT_FALSE(fake.receive(60, 0xCD)) << "the reset device receives nothing";
  EXPECT_EQ(dev->watchdog(), nic::Health::kRecovered);
  EXPECT_EQ(dev->health().device_resets, 1u);
  EXPECT_EQ(dev->health().recoveries, 1u);
  EXPECT_EQ(dev->health().rx_discarded, 5u) << "frames completed before the reset are dropped and counted";
  EXPECT_TRUE(fake.regs[RCTL.at()] & rctl::kEnable.mask()) << "receive re-enabled";
  EXPECT_EQ(dev->rx_pool(0).in_use(), ring_buffers) << "nothing lost, nothing allocated";
  // Frames flow again, from slot 0.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fake.receive(static_cast<uint16_t>(70 + i), 0x11));
  std::vector<nic::Packet> got(8);
  ASSERT_EQ(dev->rx_batch(0, got), 3u);
  EXPECT_EQ(got[0].size(), 70u);
  EXPECT_EQ(got[0].data()[0], 0x11);
  got.clear();
  // GPRC counted 5 before the reset (banked by the recovery) and 3 after.
  nic::DeviceStats s;
  dev->read_stats(s);
  EXPECT_EQ(s.rx_packets, 8u);
  nic::DeviceStats again;
  dev->read_stats(again);
  EXPECT_EQ(again.rx_packets, 0u) << "banked counts are handed out once";
  EXPECT_EQ(dev->watchdog(), nic::Health::kOk);
}

TEST_F(E1000eWatchdog, HungTransmitQueueIsResetAndItsPacketsCounted) {
  auto dev = nic::open_device(fake, cfg);
  nic::Mempool& pool = dev->rx_pool(0);
  const uint32_t ring_buffers = pool.in_use();
  std::vector<nic::Packet> pkts;
  for (int i = 0; i < 10; ++i) pkts.push_back(nic::Packet::alloc(pool, 60));
  ASSERT_EQ(dev->tx_batch(0, pkts), 10u);  // the device never sends them (no fake.transmit())
  EXPECT_EQ(dev->watchdog(), nic::Health::kOk);
  fake.delay_us(50'000);
  EXPECT_EQ(dev->watchdog(), nic::Health::kOk) << "50 ms: not yet hung";
  fake.delay_us(60'000);
  EXPECT_EQ(dev->watchdog(), nic::Health::kRecovered);
  EXPECT_EQ(dev->health().tx_hangs, 1u);
  EXPECT_EQ(dev->health().tx_discarded, 10u) << "TDH..TDT: all ten were never processed";
  EXPECT_EQ(pool.in_use(), ring_buffers) << "the ten buffers went back to the pool";
  // Transmit works again from slot 0.
  pkts.clear();
  for (int i = 0; i < 3; ++i) pkts.push_back(nic::Packet::alloc(pool, 64 + i));
  ASSERT_EQ(dev->tx_batch(0, pkts), 3u);
  EXPECT_EQ(fake.transmit(), (std::vector<uint32_t>{64, 65, 66}));
  dev->tx_batch(0, {});
  EXPECT_EQ(pool.in_use(), ring_buffers);
}

TEST_F(E1000eWatchdog, RemovedDeviceIsDeadAndGivesEveryBufferBack) {
  auto dev = nic::open_device(fake, cfg);
  nic::Mempool& pool = dev->rx_pool(0);
  std::vector<nic::Packet> pkts;
  for (int i = 0; i < 4; ++i) pkts.push_back(nic::Packet::alloc(pool, 60));
  ASSERT_EQ(dev->tx_batch(0, pkts), 4u);
  fake.gone = true;
  EXPECT_EQ(dev->watchdog(), nic::Health::kDead);
  EXPECT_TRUE(dev->health().dead);
  EXPECT_EQ(dev->health().tx_discarded, 4u);
  EXPECT_EQ(pool.in_use(), 0u) << "rings emptied: nothing will DMA any more";
  std::vector<nic::Packet> got(4);
  EXPECT_EQ(dev->rx_batch(0, got), 0u);
  nic::DeviceStats s;
  EXPECT_THROW(dev->read_stats(s), nic::DeviceDead);
  EXPECT_EQ(dev->watchdog(), nic::Health::kDead);
}

// --- MSI-X: IVAR, EITR, EIAC, and the ICR/IMS/IMC bit of rx queue 0 (bit 20), against the fake register file.
using FakeMsix82574 = testbed::WithMsix<Fake82574>;

class E1000eMsix : public ::testing::Test {
 protected:
  E1000eMsix() { nic::set_log_level(nic::LogLevel::kError); }
  FakeMsix82574 fake;
  nic::DeviceConfig cfg{.rx_ring_size = 64, .tx_ring_size = 64, .link_timeout_ms = 0};
  static constexpr uint32_t kRxQ0 = 1u << 20;
};

TEST_F(E1000eMsix, ProgramsIvarEitrEiacAndLeavesTheVectorMasked) {
  auto dev = nic::open_device(fake, cfg);
  const long before = static_cast<long>(fake.writes.size());
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 250});
  EXPECT_EQ(fake.enables, 1);
  ASSERT_EQ(fake.fds.size(), 1u);
  EXPECT_EQ(fake.regs[0x000E4], 0x8u) << "IVAR: RxQ0 -> vector 0, valid (bit 3); tx and other unmapped";
  EXPECT_EQ(fake.regs[0x000E8], 977u) << "EITR(0): 250 us in 256 ns units, rounded up";
  EXPECT_EQ(fake.regs[0x000DC] & kRxQ0, kRxQ0) << "EIAC: the message clears RxQ0";
  const long masked = fake.find(IMC.at(), kRxQ0, kRxQ0, before);
  const long mapped = fake.find(0x000E4, ~0u, 0x8u, before);
  EXPECT_TRUE(masked >= 0 && mapped > masked) << "masked before the mapping changes";
  EXPECT_GE(fake.find(ICR.at(), ~0u, kRxQ0, mapped), 0) << "stale cause cleared (write 1)";
  EXPECT_LT(fake.find(IMS.at(), 0, 0, before), 0) << "nothing unmasked before wait_rx";
}

TEST_F(E1000eMsix, WaitRxClearsCauseUnmasksSleepsAndMasksAgain) {
  auto dev = nic::open_device(fake, cfg);
  dev->enable_interrupts(nic::InterruptConfig{});
  const long from = static_cast<long>(fake.writes.size());
  EXPECT_FALSE(dev->wait_rx(0, 0));  // nothing received, nothing fired
  const long clear = fake.find(ICR.at(), ~0u, kRxQ0, from);
  const long unmask = fake.find(IMS.at(), ~0u, kRxQ0, from);
  const long mask = fake.find(IMC.at(), ~0u, kRxQ0, from);
  EXPECT_TRUE(clear >= 0 && unmask > clear && mask > unmask) << "ICR (W1C), IMS, then IMC, bit 20 only";
  const uint64_t one = 1;
  ASSERT_EQ(::write(fake.fds[0], &one, sizeof one), 8);
  EXPECT_TRUE(dev->wait_rx(0, 1000));
  EXPECT_EQ(dev->rx_interrupts(0), 1u);
  EXPECT_EQ(dev->rx_interrupt_fd(0), fake.fds[0]);
  // A frame already waiting: no sleep at all.
  ASSERT_TRUE(fake.receive(60, 1));
  EXPECT_TRUE(dev->wait_rx(0, 60'000));
  EXPECT_THROW(dev->wait_rx(1, 0), nic::Error) << "no such queue";
}

TEST_F(E1000eMsix, ModerationLimitsAndTeardown) {
  {
    auto dev = nic::open_device(fake, cfg);
    EXPECT_THROW(dev->wait_rx(0, 0), nic::Error) << "before enable_interrupts";
    EXPECT_THROW(dev->enable_interrupts(nic::InterruptConfig{.interval_us = 16777}), nic::Error);
    EXPECT_EQ(fake.disables, 1) << "a failed enable gives the vector back";
    dev->enable_interrupts(nic::InterruptConfig{.interval_us = 16776});
    EXPECT_EQ(fake.regs[0x000E8], 65532u);
    dev->enable_interrupts(nic::InterruptConfig{.interval_us = 0});
    EXPECT_EQ(fake.regs[0x000E8], 0u) << "no moderation";
  }
  EXPECT_EQ(fake.disables, 3) << "re-enabling and the device's destruction turn MSI-X off";
  EXPECT_TRUE(fake.fds.empty());
  EXPECT_EQ(fake.writes.back().first, IMC.at()) << "teardown masks the vector last";
}

TEST_F(E1000eMsix, RecoveryProgramsTheVectorAgain) {
  auto dev = nic::open_device(fake, cfg);
  dev->enable_interrupts(nic::InterruptConfig{});
  fake.self_reset();
  fake.regs[0x000E4] = 0;  // the reset cleared the mapping
  EXPECT_EQ(dev->watchdog(), nic::Health::kRecovered);
  EXPECT_EQ(fake.regs[0x000E4], 0x8u);
  EXPECT_FALSE(dev->wait_rx(0, 0));
}
