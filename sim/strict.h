// Strict mode: the 82599 datasheet's rules for software, in one table, and the checker that applies them to
// every register access (IxgbeConfig::strict). A violation is reported through the device's Diagnostics
// under the rule's stable id, with the datasheet section (rev. 3.3) that states it. docs/strict-rules.md lists
// every rule with the datasheet sentence behind it, and the audit of §4.6 and §8.2.3.8-§8.2.3.9 (what is
// checked, and why the rest is not).
//
// Rules marked `always` are checked in every mode (they predate strict mode and tests rely on them); the
// others only in strict mode, so register-level tests that program a port out of order (tests/timing) keep
// working. Every rule has a test that breaks it on purpose (tests/strict_test.cc).
//
// Where rules are checked: register rules in StrictChecker (strict.cc), which the model calls before every
// register write and after every register read. Two rules need what only the model sees and are checked there:
// mmio.access-during-reset (every access, also to offsets outside the register table, timed from the reset)
// and txd.zero-length (transmit descriptors, where the engines parse them). Every id the model reports goes
// through RuleId, checked against the tables below at compile time.
//
// To add a rule: a row here, a check in StrictChecker (strict.cc), a test in tests/strict_test.cc that breaks
// it, and a line in docs/strict-rules.md.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "driver/regmap/reg.h"
#include "sim/diag.h"

namespace sim {

struct Rule {
  std::string_view id;       // stable: tests and users match on it
  std::string_view section;  // 82599 datasheet section; empty for the model's own diagnostics
  std::string_view text;     // what software must do
  bool always = false;       // checked outside strict mode too
};

// The datasheet's rules for software. Rules about one direction come in pairs where the datasheet states
// them for both (rx first).
inline constexpr Rule kRules[] = {
    // --- Reset and general configuration (§4.6.3)
    {"mmio.access-during-reset", "8.2.3.1.1", "no register access other than CTRL within 1 ms of setting CTRL.RST", true},
    {"init.write-before-reset-settled", "4.6.3.2",
     "after a software reset (CTRL.RST) wait at least 10 ms before programming the device"},
    {"init.rxen-before-init-done", "4.6.3",
     "RXCTRL.RXEN set before the EEPROM auto-read (EEC.ARD) and DMA init (RDRXCTL.DMAIDONE) completed"},
    {"init.txen-before-init-done", "4.6.3",
     "DMATXCTL.TE set before the EEPROM auto-read (EEC.ARD) and DMA init (RDRXCTL.DMAIDONE) completed"},
    {"init.fcrth-unset", "4.6.3.2",
     "FCRTH[0].RTH must be set (typically RXPBSIZE[0] - 0x6000) whether or not flow control is used, before "
     "receive is enabled"},
    // --- Receive initialization (§4.6.7)
    {"init.rxq-enable-before-ring", "4.6.7.1", "RXDCTL.ENABLE set before RDBAL and RDLEN were programmed"},
    {"init.rdt-before-rxq-enabled", "4.6.7",
     "RDT bumped (set apart from RDH) before RXDCTL.ENABLE was read back as 1 after enabling the queue"},
    {"init.rxen-without-secrx-halt", "4.6.7",
     "RXCTRL.RXEN set while the rx security block was not halted (SECRXCTRL.RX_DIS = 1, then SECRXSTAT.SECRX_RDY "
     "read as 1)"},
    {"init.ns-dis-clear", "4.6.7", "CTRL_EXT.NS_DIS (bit 16) must be set before receive is enabled"},
    {"rdrxctl.crcstrip-mismatch", "4.6.7", "RDRXCTL.CRCStrip and HLREG0.RXCRCSTRP must have the same value"},
    // --- Transmit initialization (§4.6.8)
    {"init.txq-enable-before-ring", "4.6.8.1", "TXDCTL.ENABLE set before TDBAL and TDLEN were programmed"},
    {"init.txq-enable-before-dmatxctl", "4.6.8", "TXDCTL.ENABLE set before DMATXCTL.TE"},
    {"init.tdt-before-txq-enabled", "4.6.8",
     "TDT bumped (set apart from TDH) before TXDCTL.ENABLE was read back as 1 after enabling the queue"},
    {"init.tx-config-while-arbiter-on", "4.6.8",
     "DTXMXSZRQ, TXPBSIZE, TXPBTHRESH, MTQC and MNGTXMAP are programmed with RTTDCS.ARBDIS set"},
    {"init.txen-while-arbiter-off", "4.6.8",
     "RTTDCS.ARBDIS must be cleared again before transmit is enabled (DMATXCTL.TE, TXDCTL.ENABLE)"},
    {"dmatxctl.changed-while-tx-enabled", "4.6.8",
     "DMATXCTL fields other than TE are programmed while TE is 0 (not in the write that sets it, not after)"},
    // --- Reserved bits
    {"reserved.dca-rxctrl-bit12", "8.2.3.11.1",
     "DCA_RXCTRL bit 12 (reserved, resets to 1) must be cleared before receive is enabled on the queue"},
    {"reserved.rdrxctl", "8.2.3.8.8",
     "RDRXCTL.RSCFRSTSIZE must be 0 and RDRXCTL.RSCACKC and FCOE_WRFIX 1 before receive is enabled"},
    {"reserved.eimc-bit31", "8.2.3.5.4", "EIMC bit 31 is reserved and must be written 0"},
    {"reserved.dtxmxszrq", "8.2.3.9.1", "DTXMXSZRQ bits 31:12 are reserved and must be written 0"},
    // --- Registers that may only change while something is off
    {"fctrl.changed-while-rx-enabled", "8.2.3.7.1", "FCTRL may only change while RXCTRL.RXEN = 0", true},
    {"queue.rx-changed-while-enabled", "4.6.7.1", "RDBAL/RDBAH/RDLEN/SRRCTL changed while RXDCTL.ENABLE = 1"},
    {"queue.tx-changed-while-enabled", "4.6.8.1",
     "TDBAL/TDBAH/TDLEN or the TXDCTL thresholds changed while TXDCTL.ENABLE = 1"},
    // Decision (RDH): writing RDH while RXDCTL[n].ENABLE = 1 is not by itself a violation. The datasheet lets
    // software write RDH only after a reset and before the receive function is enabled, because a write while
    // it runs can invalidate the on-chip descriptor cache; it names the receive function (RXCTRL.RXEN), not
    // the queue enable, unlike TDH, whose sentence names TXDCTL.ENABLE. Queue n's receive function runs while
    // both RXCTRL.RXEN and RXDCTL[n].ENABLE are 1, so that is when an RDH write is flagged. DPDK's queue start
    // (RDH = 0 after the enable reads back, before RXEN) is legal; the same write at run time with RXEN = 1 is not.
    {"rdh.written-while-rx-enabled", "8.2.3.8.4",
     "RDH written while queue n receives (RXCTRL.RXEN = 1 and RXDCTL[n].ENABLE = 1)"},
    {"tdh.written-while-tx-enabled", "8.2.3.9.8", "TDH written while TXDCTL[n].ENABLE = 1"},
    // --- Values
    {"ring.rx-base-misaligned", "8.2.3.8.1", "RDBAL: the descriptor ring base must be 128-byte aligned (bits 6:0 zero)"},
    {"ring.tx-base-misaligned", "8.2.3.9.5", "TDBAL: the descriptor ring base must be 128-byte aligned (bits 6:0 zero)"},
    {"ring.rx-bad-length", "8.2.3.8.3", "RDLEN: a non-zero multiple of 128 bytes, at most 8K descriptors"},
    {"ring.tx-bad-length", "8.2.3.9.7", "TDLEN: a non-zero multiple of 128 bytes, at most 8K descriptors"},
    {"rdh.out-of-range", "8.2.3.8.4", "RDH must be below the ring size (RDLEN / 16)"},
    {"tdh.out-of-range", "8.2.3.9.8", "TDH must be below the ring size (TDLEN / 16)"},
    {"rdt.out-of-range", "8.2.3.8.5", "RDT must be below the ring size (RDLEN / 16)", true},
    {"tdt.out-of-range", "8.2.3.9.9", "TDT must be below the ring size (TDLEN / 16)", true},
    {"srrctl.bsizepacket-range", "8.2.3.8.7", "SRRCTL.BSIZEPACKET must be 1 to 16 (1 KB units) on an enabled queue"},
    {"srrctl.header-split", "7.1.10",
     "header splitting (SRRCTL.DESCTYPE 010b or 101b) should not be used with the 82599"},
    {"txdctl.thresholds", "8.2.3.9.10", "TXDCTL: PTHRESH + WTHRESH must not exceed 40 (on-chip descriptor cache)"},
    {"txdctl.hthresh-zero", "8.2.3.9.10", "TXDCTL: HTHRESH must be non-zero whenever PTHRESH is used"},
    // --- Descriptors (checked by the model's transmit engines, where they parse descriptors)
    {"txd.zero-length", "7.2.3.2.4",
     "an advanced data descriptor carries data: DTALEN must not be 0 (null descriptors are a legacy-format "
     "feature, §7.2.3.2.2)",
     true},
};

// Not datasheet rules: what the model reports about accesses and register states it cannot serve, and device
// events. No section; always reported. The datasheet rules behind the two queue states are checked at write
// time above (ring.*-bad-length, rdh/tdh/rdt/tdt.out-of-range, srrctl.bsizepacket-range); these say a frame met
// the consequence.
inline constexpr Rule kModelDiagnostics[] = {
    {"mmio.bad-offset", "", "an access not 4-byte aligned or beyond the 128 KB of BAR0 the model serves", true},
    {"mmio.unknown-register", "", "an access to an offset no register of driver/ixgbe/regs.h occupies", true},
    {"mmio.write-read-only", "", "a write to a read-only or clear-on-read register (the device ignores it)", true},
    {"dma.iommu-fault", "", "the device's DMA was refused by the IOMMU (the access is not performed)", true},
    {"srrctl.unsupported-desctype", "", "a frame reached a queue whose descriptor type the model does not implement "
                                        "(only advanced one-buffer is modelled)", true},
    {"rx.bad-queue-state", "", "a frame reached a queue whose registers cannot be used (dropped)", true},
    {"tx.bad-queue-state", "", "the transmit engine met a queue whose registers cannot be used", true},
    {"txd.unsupported", "", "a transmit descriptor the model does not implement (legacy, or a reserved DTYP)", true},
    {"txd.frame-exceeds-cache", "", "a frame's descriptors do not fit the 40-entry on-chip cache (dropped)", true},
    {"txd.offload-outside-frame", "", "a checksum offload whose context puts the headers beyond the frame (sent "
                                      "without it)", true},
    {"txd.offload-unsupported", "", "an offload the model does not implement (SCTP CRC-32c; sent without it)", true},
};

constexpr const Rule* find_rule(std::string_view id) {
  for (const Rule& r : kRules)
    if (r.id == id) return &r;
  for (const Rule& r : kModelDiagnostics)
    if (r.id == id) return &r;
  return nullptr;
}

constexpr bool rules_well_formed() {
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (kRules[i].section.empty() || kRules[i].text.empty()) return false;
    for (size_t j = i + 1; j < std::size(kRules); ++j)
      if (kRules[i].id == kRules[j].id) return false;
    for (const Rule& m : kModelDiagnostics)
      if (kRules[i].id == m.id) return false;
  }
  for (size_t i = 0; i < std::size(kModelDiagnostics); ++i)
    for (size_t j = i + 1; j < std::size(kModelDiagnostics); ++j)
      if (kModelDiagnostics[i].id == kModelDiagnostics[j].id) return false;
  return true;
}
static_assert(rules_well_formed(), "strict rule ids must be unique and every datasheet rule needs a section");

// A diagnostic id, checked at compile time: `RuleId("txd.zero-length")` does not compile unless the id is a
// row of kRules or kModelDiagnostics. The model's report() takes one, so every id it reports is in the tables.
class RuleId {
 public:
  consteval RuleId(const char* id) : rule_(lookup(id)) {}  // NOLINT: implicit on purpose (report("id", ...))
  constexpr const Rule& rule() const { return *rule_; }

 private:
  static consteval const Rule* lookup(std::string_view id) {
    const Rule* r = find_rule(id);
    if (r == nullptr) throw "diagnostic id not in sim/strict.h (kRules or kModelDiagnostics)";
    return r;
  }
  const Rule* rule_;
};

// Reports a violation of `rule` (with its section) to `diag` at time `t`.
inline void report(Diagnostics& diag, const Rule& rule, std::string detail, uint64_t t) {
  diag.report(std::string(rule.id), std::move(detail), t, std::string(rule.section));
}

// What the checker may see of the device when a write arrives.
struct StrictView {
  const uint32_t* regs;  // the register file, indexed by offset / 4 (canonical offsets)
  bool init_done;        // EEPROM auto-read and DMA init complete
  bool strict;           // strict mode: every rule; otherwise only the `always` ones
  uint64_t now_ns;
  Diagnostics* diag;
  uint64_t clock_ns;  // World::clock_ns(): how long a driver waited is measured on it
};

class StrictChecker {
 public:
  static constexpr uint32_t kQueues = 64;

  // A device reset (software or not): forget what software programmed and read back since the last one.
  void reset() {
    rx_programmed_.fill(0);
    tx_programmed_.fill(0);
    rx_enable_seen_.reset();
    tx_enable_seen_.reset();
    secrx_halted_ = secrx_ready_seen_ = false;
  }
  // Called for a write of `v` to element `index` of `def` (canonical offset), `old` being the stored value,
  // before the write takes effect. Called in every mode; outside strict mode only `always` rules report.
  void before_write(const nic::reg::RegDef& def, uint32_t index, uint32_t old, uint32_t v, const StrictView& view);
  // Called with the value a read of element `index` of `def` returned (what software saw).
  void after_read(const nic::reg::RegDef& def, uint32_t index, uint32_t v);

 private:
  static constexpr uint8_t kBase = 1, kLen = 2;
  void receive_enabled(const StrictView& view);  // RXCTRL.RXEN 0 -> 1
  std::array<uint8_t, kQueues> rx_programmed_{}, tx_programmed_{};
  // RXDCTL/TXDCTL.ENABLE read back as 1 since the queue was last enabled (§4.6.7, §4.6.8).
  std::bitset<kQueues> rx_enable_seen_, tx_enable_seen_;
  bool secrx_halted_ = false;      // SECRXCTRL.RX_DIS written 1 (and not cleared since)
  bool secrx_ready_seen_ = false;  // SECRXSTAT.SECRX_RDY read as 1 since RX_DIS was set
  uint64_t sw_reset_at_ = UINT64_MAX;  // when software last set CTRL.RST (survives the reset it starts)
};

}  // namespace sim
