// igb (82576) family against a small fake register file with the 82576's behaviours the driver relies on:
// self-clearing reset, EEPROM auto-read, MDIC PHY access, link status. Packet flow through a real 82576
// model is tested in QEMU (tests/qemu); here: the init contract, PHY access, errors, counters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <vector>

#include "driver/device/device.h"
#include "driver/igb/igb.h"
#include "driver/igb/regs.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "tests/fake_e1000.h"

namespace {

using namespace nic::igb;

// The 82576's additions to the common fake: EEPROM auto-read (optional), per-queue drop counters.
class Fake82576 : public testbed::FakeE1000 {
 public:
  Fake82576() : FakeE1000(0x10C9, "fake-82576", {RQDPC.at(0)}) {}
  bool eeprom = true, rx_enable_stuck = false;

 protected:
  bool family_read(uint32_t off, uint32_t& v) override {
    if (off == RXDCTL.at(0) && rx_enable_stuck) {
      v = regs[off] & ~xdctl::kEnable.mask();
      return true;
    }
    if (off != EECD.at()) return false;
    v = eeprom ? eecd::kPresent.mask() | eecd::kAutoReadDone.mask() : 0;
    return true;
  }
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
  const long masked = fake.find(IMC.at(), ~0u, ~0u);
  EXPECT_GE(masked, 0) << "interrupts masked at all";
  EXPECT_LT(masked, reset) << "interrupts masked before the reset";
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
  // The buffer size read back from SRRCTL (1 KB units) never exceeds a buffer's data area.
  EXPECT_LE(srrctl::kBsizePacket.get(fake.regs[SRRCTL.at(0)]) * 1024u, nic::Mempool::kDefaultBufSize);
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
  // Reset costs 1 + 10 ms of delays; the EEPROM poll then waits its bounded 10 ms on top.
  EXPECT_GE(fake.now_ns(), 21'000'000u) << "waited the bounded 10 ms for EECD.AUTO_RD";
}

TEST_F(Igb, EepromPresentIsNotWaitedFor) {
  auto dev = nic::open_device(fake, cfg);
  EXPECT_LT(fake.now_ns(), 21'000'000u);
}

// A failure after the rings exist (the rx queue never reports enabled) stops DMA and frees everything.
TEST_F(Igb, FailedInitAfterRingsStopsDmaAndFreesEverything) {
  fake.rx_enable_stuck = true;
  EXPECT_THROW(nic::open_device(fake, cfg), nic::Error);
  EXPECT_GT(fake.find(RDBAL.at(0), 0, 0), 0) << "the ring was programmed before the failure";
  EXPECT_EQ(fake.regs[RXDCTL.at(0)] & xdctl::kEnable.mask(), 0u) << "queue disabled again";
  EXPECT_EQ(fake.regs[RCTL.at()] & rctl::kEnable.mask(), 0u);
  EXPECT_EQ(fake.live_dma, 0u);
}

// Several rx queues: RSS programmed (key, round-robin redirection, MRQC mode 010b with IPv4/TCP/UDP fields,
// RXCSUM.PCSD that the 82576 needs for hashing), before receive is enabled.
TEST_F(Igb, MultipleRxQueuesProgramRss) {
  cfg.rx_queues = 4;
  auto dev = nic::open_device(fake, cfg);
  EXPECT_TRUE(fake.regs[RXCSUM.at()] & rxcsum::kPacketChecksumDisable.mask());
  EXPECT_EQ(fake.regs[MRQC.at()], 0x2u | 0x10000u | 0x20000u | 0x400000u);
  EXPECT_EQ(fake.regs[RSSRK.at(0)], 0xda565a6du);  // key bytes 6d 5a 56 da, first byte lowest
  EXPECT_EQ(fake.regs[RETA.at(0)], 0x03020100u);
  EXPECT_EQ(fake.regs[RETA.at(31)], 0x03020100u);
  const long mrqc = fake.find(MRQC.at(), ~0u, fake.regs[MRQC.at()]);
  const long rx_on = fake.find(RCTL.at(), rctl::kEnable.mask(), rctl::kEnable.mask());
  ASSERT_GE(mrqc, 0);
  EXPECT_LT(mrqc, rx_on);
}

TEST_F(Igb, OneRxQueueLeavesRssOff) {
  auto dev = nic::open_device(fake, cfg);
  EXPECT_EQ(fake.find(MRQC.at(), 0, 0), -1);
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

// --- MSI-X: GPIE, IVAR0, EITR, EIAC/EIAM, EIMS/EIMC programming against the fake register file.
using FakeMsix82576 = testbed::WithMsix<Fake82576>;

class IgbMsix : public ::testing::Test {
 protected:
  IgbMsix() { nic::set_log_level(nic::LogLevel::kError); }
  FakeMsix82576 fake;
  nic::DeviceConfig cfg{.rx_queues = 4, .tx_queues = 1};
};

TEST_F(IgbMsix, ProgramsGpieIvarEitrAndLeavesVectorsMasked) {
  auto dev = nic::open_device(fake, cfg);
  const size_t before = fake.writes.size();
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 250});
  EXPECT_EQ(fake.enables, 1);
  ASSERT_EQ(fake.fds.size(), 4u);
  const uint32_t gpie = fake.regs[GPIE.at()];
  EXPECT_EQ(gpie & 0x10u, 0x10u) << "Multiple_MSIX (GPIE bit 4)";
  EXPECT_EQ(gpie & 0xC0000000u, 0xC0000000u) << "EIAME (bit 30) and PBA_support (bit 31)";
  for (uint32_t q = 0; q < 4; ++q) {
    // 82576 layout: rx queue q (< 8) in byte 0 of IVAR0[q]: valid bit 7, vector q.
    EXPECT_EQ(fake.regs[0x1700 + 4 * q] & 0xFFu, 0x80u | q) << "IVAR0[" << q << "]";
    EXPECT_EQ(fake.regs[0x1680 + 4 * q], 250u << 2 | 0x80000000u) << "EITR[" << q << "]: 1 us units in bits 14:2, CNT_IGNR";
  }
  EXPECT_EQ(fake.regs[0x1700 + 4 * 4], 0u) << "no entry for a queue that does not exist";
  EXPECT_EQ(fake.regs[EIAC.at()] & 0xFu, 0xFu) << "auto-clear of the four rx vectors";
  EXPECT_EQ(fake.regs[EIAM.at()] & 0xFu, 0xFu) << "auto-mask of the four rx vectors";
  EXPECT_GE(fake.find(EIMC.at(), 0xFu, 0xFu, static_cast<long>(before)), 0) << "vectors masked";
  EXPECT_LT(fake.find(EIMS.at(), 0, 0, static_cast<long>(before)), 0) << "no vector unmasked before wait_rx";
  const long gpie_at = fake.find(GPIE.at(), 0x10, 0x10, static_cast<long>(before));
  const long ivar_at = fake.find(0x1700, 0xFF, 0x80, static_cast<long>(before));
  EXPECT_TRUE(gpie_at >= 0 && ivar_at > gpie_at) << "MSI-X mode before the IVAR mapping";
  // The offsets are the 82576's, not the 82599's.
  EXPECT_EQ(GPIE.at(), 0x1514u);
  EXPECT_EQ(EIMS.at(), 0x1524u);
  EXPECT_EQ(EITR.at(3), 0x168Cu);
}

TEST_F(IgbMsix, WaitRxClearsCauseUnmasksSleepsAndMasksAgain) {
  auto dev = nic::open_device(fake, cfg);
  dev->enable_interrupts(nic::InterruptConfig{});
  size_t from = fake.writes.size();
  EXPECT_FALSE(dev->wait_rx(2, 0));  // nothing received, nothing fired: times out at once
  const long clear = fake.find(EICR.at(), ~0u, 0x4u, static_cast<long>(from));
  const long unmask = fake.find(EIMS.at(), ~0u, 0x4u, static_cast<long>(from));
  const long mask = fake.find(EIMC.at(), ~0u, 0x4u, static_cast<long>(from));
  EXPECT_TRUE(clear >= 0 && unmask > clear && mask > unmask) << "EICR (W1C), EIMS, then EIMC for vector 2 only";
  // The "kernel" signals vector 2: wait_rx returns true and counts it.
  const uint64_t one = 1;
  ASSERT_EQ(::write(fake.fds[2], &one, sizeof one), 8);
  EXPECT_TRUE(dev->wait_rx(2, 1000));
  EXPECT_EQ(dev->rx_interrupts(2), 1u);
  EXPECT_EQ(dev->rx_interrupts(0), 0u);
  EXPECT_EQ(dev->rx_interrupt_fd(2), fake.fds[2]);
  EXPECT_THROW(dev->wait_rx(4, 0), nic::Error) << "no such queue";
}

TEST_F(IgbMsix, ErrorsAndTeardown) {
  {
    auto dev = nic::open_device(fake, cfg);
    EXPECT_THROW(dev->wait_rx(0, 0), nic::Error) << "before enable_interrupts";
    EXPECT_THROW(dev->enable_interrupts(nic::InterruptConfig{.interval_us = 8192}), nic::Error);
    EXPECT_EQ(fake.disables, 1) << "a failed enable gives the vectors back";
    dev->enable_interrupts(nic::InterruptConfig{.interval_us = 8191});
    EXPECT_EQ(fake.regs[EITR.at(0)] & 0x7FFCu, 8191u << 2);
  }
  EXPECT_EQ(fake.disables, 2) << "the device's destruction turns MSI-X off";
  EXPECT_TRUE(fake.fds.empty());
}

TEST(IgbIds, SupportedDevices) {
  EXPECT_TRUE(is_supported_device(0x8086, 0x10C9));
  EXPECT_FALSE(is_supported_device(0x8086, 0x10FB));
  EXPECT_FALSE(is_supported_device(0x1234, 0x10C9));
}

}  // namespace
