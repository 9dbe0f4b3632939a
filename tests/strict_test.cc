// Strict mode (sim/strict.h): every rule in the table fires on a register sequence that breaks it, names its
// datasheet section, and stays silent for the driver's own init, traffic, teardown and recovery.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <map>
#include <string>

#include "driver/device.h"
#include "driver/ixgbe/regs.h"
#include "sim/sim_backend.h"
#include "sim/strict.h"
#include "tests/testbed.h"

namespace {

using namespace nic::ixgbe;

// One strict port, programmed by hand.
struct Port {
  sim::World world;
  sim::SimNic nic{world, testbed::port_config(0, /*strict=*/true)};
  sim::Ixgbe82599& dev = nic.device();
  nic::DmaRegion ring = nic.dma_alloc(64 * 16, 4096);
  Port() { nic::set_log_level(nic::LogLevel::kError); }
  ~Port() { nic.dma_free(ring); }
  uint32_t rd(uint32_t off) { return dev.read32(off); }
  void wr(uint32_t off, uint32_t v) { dev.write32(off, v); }

  // The parts of the datasheet sequence a broken variant starts from, each correct on its own.
  void reset_and_wait() {
    wr(CTRL.at(), ctrl::kResetMask);
    world.advance(20'000'000);  // > 1 ms quiet, > EEPROM auto-read and DMA init
  }
  void rx_ring(uint32_t q = 0) {
    wr(RDBAL.at(q), static_cast<uint32_t>(ring.iova));
    wr(RDBAH.at(q), static_cast<uint32_t>(ring.iova >> 32));
    wr(RDLEN.at(q), 64 * 16);
  }
  void tx_ring(uint32_t q = 0) {
    wr(TDBAL.at(q), static_cast<uint32_t>(ring.iova));
    wr(TDBAH.at(q), static_cast<uint32_t>(ring.iova >> 32));
    wr(TDLEN.at(q), 64 * 16);
  }
  void rdrxctl_ok() {
    uint32_t v = rdrxctl::kRscFirstSize.set(rd(RDRXCTL.at()), 0);
    wr(RDRXCTL.at(), v | rdrxctl::kRscAckC.mask() | rdrxctl::kFcoeWriteFix.mask() | rdrxctl::kCrcStrip.mask());
  }
  void dca_ok(uint32_t q = 0) { wr(DCA_RXCTRL.at(q), rd(DCA_RXCTRL.at(q)) & ~dca_rxctrl::kReservedMustBeZero.mask()); }
  void rx_queue_on(uint32_t q = 0) { wr(RXDCTL.at(q), rxdctl::kEnable.mask()); }
  void rx_on() { wr(RXCTRL.at(), rxctrl::kRxEnable.mask()); }
};

// Each rule, broken on purpose. Only the named rule is asserted: a broken sequence may break others too.
const std::map<std::string, std::function<void(Port&)>>& breakers() {
  static const std::map<std::string, std::function<void(Port&)>> m = {
      {"mmio.access-during-reset",
       [](Port& p) {
         p.wr(CTRL.at(), ctrl::kResetMask);
         p.rd(STATUS.at());  // within 1 ms
       }},
      {"init.rxen-before-init-done",
       [](Port& p) {
         p.wr(CTRL.at(), ctrl::kResetMask);
         p.world.advance(1'000'000);  // the quiet period, but not the EEPROM auto-read / DMA init
         p.rdrxctl_ok();
         p.rx_on();
       }},
      {"init.rxq-enable-before-ring",
       [](Port& p) {
         p.reset_and_wait();
         p.wr(RDLEN.at(0), 64 * 16);  // no RDBAL
         p.rx_queue_on();
       }},
      {"init.txq-enable-before-ring",
       [](Port& p) {
         p.reset_and_wait();
         p.wr(DMATXCTL.at(), dmatxctl::kTxEnable.mask());
         p.wr(TXDCTL.at(0), txdctl::kEnable.mask());
       }},
      {"init.txq-enable-before-dmatxctl",
       [](Port& p) {
         p.reset_and_wait();
         p.tx_ring();
         p.wr(TXDCTL.at(0), txdctl::kEnable.mask());
       }},
      {"reserved.dca-rxctrl-bit12",
       [](Port& p) {  // ixy before its fix: DCA_RXCTRL bit 12 left at its reset value 1
         p.reset_and_wait();
         p.rdrxctl_ok();
         p.rx_ring();
         p.rx_queue_on();
         p.rx_on();
       }},
      {"reserved.rdrxctl",
       [](Port& p) {  // RSCFRSTSIZE at its reset value, RSCACKC/FCOE_WRFIX clear
         p.reset_and_wait();
         p.rx_ring();
         p.dca_ok();
         p.rx_queue_on();
         p.rx_on();
       }},
      {"reserved.eimc-bit31", [](Port& p) { p.wr(EIMC.at(), 0xFFFFFFFF); }},  // ixy's IXGBE_IRQ_CLEAR_MASK
      {"reserved.dtxmxszrq", [](Port& p) { p.wr(DTXMXSZRQ.at(), 0xFFFF); }},  // ixy's 16-bit value
      {"fctrl.changed-while-rx-enabled",
       [](Port& p) {
         p.reset_and_wait();
         p.rdrxctl_ok();
         p.rx_on();
         p.wr(FCTRL.at(), fctrl::kUnicastPromisc.mask());
       }},
      {"queue.rx-changed-while-enabled",
       [](Port& p) {
         p.reset_and_wait();
         p.rx_ring();
         p.rx_queue_on();
         p.wr(RDLEN.at(0), 32 * 16);
       }},
      {"queue.tx-changed-while-enabled",
       [](Port& p) {
         p.reset_and_wait();
         p.tx_ring();
         p.wr(DMATXCTL.at(), dmatxctl::kTxEnable.mask());
         p.wr(TXDCTL.at(0), txdctl::kEnable.mask());
         p.wr(TXDCTL.at(0), txdctl::kEnable.mask() | txdctl::kWritebackThresh.make(8));
       }},
      {"ring.base-misaligned", [](Port& p) { p.wr(TDBAL.at(0), static_cast<uint32_t>(p.ring.iova) + 0x40); }},
      {"ring.bad-length", [](Port& p) { p.wr(RDLEN.at(0), 100 * 16); }},
      {"rdt.out-of-range",
       [](Port& p) {
         p.rx_ring();
         p.wr(RDT.at(0), 64);
       }},
      {"tdt.out-of-range",
       [](Port& p) {
         p.tx_ring();
         p.wr(TDT.at(0), 64);
       }},
      {"txdctl.thresholds",
       [](Port& p) {
         p.wr(TXDCTL.at(0), txdctl::kPrefetchThresh.make(36) | txdctl::kWritebackThresh.make(8));
       }},
  };
  return m;
}

class StrictRule : public ::testing::TestWithParam<sim::Rule> {};

TEST_P(StrictRule, FiresOnABrokenSequenceWithItsSection) {
  const sim::Rule& rule = GetParam();
  auto it = breakers().find(std::string(rule.id));
  ASSERT_NE(it, breakers().end()) << "rule " << rule.id << " has no test that breaks it: add one to breakers()";
  Port p;
  it->second(p);
  EXPECT_GE(p.dev.diag().count(std::string(rule.id)), 1u) << p.dev.diag().summary();
  bool sectioned = false;
  for (const sim::Violation& v : p.dev.diag().log())
    if (v.rule == rule.id) sectioned = v.section == rule.section;
  EXPECT_TRUE(sectioned) << "report carries the datasheet section " << rule.section;
}

INSTANTIATE_TEST_SUITE_P(AllRules, StrictRule, ::testing::ValuesIn(sim::kRules),
                         [](const ::testing::TestParamInfo<sim::Rule>& p) {
                           std::string n(p.param.id);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(StrictRules, EveryBreakerNamesARuleInTheTable) {
  for (const auto& [id, fn] : breakers()) EXPECT_NE(sim::find_rule(id), nullptr) << id;
}

// Strict-only rules stay quiet outside strict mode (register-level tests program ports out of order).
TEST(StrictRules, OnlyTheAlwaysRulesFireOutsideStrictMode) {
  for (const sim::Rule& rule : sim::kRules) {
    Port p;
    p.dev.set_strict(false);
    breakers().at(std::string(rule.id))(p);
    EXPECT_EQ(p.dev.diag().count(std::string(rule.id)) > 0, rule.always) << rule.id;
  }
}

// The driver against every rule: init, traffic both ways, a filter change, a recovery, teardown.
class StrictDriver : public testbed::NoDiagnostics {};

TEST_F(StrictDriver, InitTrafficRecoveryAndTeardownBreakNoRule) {
  testbed::CabledPair p;
  ASSERT_TRUE(p.a.device().config().strict && p.b.device().config().strict);
  nic::Mempool pool(p.a, 256);
  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 1000;
  auto a = nic::open_device(p.a, cfg);
  auto b = nic::open_device(p.b, cfg);
  std::vector<nic::Packet> batch(32), rx(64);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i] = nic::Packet::alloc(pool, 60);
    testbed::make_frame(batch[i].data(), 60, b->mac(), static_cast<uint32_t>(i));
  }
  ASSERT_EQ(a->tx_batch(0, batch), 32u);
  p.world.advance(100'000);
  EXPECT_EQ(b->rx_batch(0, rx), 32u);
  b->set_promiscuous(false);
  b->set_promiscuous(true);
  p.b.device().fault_reset();  // the device resets itself; the watchdog re-initializes it
  EXPECT_EQ(b->watchdog(), nic::Health::kRecovered);
  p.world.advance(100'000'000);
  EXPECT_EQ(b->watchdog(), nic::Health::kOk);
  for (auto& r : rx) r.reset();
  a->shutdown();
  b->shutdown();
  EXPECT_EQ(p.a.device().diag().total() + p.b.device().diag().total(), 0u)
      << p.a.device().diag().summary() << p.b.device().diag().summary();
}

}  // namespace
