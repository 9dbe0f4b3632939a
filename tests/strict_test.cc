// Strict mode (sim/strict.h): every rule in the table fires on a register sequence that breaks it (rx and tx
// variants both, where the datasheet states a rule for both directions), names its datasheet section, and
// stays silent for legal sequences: the driver's own init, traffic, teardown and recovery, and the steps Linux
// and DPDK take that this driver does not (the datasheet allows them).
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <map>
#include <string>

#include "driver/ring/descriptors.h"
#include "driver/device/device.h"
#include "driver/ixgbe/regs.h"
#include "sim/sim_backend.h"
#include "sim/strict.h"
#include "tests/testbed.h"

namespace {

using namespace nic::ixgbe;

constexpr uint32_t kRing = 64;  // descriptors in the test rings

// One strict port, programmed by hand.
struct Port {
  sim::World world;
  sim::Sink sink;  // what the port transmits, once link_up() cabled it
  sim::SimNic nic{world, testbed::port_config(0, /*strict=*/true)};
  sim::Ixgbe82599& dev = nic.device();
  nic::DmaRegion ring = nic.dma_alloc(kRing * 16, 4096);
  nic::DmaRegion bufs = nic.dma_alloc(kRing * 2048, 4096);
  Port() { nic::set_log_level(nic::LogLevel::kError); }
  ~Port() {
    nic.dma_free(ring);
    nic.dma_free(bufs);
  }
  uint32_t rd(uint32_t off) { return dev.read32(off); }
  void wr(uint32_t off, uint32_t v) { dev.write32(off, v); }
  void set(const nic::reg::RegDef& d, uint32_t bits, uint32_t q = 0) { wr(d.at(q), rd(d.at(q)) | bits); }
  void clear(const nic::reg::RegDef& d, uint32_t bits, uint32_t q = 0) { wr(d.at(q), rd(d.at(q)) & ~bits); }
  uint64_t count(const std::string& rule) const { return dev.diag().count(rule); }

  // The parts of the datasheet sequence a broken variant starts from, each correct on its own.
  void reset_and_wait() {
    wr(CTRL.at(), ctrl::kResetMask);
    world.advance(20'000'000);  // > 1 ms quiet, > 10 ms settling, > EEPROM auto-read and DMA init
  }
  void rx_ring(uint32_t q = 0) {
    wr(RDBAL.at(q), static_cast<uint32_t>(ring.iova));
    wr(RDBAH.at(q), static_cast<uint32_t>(ring.iova >> 32));
    wr(RDLEN.at(q), kRing * 16);
  }
  void tx_ring(uint32_t q = 0) {
    wr(TDBAL.at(q), static_cast<uint32_t>(ring.iova));
    wr(TDBAH.at(q), static_cast<uint32_t>(ring.iova >> 32));
    wr(TDLEN.at(q), kRing * 16);
  }
  void rdrxctl_ok() {
    uint32_t v = rdrxctl::kRscFirstSize.set(rd(RDRXCTL.at()), 0);
    wr(RDRXCTL.at(), v | rdrxctl::kRscAckC.mask() | rdrxctl::kFcoeWriteFix.mask() | rdrxctl::kCrcStrip.mask());
  }
  void dca_ok(uint32_t q = 0) { clear(DCA_RXCTRL, dca_rxctrl::kReservedMustBeZero.mask(), q); }
  void ns_dis_ok() { set(CTRL_EXT, ctrl_ext::kNoSnoopDisable.mask()); }
  void fcrth_ok() { wr(FCRTH.at(0), 512 * 1024 - fcrth::kBelowBufferSize); }
  // Every receive setting §4.6.7 wants before RXEN, except the security block halt and the queues.
  void rx_settings_ok() {
    rdrxctl_ok();
    dca_ok();
    ns_dis_ok();
    fcrth_ok();
  }
  // §4.6.7: halt the rx security block and wait for it to report empty.
  void secrx_halt() {
    set(SECRXCTRL, secrxctrl::kRxDisable.mask());
    EXPECT_TRUE(rd(SECRXSTAT.at()) & secrxstat::kReady.mask());
  }
  void secrx_release() { clear(SECRXCTRL, secrxctrl::kRxDisable.mask()); }
  void rx_queue_on(uint32_t q = 0) { wr(RXDCTL.at(q), rxdctl::kEnable.mask()); }
  // Enable and poll until ENABLE reads back 1 (§4.6.7).
  void rx_queue_on_and_wait(uint32_t q = 0) {
    rx_queue_on(q);
    world.advance(world.params().queue_enable_ns);
    EXPECT_TRUE(rd(RXDCTL.at(q)) & rxdctl::kEnable.mask());
  }
  void rx_on() { wr(RXCTRL.at(), rxctrl::kRxEnable.mask()); }
  // RXEN the way §4.6.7 sets it: with the security block halted around it.
  void rx_on_halted() {
    secrx_halt();
    rx_on();
    secrx_release();
  }
  // The whole legal receive bring-up of queue 0.
  void rx_up() {
    reset_and_wait();
    rx_settings_ok();
    rx_ring();
    rx_queue_on_and_wait();
    wr(RDT.at(0), kRing - 1);
    rx_on_halted();
  }
  void tx_on() { set(DMATXCTL, dmatxctl::kTxEnable.mask()); }
  void tx_queue_on(uint32_t q = 0) { set(TXDCTL, txdctl::kEnable.mask(), q); }
  void tx_queue_on_and_wait(uint32_t q = 0) {
    tx_queue_on(q);
    world.advance(world.params().queue_enable_ns);
    EXPECT_TRUE(rd(TXDCTL.at(q)) & txdctl::kEnable.mask());
  }
  // A cable to a sink and an auto-negotiation restart: the link comes up.
  void link_up() {
    dev.connect(&sink);
    wr(AUTOC.at(), rd(AUTOC.at()) | autoc::kAnRestart.mask());
    world.advance(world.params().link_up_ns);
  }
  // The whole legal transmit bring-up of queue 0, on a port whose link is up.
  void tx_up() {
    reset_and_wait();
    link_up();
    tx_ring();
    tx_on();
    tx_queue_on_and_wait();
  }
  // Queues one frame on tx descriptor `i` (with RS) whose data descriptor says `len` bytes.
  void tx_desc(uint32_t i, uint32_t len) {
    auto* d = static_cast<nic::AdvTxDesc*>(ring.virt);
    d[i].read.buffer_addr = bufs.iova;
    d[i].read.cmd_type_len = nic::txd::kCmdEop | nic::txd::kCmdIfcs | nic::txd::kCmdDext | nic::txd::kTypeData |
                             nic::txd::kCmdRs | len;
    d[i].read.olinfo_status = len << nic::txd::kPaylenShift;
  }
};

// Each rule, broken on purpose. Only the named rule is asserted: a broken sequence may break others too.
const std::map<std::string, std::function<void(Port&)>>& breakers() {
  static const std::map<std::string, std::function<void(Port&)>> m = {
      // --- Reset and general configuration
      {"mmio.access-during-reset",
       [](Port& p) {
         p.wr(CTRL.at(), ctrl::kResetMask);
         p.rd(STATUS.at());  // within 1 ms
       }},
      {"init.write-before-reset-settled",
       [](Port& p) {
         p.wr(CTRL.at(), ctrl::kResetMask);
         p.world.advance(2'000'000);  // past the 1 ms quiet period, not the 10 ms of §4.6.3.2
         p.wr(EIMC.at(), eicr::kAllCauses);
       }},
      {"init.rxen-before-init-done",
       [](Port& p) {
         p.wr(CTRL.at(), ctrl::kResetMask);
         p.world.advance(1'000'000);  // the quiet period, but not the EEPROM auto-read / DMA init
         p.rdrxctl_ok();
         p.rx_on();
       }},
      {"init.txen-before-init-done",
       [](Port& p) {
         p.wr(CTRL.at(), ctrl::kResetMask);
         p.world.advance(1'000'000);
         p.tx_on();
       }},
      {"init.fcrth-unset",
       [](Port& p) {  // this driver before #15: FCRTH left at 0
         p.reset_and_wait();
         p.rdrxctl_ok();
         p.dca_ok();
         p.ns_dis_ok();
         p.rx_on_halted();
       }},
      // --- Receive
      {"init.rxq-enable-before-ring",
       [](Port& p) {
         p.reset_and_wait();
         p.wr(RDLEN.at(0), kRing * 16);  // no RDBAL
         p.rx_queue_on();
       }},
      {"init.rdt-before-rxq-enabled",
       [](Port& p) {  // the tail handed over right after the enable write, before ENABLE reads back 1
         p.reset_and_wait();
         p.rx_ring();
         p.rx_queue_on();
         p.wr(RDT.at(0), kRing - 1);
       }},
      {"init.rxen-without-secrx-halt",
       [](Port& p) {  // this driver and ixy before #15: RXEN set with the security block running
         p.reset_and_wait();
         p.rx_settings_ok();
         p.rx_on();
       }},
      {"init.ns-dis-clear",
       [](Port& p) {
         p.reset_and_wait();
         p.rdrxctl_ok();
         p.dca_ok();
         p.fcrth_ok();
         p.rx_on_halted();
       }},
      {"rdrxctl.crcstrip-mismatch",
       [](Port& p) {  // HLREG0.RXCRCSTRP resets to 1; RDRXCTL.CRCStrip left 0
         p.reset_and_wait();
         p.wr(RDRXCTL.at(), rdrxctl::kRscAckC.mask() | rdrxctl::kFcoeWriteFix.mask());
         p.dca_ok();
         p.ns_dis_ok();
         p.fcrth_ok();
         p.rx_on_halted();
       }},
      // --- Transmit
      {"init.txq-enable-before-ring",
       [](Port& p) {
         p.reset_and_wait();
         p.tx_on();
         p.tx_queue_on();
       }},
      {"init.txq-enable-before-dmatxctl",
       [](Port& p) {
         p.reset_and_wait();
         p.tx_ring();
         p.tx_queue_on();
       }},
      {"init.tdt-before-txq-enabled",
       [](Port& p) {  // a frame handed over before TXDCTL.ENABLE reads back 1
         p.reset_and_wait();
         p.tx_ring();
         p.tx_on();
         p.tx_queue_on();
         p.wr(TDT.at(0), 1);
       }},
      {"init.tx-config-while-arbiter-on",
       [](Port& p) {  // this driver before #15 and ixy: the tx packet buffer sized with the arbiter running
         p.reset_and_wait();
         p.wr(TXPBTHRESH.at(0), 0xA0);
       }},
      {"init.txen-while-arbiter-off",
       [](Port& p) {  // ARBDIS set for the configuration, never cleared
         p.reset_and_wait();
         p.set(RTTDCS, rttdcs::kArbiterDisable.mask());
         p.wr(TXPBTHRESH.at(0), 0xA0);
         p.tx_on();
       }},
      {"dmatxctl.changed-while-tx-enabled",
       [](Port& p) {
         p.reset_and_wait();
         p.tx_on();
         p.set(DMATXCTL, 1u << 3);  // GDV (global double VLAN) with TE already set
       }},
      // --- Reserved bits
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
      // --- While enabled
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
         p.tx_on();
         p.wr(TXDCTL.at(0), txdctl::kEnable.mask());
         p.wr(TXDCTL.at(0), txdctl::kEnable.mask() | txdctl::kWritebackThresh.make(8));
       }},
      {"rdh.written-while-rx-enabled",
       [](Port& p) {  // DPDK's rx queue start (RDH = 0 after the enable) with receive already running
         p.rx_up();
         p.wr(RDH.at(0), 0);
       }},
      {"tdh.written-while-tx-enabled",
       [](Port& p) {  // DPDK's tx queue start before its fix: TDH = 0 after the enable
         p.reset_and_wait();
         p.tx_ring();
         p.tx_on();
         p.tx_queue_on_and_wait();
         p.wr(TDH.at(0), 0);
       }},
      // --- Values
      {"ring.rx-base-misaligned", [](Port& p) { p.wr(RDBAL.at(0), static_cast<uint32_t>(p.ring.iova) + 0x40); }},
      {"ring.tx-base-misaligned", [](Port& p) { p.wr(TDBAL.at(0), static_cast<uint32_t>(p.ring.iova) + 0x40); }},
      {"ring.rx-bad-length", [](Port& p) { p.wr(RDLEN.at(0), 100 * 16); }},
      {"ring.tx-bad-length", [](Port& p) { p.wr(TDLEN.at(0), 100 * 16); }},
      {"rdh.out-of-range",
       [](Port& p) {
         p.rx_ring();
         p.wr(RDH.at(0), kRing);
       }},
      {"tdh.out-of-range",
       [](Port& p) {
         p.tx_ring();
         p.wr(TDH.at(0), kRing);
       }},
      {"rdt.out-of-range",
       [](Port& p) {
         p.rx_ring();
         p.wr(RDT.at(0), kRing);
       }},
      {"tdt.out-of-range",
       [](Port& p) {
         p.tx_ring();
         p.wr(TDT.at(0), kRing);
       }},
      {"srrctl.bsizepacket-range",
       [](Port& p) {
         p.reset_and_wait();
         p.rx_ring();
         p.wr(SRRCTL.at(0), srrctl::kDescType.make(srrctl::kDescTypeAdvOneBuf));  // BSIZEPACKET 0
         p.rx_queue_on();
       }},
      {"srrctl.header-split",
       [](Port& p) {
         p.reset_and_wait();
         p.rx_ring();
         p.wr(SRRCTL.at(0), srrctl::kDescType.make(2) | srrctl::kBsizePacket.make(2));  // advanced, header split
         p.rx_queue_on();
       }},
      {"txdctl.thresholds",
       [](Port& p) {
         p.wr(TXDCTL.at(0), txdctl::kPrefetchThresh.make(36) | txdctl::kHostThresh.make(8) |
                                txdctl::kWritebackThresh.make(8));
       }},
      {"txdctl.hthresh-zero", [](Port& p) { p.wr(TXDCTL.at(0), txdctl::kPrefetchThresh.make(32)); }},
      // --- Descriptors
      {"txd.zero-length",
       [](Port& p) {
         p.tx_up();
         p.tx_desc(0, 0);
         p.wr(TDT.at(0), 1);
         p.world.advance(1'000'000);
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
  EXPECT_GE(p.count(std::string(rule.id)), 1u) << p.dev.diag().summary();
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
  for (const auto& [id, fn] : breakers()) {
    const sim::Rule* r = sim::find_rule(id);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_FALSE(r->section.empty()) << id << " is a model diagnostic, not a datasheet rule";
  }
}

// Rows of the table: every datasheet rule names a section; model diagnostics name none and are not rules.
TEST(StrictRules, DatasheetRulesHaveSectionsModelDiagnosticsDoNot) {
  for (const sim::Rule& r : sim::kRules) EXPECT_FALSE(r.section.empty()) << r.id;
  for (const sim::Rule& r : sim::kModelDiagnostics) {
    EXPECT_TRUE(r.section.empty()) << r.id;
    EXPECT_TRUE(r.always) << r.id;
  }
  // Rules about the transmit side cite transmit sections (§8.2.3.9, §4.6.8, §7.2), never receive ones.
  for (const sim::Rule& r : sim::kRules) {
    const std::string id(r.id), s(r.section);
    const bool tx = id.rfind("tdt.", 0) == 0 || id.rfind("tdh.", 0) == 0 || id.find(".tx") != std::string::npos ||
                    id.find("txq") != std::string::npos || id.rfind("txd", 0) == 0 || id.find("txen") != std::string::npos;
    if (!tx) continue;
    EXPECT_TRUE(s.rfind("8.2.3.9", 0) == 0 || s.rfind("4.6.8", 0) == 0 || s.rfind("7.2", 0) == 0 || s == "4.6.3")
        << id << " cites " << s;
  }
}

// Strict-only rules stay quiet outside strict mode (register-level tests program ports out of order).
TEST(StrictRules, OnlyTheAlwaysRulesFireOutsideStrictMode) {
  for (const sim::Rule& rule : sim::kRules) {
    Port p;
    p.dev.set_strict(false);
    breakers().at(std::string(rule.id))(p);
    EXPECT_EQ(p.count(std::string(rule.id)) > 0, rule.always) << rule.id;
  }
}

// --- Variants of the rules above that the one breaker per rule does not cover.

// The tail may not be bumped before the queue is enabled at all, either (rx and tx).
TEST(StrictRules, TailBumpedBeforeTheQueueIsEnabledAtAll) {
  Port p;
  p.reset_and_wait();
  p.rx_ring();
  p.wr(RDT.at(0), kRing - 1);
  EXPECT_EQ(p.count("init.rdt-before-rxq-enabled"), 1u);
  p.tx_ring();
  p.wr(TDT.at(0), 3);
  EXPECT_EQ(p.count("init.tdt-before-txq-enabled"), 1u);
}

// Once the enable reads back 1 the tail is free to move; a disable (or a device reset) takes that back.
TEST(StrictRules, TheEnableReadBackLastsUntilTheQueueIsDisabled) {
  Port p;
  p.reset_and_wait();
  p.rx_ring();
  p.rx_queue_on_and_wait();
  p.wr(RDT.at(0), kRing - 1);
  p.wr(RDT.at(0), 5);
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
  p.wr(RXDCTL.at(0), 0);
  p.wr(RDT.at(0), 7);
  EXPECT_EQ(p.count("init.rdt-before-rxq-enabled"), 1u);
}

// RX_DIS set but SECRX_RDY never read: the halt was not waited for.
TEST(StrictRules, RxenAfterAHaltThatWasNotWaitedFor) {
  Port p;
  p.reset_and_wait();
  p.rx_settings_ok();
  p.set(SECRXCTRL, secrxctrl::kRxDisable.mask());
  p.rx_on();
  EXPECT_EQ(p.count("init.rxen-without-secrx-halt"), 1u) << p.dev.diag().summary();
}

// The CRC strip bits must agree while receive runs too, not only when it starts.
TEST(StrictRules, CrcStripChangedWhileReceiving) {
  Port p;
  p.rx_up();
  ASSERT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
  p.clear(HLREG0, hlreg0::kRxCrcStrip.mask());
  EXPECT_EQ(p.count("rdrxctl.crcstrip-mismatch"), 1u);
}

// Header splitting with "always use header buffer" (101b) is header splitting too; the reserved-free legacy
// type (000b) is legal, though the model does not implement it.
TEST(StrictRules, HeaderSplitAlwaysAndLegacyDescriptors) {
  Port p;
  p.reset_and_wait();
  p.rx_ring();
  p.wr(SRRCTL.at(0), srrctl::kDescType.make(5) | srrctl::kBsizePacket.make(2));
  p.rx_queue_on();
  EXPECT_EQ(p.count("srrctl.header-split"), 1u);
  p.rx_ring(1);
  p.wr(SRRCTL.at(1), srrctl::kBsizePacket.make(2));  // legacy
  p.rx_queue_on(1);
  EXPECT_EQ(p.count("srrctl.header-split"), 1u);
  EXPECT_EQ(p.count("srrctl.bsizepacket-range"), 0u);
}

// A head out of range is caught when the queue is enabled, whichever order the registers were written in.
TEST(StrictRules, HeadOutOfRangeAtQueueEnable) {
  Port p;
  p.reset_and_wait();
  p.wr(RDH.at(0), kRing + 3);  // no ring yet: nothing to compare with
  p.wr(TDH.at(0), kRing + 3);
  EXPECT_EQ(p.count("rdh.out-of-range") + p.count("tdh.out-of-range"), 0u);
  p.rx_ring();
  p.wr(SRRCTL.at(0), srrctl::kDescType.make(srrctl::kDescTypeAdvOneBuf) | srrctl::kBsizePacket.make(2));
  p.rx_queue_on();
  EXPECT_EQ(p.count("rdh.out-of-range"), 1u);
  p.tx_ring();
  p.tx_on();
  p.tx_queue_on();
  EXPECT_EQ(p.count("tdh.out-of-range"), 1u);
}

// ARBDIS guards every register §4.6.8 lists: DTXMXSZRQ, TXPBSIZE, TXPBTHRESH, MTQC, MNGTXMAP.
TEST(StrictRules, EveryArbiterGuardedRegister) {
  for (const nic::reg::RegDef* d : {&DTXMXSZRQ, &TXPBSIZE, &TXPBTHRESH, &MTQC, &MNGTXMAP}) {
    Port p;
    p.reset_and_wait();
    p.wr(d->at(), p.rd(d->at()) ^ 0x10);
    EXPECT_EQ(p.count("init.tx-config-while-arbiter-on"), 1u) << d->name;
    p.set(RTTDCS, rttdcs::kArbiterDisable.mask());
    p.wr(d->at(), p.rd(d->at()) ^ 0x10);
    EXPECT_EQ(p.count("init.tx-config-while-arbiter-on"), 1u) << d->name << " with ARBDIS set";
  }
}

// A TXDCTL.ENABLE with the arbiter still disabled is the tx queue variant of init.txen-while-arbiter-off.
TEST(StrictRules, TxQueueEnabledWithTheArbiterDisabled) {
  Port p;
  p.reset_and_wait();
  p.tx_ring();
  p.tx_on();
  p.set(RTTDCS, rttdcs::kArbiterDisable.mask());
  p.tx_queue_on();
  EXPECT_EQ(p.count("init.txen-while-arbiter-off"), 1u);
}

// --- Legal sequences: none of these may be flagged.

// Linux's and DPDK's shared 82599 init order, by hand (ixgbe_init_hw / ixgbe_configure and the queue starts):
// FCRTH set for PB[0], the tx configuration inside an ARBDIS window with MTQC, TDH/TDT and RDH/RDT zeroed
// while the queues are off, the enables polled, RDT = n - 1, RXEN inside the SECRXCTRL halt, and the tx
// security block halt Linux uses when it reconfigures transmit.
TEST(StrictLegal, LinuxAndDpdkInitOrderIsClean) {
  Port p;
  p.wr(EIMC.at(), eicr::kAllCauses);
  p.wr(CTRL.at(), ctrl::kResetMask);
  p.world.advance(1'000'000);
  while (p.rd(CTRL.at()) & ctrl::kResetMask) p.world.advance(10'000);
  p.world.advance(10'000'000);  // §4.6.3.2
  p.wr(EIMC.at(), eicr::kAllCauses);
  (void)p.rd(EICR.at());
  while (!(p.rd(EEC.at()) & eec::kAutoReadDone.mask())) p.world.advance(100'000);
  while (!(p.rd(RDRXCTL.at()) & rdrxctl::kDmaInitDone.mask())) p.world.advance(100'000);
  p.set(CTRL_EXT, ctrl_ext::kNoSnoopDisable.mask() | ctrl_ext::kDriverLoaded.mask());
  // Flow control off: FCRTH = RXPBSIZE - 24 KB all the same (ixgbe_fc_enable_generic).
  p.wr(FCRTH.at(0), p.rd(RXPBSIZE.at(0)) - 0x6000);
  for (uint32_t i = 1; i < 8; ++i) p.wr(RXPBSIZE.at(i), 0);
  p.rdrxctl_ok();
  p.set(FCTRL, fctrl::kBroadcastAccept.mask());
  // Transmit: the packet buffers and MTQC with the arbiter disabled (ixgbe_setup_mtqc).
  p.set(RTTDCS, rttdcs::kArbiterDisable.mask());
  p.wr(TXPBTHRESH.at(0), 0x96);
  p.wr(DTXMXSZRQ.at(), dtxmxszrq::kMaxBytesNumReq.mask());
  p.wr(MTQC.at(), 0);
  p.wr(MNGTXMAP.at(), 0);
  p.clear(RTTDCS, rttdcs::kArbiterDisable.mask());
  p.tx_on();
  p.tx_ring();
  p.wr(TDH.at(0), 0);
  p.wr(TDT.at(0), 0);
  p.wr(TXDCTL.at(0), txdctl::kPrefetchThresh.make(32) | txdctl::kHostThresh.make(1) | txdctl::kWritebackThresh.make(1));
  p.tx_queue_on_and_wait();
  // Receive: ring, RDH/RDT zeroed, SRRCTL, DCA bit 12, enable, poll, bump.
  p.rx_ring();
  p.wr(RDH.at(0), 0);
  p.wr(RDT.at(0), 0);
  p.wr(SRRCTL.at(0), srrctl::kDescType.make(srrctl::kDescTypeAdvOneBuf) | srrctl::kBsizePacket.make(2) |
                         srrctl::kDropEnable.mask());
  p.dca_ok();
  p.rx_queue_on_and_wait();
  p.wr(RDT.at(0), kRing - 1);
  // ixgbe_enable_rx_dma_82599: RXEN inside the security block halt.
  p.rx_on_halted();
  // ixgbe_disable_sec_tx_path / enable_sec_tx_path, as Linux brackets transmit reconfiguration.
  p.set(SECTXCTRL, sectxctrl::kTxDisable.mask());
  EXPECT_TRUE(p.rd(SECTXSTAT.at()) & sectxstat::kReady.mask());
  p.clear(SECTXCTRL, sectxctrl::kTxDisable.mask());
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
}

// DPDK's rx queue start writes RDH = 0 after RXDCTL.ENABLE reads back 1 and before RXEN: legal (see the RDH
// decision in sim/strict.h). So is the same write on a queue that is off while receive runs for others.
// A driver that waited its 10 ms by its own clock while the simulator stalled (a paced runner skips the wall
// time beyond its bounded step, sim/runner.h): the wait is measured on World::clock_ns, so it is not short.
// (Seen over vfio-user: nicsim_server stalled while our driver reset a port.) Virtual time alone would flag it.
TEST(StrictLegal, AResetWaitedForByTheDriversClockWhileTheSimulatorStalled) {
  Port p;
  p.wr(CTRL.at(), ctrl::kResetMask);
  p.world.advance(2'000'000);
  p.world.add_skipped(9'000'000);  // 9 ms the simulator never simulated
  p.wr(EIMC.at(), eicr::kAllCauses);
  EXPECT_EQ(p.count("init.write-before-reset-settled"), 0u);
  p.wr(CTRL.at(), ctrl::kResetMask);
  p.world.advance(2'000'000);  // no stall: 2 ms is short by any clock
  p.wr(EIMC.at(), eicr::kAllCauses);
  EXPECT_EQ(p.count("init.write-before-reset-settled"), 1u);
}

TEST(StrictLegal, RdhWrittenOnAQueueThatIsNotReceiving) {
  Port p;
  p.reset_and_wait();
  p.rx_settings_ok();
  p.rx_ring();
  p.rx_queue_on_and_wait();
  p.wr(RDH.at(0), 0);  // queue enabled, RXEN = 0
  p.wr(RDT.at(0), kRing - 1);
  p.rx_on_halted();
  p.rx_ring(1);
  p.wr(RDH.at(1), 0);  // RXEN = 1, queue 1 off
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
}

// §4.6.7.1 / §4.6.8.1: a queue disabled, reprogrammed and enabled again while the port runs.
TEST(StrictLegal, QueueRestartWhileThePortRuns) {
  Port p;
  p.rx_up();
  p.tx_ring();
  p.tx_on();
  p.tx_queue_on_and_wait();
  p.clear(RXDCTL, rxdctl::kEnable.mask());
  p.clear(TXDCTL, txdctl::kEnable.mask());
  EXPECT_FALSE(p.rd(RXDCTL.at(0)) & rxdctl::kEnable.mask());
  EXPECT_FALSE(p.rd(TXDCTL.at(0)) & txdctl::kEnable.mask());
  p.rx_ring();
  p.wr(RDH.at(0), 0);
  p.wr(RDT.at(0), 0);
  p.rx_queue_on_and_wait();
  p.wr(RDT.at(0), kRing - 1);
  p.tx_ring();
  p.wr(TDH.at(0), 0);
  p.wr(TDT.at(0), 0);
  p.tx_queue_on_and_wait();
  p.wr(TDT.at(0), 0);
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
}

// Linux's ixgbe stops a tx queue with one write of TXDCTL = SWFLSH: ENABLE and the thresholds go to 0 together.
TEST(StrictLegal, TxQueueStoppedByAWriteThatAlsoClearsItsThresholds) {
  Port p;
  p.reset_and_wait();
  p.tx_ring();
  p.tx_on();
  p.wr(TXDCTL.at(0), txdctl::kEnable.mask() | txdctl::kWritebackThresh.make(8) | txdctl::kHostThresh.make(1) |
                         txdctl::kPrefetchThresh.make(32));  // 0x02080120, as Linux sets it
  p.wr(TXDCTL.at(0), txdctl::kSwFlush.mask());
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
}

// Filters change with RXEN off, and RXEN comes back on inside the halt (the driver's set_promiscuous).
TEST(StrictLegal, FilterChangeInsideAnRxenPause) {
  Port p;
  p.rx_up();
  p.clear(RXCTRL, rxctrl::kRxEnable.mask());
  p.set(FCTRL, fctrl::kUnicastPromisc.mask() | fctrl::kMulticastPromisc.mask());
  p.rx_on_halted();
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
}

// While SECRXCTRL.RX_DIS holds the receive data path, frames do not reach the rings.
TEST(StrictLegal, TheHaltedReceivePathTakesNoFrames) {
  Port p;
  p.rx_up();
  p.link_up();
  p.set(SECRXCTRL, secrxctrl::kRxDisable.mask());
  const uint64_t before = p.dev.counters().rx_disabled;
  p.world.inject(&p.dev, testbed::frame_bytes(60, {0x02, 0x53, 0x49, 0x4d, 0x00, 0x00}, 1), p.world.now());
  p.world.advance(100'000);
  EXPECT_EQ(p.dev.counters().rx_disabled, before + 1);
  EXPECT_EQ(p.dev.diag().total(), 0u) << p.dev.diag().summary();
}

// The registers Linux and DPDK touch that this driver does not are in the register table: no
// mmio.unknown-register, strict or not.
TEST(StrictLegal, SecurityFlowControlAndTxQueueRegistersAreKnown) {
  Port p;
  p.dev.set_strict(false);
  for (const nic::reg::RegDef* d : {&SECRXCTRL, &SECRXSTAT, &SECTXCTRL, &SECTXSTAT, &FCRTH, &MTQC, &MNGTXMAP}) {
    (void)p.rd(d->at());
    if (d->access != nic::reg::Access::kRO) p.wr(d->at(), p.rd(d->at()));
  }
  EXPECT_EQ(p.count("mmio.unknown-register"), 0u) << p.dev.diag().summary();
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

// The same with several queues (RSS) on the functional model.
TEST_F(StrictDriver, MultiQueueFunctionalInitBreaksNoRule) {
  testbed::CabledPair p(sim::Fidelity::kFunctional);
  nic::DeviceConfig cfg;
  cfg.rx_queues = 4;
  cfg.tx_queues = 4;
  cfg.link_timeout_ms = 1000;
  auto a = nic::open_device(p.a, cfg);
  auto b = nic::open_device(p.b, cfg);
  a->shutdown();
  b->shutdown();
  EXPECT_EQ(p.a.device().diag().total() + p.b.device().diag().total(), 0u)
      << p.a.device().diag().summary() << p.b.device().diag().summary();
}

}  // namespace
