// The init sequence is a contract with the datasheet (§4.6.3–§4.6.8): these tests pin its order with
// GoogleMock. The mock forwards every access to a simulated 82599, so waits terminate as on hardware.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "driver/device/device.h"
#include "driver/ixgbe/regs.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "tests/mock_backend.h"
#include "tests/testbed.h"

namespace {

using namespace nic::ixgbe;
using ::testing::_;
using ::testing::AnyNumber;
using ::testing::InSequence;
using ::testing::NiceMock;

class InitSequence : public ::testing::Test {
 protected:
  InitSequence() {
    nic::set_log_level(nic::LogLevel::kError);
    nic_.device().connect(&sink_);
    mock_.delegate_to(nic_);
  }
  sim::World world_;
  sim::SimNic nic_{world_, testbed::port_config(0)};
  sim::Sink sink_;
  NiceMock<testbed::MockBackend> mock_;
};

TEST_F(InitSequence, FollowsDatasheetOrder) {
  // Accesses not named below may happen anywhere; the named ones must happen in this order.
  EXPECT_CALL(mock_, write32(_, _)).Times(AnyNumber());
  EXPECT_CALL(mock_, read32(_)).Times(AnyNumber());
  EXPECT_CALL(mock_, delay_us(_)).Times(AnyNumber());
  {
    InSequence seq;
    // §4.6.3.1 interrupts off; bit 31 of EIMC is reserved.
    EXPECT_CALL(mock_, write32(EIMS.at(), 0)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(EIMC.at(), 0x7FFFFFFFu)).RetiresOnSaturation();
    EXPECT_CALL(mock_, read32(EICR.at())).RetiresOnSaturation();
    // §4.6.3.2 global reset, then wait >= 1 ms before polling it.
    EXPECT_CALL(mock_, write32(CTRL.at(), ctrl::kResetMask)).RetiresOnSaturation();
    EXPECT_CALL(mock_, delay_us(1000)).RetiresOnSaturation();
    EXPECT_CALL(mock_, read32(CTRL.at())).RetiresOnSaturation();
    EXPECT_CALL(mock_, delay_us(10000)).RetiresOnSaturation();
    // interrupts off again after the reset
    EXPECT_CALL(mock_, write32(EIMC.at(), 0x7FFFFFFFu)).RetiresOnSaturation();
    // §4.6.3 EEPROM auto-read, then DMA init done
    EXPECT_CALL(mock_, read32(EEC.at())).RetiresOnSaturation();
    EXPECT_CALL(mock_, read32(RDRXCTL.at())).RetiresOnSaturation();
    // §4.6.4 link setup: AN restart
    EXPECT_CALL(mock_, write32(AUTOC.at(), testing::Truly([](uint32_t v) { return (v & autoc::kAnRestart.mask()) != 0; }))).RetiresOnSaturation();
    // §4.6.7 rx: RXEN off first, FCRTH[0] set (§4.6.3.2), CRC strip, per-queue setup, no-snoop disable, DCA
    // bit 12 cleared
    EXPECT_CALL(mock_, write32(RXCTRL.at(), 0)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(FCRTH.at(0), 512 * 1024 - 0x6000)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(RDRXCTL.at(), testing::Truly([](uint32_t v) {
                                 return (v & rdrxctl::kCrcStrip.mask()) && rdrxctl::kRscFirstSize.get(v) == 0 &&
                                        (v & rdrxctl::kRscAckC.mask()) && (v & rdrxctl::kFcoeWriteFix.mask());
                               }))).RetiresOnSaturation();
    // §4.6.7.1 per queue: ring base and length, then SRRCTL (buffer size, descriptor type)
    EXPECT_CALL(mock_, write32(RDBAL.at(0), _)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(RDLEN.at(0), 512 * 16)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(SRRCTL.at(0), testing::Truly([](uint32_t v) {
                                 // BSIZEPACKET (1 KB units, §8.2.3.8.7) within the data area the driver owns
                                 const uint32_t data = nic::Mempool::kDefaultBufSize;  // all data: metadata is in host memory
                                 return srrctl::kDescType.get(v) == 1 && (v & srrctl::kDropEnable.mask()) &&
                                        srrctl::kBsizePacket.get(v) == 2 && srrctl::kBsizePacket.get(v) * 1024 <= data;
                               }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(CTRL_EXT.at(), testing::Truly([](uint32_t v) { return (v & ctrl_ext::kNoSnoopDisable.mask()) != 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(DCA_RXCTRL.at(0), testing::Truly([](uint32_t v) { return (v & (1u << 12)) == 0; }))).RetiresOnSaturation();
    // §4.6.8 tx: CRC + padding; arbiter off (RTTDCS.ARBDIS) while the packet buffer, DTXMXSZRQ (12-bit) and
    // MTQC are programmed, then on again; thresholds, then DMATXCTL.TE
    EXPECT_CALL(mock_, write32(RTTDCS.at(), testing::Truly([](uint32_t v) { return (v & rttdcs::kArbiterDisable.mask()) != 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(TXPBTHRESH.at(0), 0xA0u)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(DTXMXSZRQ.at(), 0xFFFu)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(MTQC.at(), 0u)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(RTTDCS.at(), testing::Truly([](uint32_t v) { return (v & rttdcs::kArbiterDisable.mask()) == 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(TDBAL.at(0), _)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(TXDCTL.at(0), 0x00040824u)).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(DMATXCTL.at(), dmatxctl::kTxEnable.mask())).RetiresOnSaturation();
    // §4.6.7.1 rx queue: enable, poll, then the tail hands the ring over
    EXPECT_CALL(mock_, write32(RXDCTL.at(0), testing::Truly([](uint32_t v) { return (v & rxdctl::kEnable.mask()) != 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, read32(RXDCTL.at(0))).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(RDT.at(0), 511u)).RetiresOnSaturation();
    // §4.6.8.1 tx queue: enable and poll
    EXPECT_CALL(mock_, write32(TXDCTL.at(0), testing::Truly([](uint32_t v) { return (v & txdctl::kEnable.mask()) != 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, read32(TXDCTL.at(0))).RetiresOnSaturation();
    // filters while RXEN = 0, then RXEN last, inside the rx security block halt: RX_DIS, SECRX_RDY polled,
    // RXEN, RX_DIS cleared
    EXPECT_CALL(mock_, write32(FCTRL.at(), testing::Truly([](uint32_t v) { return (v & fctrl::kUnicastPromisc.mask()) != 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(SECRXCTRL.at(), testing::Truly([](uint32_t v) { return (v & secrxctrl::kRxDisable.mask()) != 0; }))).RetiresOnSaturation();
    EXPECT_CALL(mock_, read32(SECRXSTAT.at())).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(RXCTRL.at(), rxctrl::kRxEnable.mask())).RetiresOnSaturation();
    EXPECT_CALL(mock_, write32(SECRXCTRL.at(), testing::Truly([](uint32_t v) { return (v & secrxctrl::kRxDisable.mask()) == 0; }))).RetiresOnSaturation();
    // link wait
    EXPECT_CALL(mock_, read32(LINKS.at())).RetiresOnSaturation();
  }

  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 100;
  auto dev = nic::open_device(mock_, cfg);
  EXPECT_EQ(nic_.device().diag().total(), 0u) << nic_.device().diag().summary();
}

TEST_F(InitSequence, DisablesQueuesAndReceiveOnTeardown) {
  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 0;
  auto dev = nic::open_device(mock_, cfg);
  EXPECT_CALL(mock_, write32(_, _)).Times(AnyNumber());
  EXPECT_CALL(mock_, dma_free(_)).Times(0);
  {
    InSequence seq;
    EXPECT_CALL(mock_, write32(RXCTRL.at(), 0));
    EXPECT_CALL(mock_, write32(RXDCTL.at(0), testing::Truly([](uint32_t v) { return (v & rxdctl::kEnable.mask()) == 0; })));
    EXPECT_CALL(mock_, write32(TXDCTL.at(0), testing::Truly([](uint32_t v) { return (v & txdctl::kEnable.mask()) == 0; })));
    EXPECT_CALL(mock_, dma_free(_)).Times(3);  // rx ring, tx ring, mempool
  }
  dev.reset();
  EXPECT_EQ(nic_.dma_regions(), 0u);
}

TEST_F(InitSequence, ResetThatNeverCompletesIsAnErrorNotAHang) {
  ON_CALL(mock_, read32(CTRL.at())).WillByDefault(testing::Return(ctrl::kResetMask));
  nic::DeviceConfig cfg;
  try {
    nic::open_device(mock_, cfg);
    FAIL() << "init succeeded with a stuck reset";
  } catch (const nic::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("CTRL.RST"));
  }
}

TEST_F(InitSequence, AllOnesReadsReportADeadDevice) {
  ON_CALL(mock_, read32(_)).WillByDefault(testing::Return(0xFFFFFFFFu));
  EXPECT_THROW(nic::open_device(mock_, nic::DeviceConfig{}), nic::DeviceDead);
}

TEST_F(InitSequence, SurpriseRemovalAfterInitIsReportedNotHidden) {
  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 0;
  auto dev = nic::open_device(mock_, cfg);
  ON_CALL(mock_, read32(_)).WillByDefault(testing::Return(0xFFFFFFFFu));  // the card is gone
  nic::DeviceStats s;
  EXPECT_THROW(dev->read_stats(s), nic::DeviceDead);
  EXPECT_EQ(s.rx_packets, 0u) << "no garbage counted";
  EXPECT_FALSE(dev->link().up);
  std::vector<nic::Packet> rx(8);
  EXPECT_EQ(dev->rx_batch(0, rx), 0u);  // descriptors never complete: nothing, no hang
  dev.reset();                          // teardown still returns everything
  EXPECT_EQ(nic_.dma_regions(), 0u);
}

TEST_F(InitSequence, RejectsBadRingSizesAndQueueCounts) {
  nic::DeviceConfig cfg;
  cfg.rx_ring_size = 100;
  EXPECT_THROW(nic::open_device(mock_, cfg), nic::Error);
  cfg = {};
  cfg.tx_queues = 0;
  EXPECT_THROW(nic::open_device(mock_, cfg), nic::Error);
}

TEST_F(InitSequence, RejectsUnsupportedDevice) {
  ON_CALL(mock_, identity()).WillByDefault(testing::Return(nic::PciId{0x8086, 0x1234, 0x020000}));
  try {
    nic::open_device(mock_, nic::DeviceConfig{});
    FAIL();
  } catch (const nic::Error& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("unsupported device 8086:1234"));
  }
  ON_CALL(mock_, identity()).WillByDefault(testing::Return(nic::PciId{0x8086, 0x10FB, 0x010000}));
  EXPECT_THROW(nic::open_device(mock_, nic::DeviceConfig{}), nic::Error);
}

}  // namespace
