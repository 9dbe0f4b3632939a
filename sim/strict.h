// Strict mode: the 82599 datasheet's rules for software, in one table, and the checker that applies them to
// every register write (IxgbeConfig::strict). A violation is reported through the device's Diagnostics
// under the rule's stable id, with the datasheet section (rev. 3.3) that states it.
//
// Rules marked `always` are checked in every mode (they predate strict mode and tests rely on them); the
// others only in strict mode, so register-level tests that program a port out of order (tests/timing) keep
// working. Every rule has a test that breaks it on purpose (tests/strict_test.cc).
//
// To add a rule: a row here, a check in StrictChecker::before_write() (strict.cc) or in the model for the
// `always` ones, and a test in tests/strict_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "driver/reg.h"

namespace sim {

struct Rule {
  std::string_view id;       // stable: tests and users match on it
  std::string_view section;  // 82599 datasheet section
  std::string_view text;     // what software must do
  bool always = false;       // checked outside strict mode too
};

inline constexpr Rule kRules[] = {
    // --- Init step ordering
    {"mmio.access-during-reset", "8.2.3.1.1", "no register access other than CTRL within 1 ms of setting CTRL.RST", true},
    {"init.rxen-before-init-done", "4.6.3",
     "RXCTRL.RXEN set before the EEPROM auto-read (EEC.ARD) and DMA init (RDRXCTL.DMAIDONE) completed"},
    {"init.rxq-enable-before-ring", "4.6.7.1", "RXDCTL.ENABLE set before RDBAL and RDLEN were programmed"},
    {"init.txq-enable-before-ring", "4.6.8.1", "TXDCTL.ENABLE set before TDBAL and TDLEN were programmed"},
    {"init.txq-enable-before-dmatxctl", "4.6.8", "TXDCTL.ENABLE set before DMATXCTL.TE"},
    // --- Reserved bits
    {"reserved.dca-rxctrl-bit12", "8.2.3.11.1",
     "DCA_RXCTRL bit 12 (reserved, resets to 1) must be cleared before receive is enabled on the queue"},
    {"reserved.rdrxctl", "8.2.3.8.8",
     "RDRXCTL.RSCFRSTSIZE must be 0 and RDRXCTL.RSCACKC and FCOE_WRFIX 1 before receive is enabled"},
    {"reserved.eimc-bit31", "8.2.3.5.5", "EIMC bit 31 is reserved and must be written 0"},
    {"reserved.dtxmxszrq", "8.2.3.9.1", "DTXMXSZRQ bits 31:12 are reserved and must be written 0"},
    // --- Registers that may only change while something is off
    {"fctrl.changed-while-rx-enabled", "8.2.3.7.1", "FCTRL may only change while RXCTRL.RXEN = 0", true},
    {"queue.rx-changed-while-enabled", "4.6.7.1", "RDBAL/RDBAH/RDLEN/SRRCTL changed while RXDCTL.ENABLE = 1"},
    {"queue.tx-changed-while-enabled", "4.6.8.1",
     "TDBAL/TDBAH/TDLEN or the TXDCTL thresholds changed while TXDCTL.ENABLE = 1"},
    // --- Values
    {"ring.base-misaligned", "8.2.3.8.1", "RDBAL/TDBAL: descriptor ring base must be 128-byte aligned (bits 6:0 zero)"},
    {"ring.bad-length", "8.2.3.8.3", "RDLEN/TDLEN: a non-zero multiple of 128 bytes, at most 8K descriptors"},
    {"rdt.out-of-range", "8.2.3.8.5", "RDT must be below the ring size (RDLEN / 16)", true},
    {"tdt.out-of-range", "8.2.3.9.9", "TDT must be below the ring size (TDLEN / 16)", true},
    {"txdctl.thresholds", "8.2.3.9.11", "TXDCTL: PTHRESH + WTHRESH must not exceed 40 (on-chip descriptor cache)"},
};

constexpr const Rule* find_rule(std::string_view id) {
  for (const Rule& r : kRules)
    if (r.id == id) return &r;
  return nullptr;
}

constexpr bool rules_unique() {
  for (size_t i = 0; i < std::size(kRules); ++i)
    for (size_t j = i + 1; j < std::size(kRules); ++j)
      if (kRules[i].id == kRules[j].id) return false;
  return true;
}
static_assert(rules_unique(), "strict rule ids must be unique");

// What the checker may see of the device when a write arrives.
struct StrictView {
  const uint32_t* regs;  // the register file, indexed by offset / 4 (canonical offsets)
  bool init_done;        // EEPROM auto-read and DMA init complete
};

class StrictChecker {
 public:
  using Report = std::function<void(const Rule&, std::string detail)>;

  // A device reset: forget what software programmed since the last one.
  void reset() {
    rx_programmed_.fill(0);
    tx_programmed_.fill(0);
  }
  // Called for a write of `v` to element `index` of `def` (canonical offset), `old` being the stored value,
  // before the write takes effect.
  void before_write(const nic::reg::RegDef& def, uint32_t index, uint32_t old, uint32_t v, const StrictView& view,
                    const Report& report);

 private:
  static constexpr uint8_t kBase = 1, kLen = 2;
  std::array<uint8_t, 64> rx_programmed_{}, tx_programmed_{};
};

}  // namespace sim
