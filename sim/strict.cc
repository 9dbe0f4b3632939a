#include "sim/strict.h"

#include <cstdio>

#include "driver/descriptors.h"
#include "driver/ixgbe/regs.h"

namespace sim {
namespace {

using namespace nic::ixgbe;
using nic::reg::RegDef;

std::string hex(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

const Rule& rule(std::string_view id) { return *find_rule(id); }

constexpr uint32_t kQueueEnable = rxdctl::kEnable.mask();
constexpr uint32_t kTxThresholds =
    txdctl::kPrefetchThresh.mask() | txdctl::kHostThresh.mask() | txdctl::kWritebackThresh.mask();
constexpr uint32_t kOnChipTxDescriptors = 40;  // PTHRESH + WTHRESH limit ([facts] §8.2.3.9.11)

}  // namespace

void StrictChecker::before_write(const RegDef& def, uint32_t i, uint32_t old, uint32_t v, const StrictView& view,
                                 const Report& report) {
  auto reg = [&](const RegDef& d, uint32_t k = 0) { return view.regs[d.at(k) / 4]; };
  auto is = [&](const RegDef& d) { return def.base == d.base; };
  auto name = [&] { return std::string(def.name) + "[" + std::to_string(i) + "]"; };
  auto rising = [&](uint32_t mask) { return !(old & mask) && (v & mask); };

  // DCA_RXCTRL bit 12 and RDRXCTL's RSC/FCoE fields must hold their required values whenever receive runs.
  auto check_dca = [&](uint32_t q) {
    if (reg(DCA_RXCTRL, q) & dca_rxctrl::kReservedMustBeZero.mask())
      report(rule("reserved.dca-rxctrl-bit12"), "receive enabled on queue " + std::to_string(q) + " with DCA_RXCTRL[" +
                                                    std::to_string(q) + "] = " + hex(reg(DCA_RXCTRL, q)));
  };
  auto check_rdrxctl = [&](uint32_t rdrxctl) {
    if (rdrxctl::kRscFirstSize.get(rdrxctl) != 0 || !(rdrxctl & rdrxctl::kRscAckC.mask()) ||
        !(rdrxctl & rdrxctl::kFcoeWriteFix.mask()))
      report(rule("reserved.rdrxctl"), "RDRXCTL = " + hex(rdrxctl) + " while receive is enabled");
  };

  // --- Reserved bits written as required
  if (is(EIMC) && (v & ~eicr::kAllCauses)) report(rule("reserved.eimc-bit31"), "EIMC = " + hex(v));
  if (is(DTXMXSZRQ) && (v & ~dtxmxszrq::kMaxBytesNumReq.mask()))
    report(rule("reserved.dtxmxszrq"), "DTXMXSZRQ = " + hex(v));
  if (is(RDRXCTL) && (reg(RXCTRL) & rxctrl::kRxEnable.mask())) check_rdrxctl(v);
  if (is(DCA_RXCTRL) && (v & dca_rxctrl::kReservedMustBeZero.mask()) && (reg(RXCTRL) & rxctrl::kRxEnable.mask()) &&
      (reg(RXDCTL, i) & kQueueEnable))
    report(rule("reserved.dca-rxctrl-bit12"), name() + " = " + hex(v) + " while the queue receives");

  // --- Receive queue registers: only while the queue is off; base aligned, length valid
  if (is(RDBAL) || is(RDBAH) || is(RDLEN) || is(SRRCTL)) {
    if ((reg(RXDCTL, i) & kQueueEnable) && old != v)
      report(rule("queue.rx-changed-while-enabled"), name() + " " + hex(old) + " -> " + hex(v));
    if (is(RDBAL)) {
      rx_programmed_[i] |= kBase;
      if (v & 0x7F) report(rule("ring.base-misaligned"), name() + " = " + hex(v));
    }
    if (is(RDLEN)) {
      rx_programmed_[i] |= kLen;
      if (v == 0 || v % 128 != 0 || v > nic::kMaxRingSize * 16) report(rule("ring.bad-length"), name() + " = " + hex(v));
    }
  }
  if (is(TDBAL) || is(TDBAH) || is(TDLEN)) {
    if ((reg(TXDCTL, i) & kQueueEnable) && old != v)
      report(rule("queue.tx-changed-while-enabled"), name() + " " + hex(old) + " -> " + hex(v));
    if (is(TDBAL)) {
      tx_programmed_[i] |= kBase;
      if (v & 0x7F) report(rule("ring.base-misaligned"), name() + " = " + hex(v));
    }
    if (is(TDLEN)) {
      tx_programmed_[i] |= kLen;
      if (v == 0 || v % 128 != 0 || v > nic::kMaxRingSize * 16) report(rule("ring.bad-length"), name() + " = " + hex(v));
    }
  }

  // --- Queue enables: after the ring is programmed (and, for tx, after DMATXCTL.TE)
  if (is(RXDCTL) && rising(kQueueEnable)) {
    if (rx_programmed_[i] != (kBase | kLen))
      report(rule("init.rxq-enable-before-ring"), name() + " enabled before RDBAL/RDLEN were written");
    if (reg(RXCTRL) & rxctrl::kRxEnable.mask()) check_dca(i);
  }
  if (is(TXDCTL)) {
    if ((old & kQueueEnable) && ((old ^ v) & kTxThresholds))
      report(rule("queue.tx-changed-while-enabled"), name() + " thresholds " + hex(old) + " -> " + hex(v));
    const uint32_t p = txdctl::kPrefetchThresh.get(v), w = txdctl::kWritebackThresh.get(v);
    if (p + w > kOnChipTxDescriptors)
      report(rule("txdctl.thresholds"), name() + ": PTHRESH " + std::to_string(p) + " + WTHRESH " + std::to_string(w));
    if (rising(kQueueEnable)) {
      if (tx_programmed_[i] != (kBase | kLen))
        report(rule("init.txq-enable-before-ring"), name() + " enabled before TDBAL/TDLEN were written");
      if (!(reg(DMATXCTL) & dmatxctl::kTxEnable.mask()))
        report(rule("init.txq-enable-before-dmatxctl"), name() + " enabled while DMATXCTL.TE = 0");
    }
  }

  // --- Receive enable: after init completed, with the reserved fields as required
  if (is(RXCTRL) && rising(rxctrl::kRxEnable.mask())) {
    if (!view.init_done)
      report(rule("init.rxen-before-init-done"), "RXCTRL.RXEN set before EEC.ARD / RDRXCTL.DMAIDONE");
    check_rdrxctl(reg(RDRXCTL));
    for (uint32_t q = 0; q < RXDCTL.count; ++q)
      if (reg(RXDCTL, q) & kQueueEnable) check_dca(q);
  }
}

}  // namespace sim
