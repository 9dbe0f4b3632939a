#include "sim/strict.h"

#include <cstdio>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"

namespace sim {
namespace {

using namespace nic::ixgbe;
using nic::reg::Access;
using nic::reg::RegDef;

std::string hex(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08x", v);
  return s;
}

constexpr uint32_t kQueueEnable = rxdctl::kEnable.mask();
static_assert(rxdctl::kEnable.mask() == txdctl::kEnable.mask());
constexpr uint32_t kTxThresholds =
    txdctl::kPrefetchThresh.mask() | txdctl::kHostThresh.mask() | txdctl::kWritebackThresh.mask();
// §8.2.3.9.10: the on-chip descriptor cache holds 40 descriptors, the limit on PTHRESH + WTHRESH.
constexpr uint32_t kOnChipTxDescriptors = 40;
// §4.6.3.2: after a global reset software waits at least 10 ms before it goes on initializing the device.
constexpr uint64_t kResetSettleNs = 10'000'000;
// §8.2.3.8.7: BSIZEPACKET is 1 KB to 16 KB in 1 KB units.
constexpr uint32_t kMaxBsizePacketKb = 16;
// §8.2.3.8.7 DESCTYPE values for header splitting (010b, and 101b "always use header buffer"); §7.1.10 says
// header splitting should not be used with the 82599.
constexpr bool header_split(uint32_t desctype) { return desctype == 2 || desctype == 5; }

bool valid_ring_length(uint32_t len) { return len != 0 && len % 128 == 0 && len <= nic::kMaxRingSize * 16; }

uint32_t reg_of(const StrictView& view, const RegDef& d, uint32_t k = 0) { return view.regs[d.at(k) / 4]; }

// Reports `id` unless it is a strict-only rule outside strict mode.
void flag_if(const StrictView& view, RuleId id, std::string detail) {
  const Rule& rule = id.rule();
  if (view.strict || rule.always) report(*view.diag, rule, std::move(detail), view.now_ns);
}

// DCA_RXCTRL bit 12 and RDRXCTL's RSC/FCoE fields must hold their required values whenever receive runs.
void check_dca(const StrictView& view, uint32_t q) {
  if (reg_of(view, DCA_RXCTRL, q) & dca_rxctrl::kReservedMustBeZero.mask())
    flag_if(view, "reserved.dca-rxctrl-bit12", "receive enabled on queue " + std::to_string(q) + " with DCA_RXCTRL[" +
                                                std::to_string(q) + "] = " + hex(reg_of(view, DCA_RXCTRL, q)));
}
void check_rdrxctl(const StrictView& view, uint32_t rdrxctl) {
  if (rdrxctl::kRscFirstSize.get(rdrxctl) != 0 || !(rdrxctl & rdrxctl::kRscAckC.mask()) ||
      !(rdrxctl & rdrxctl::kFcoeWriteFix.mask()))
    flag_if(view, "reserved.rdrxctl", "RDRXCTL = " + hex(rdrxctl) + " while receive is enabled");
}
// §4.6.7: the two CRC strip bits agree (checked when receive starts, and on every change while it runs).
void check_crcstrip(const StrictView& view, uint32_t hlreg0, uint32_t rdrxctl) {
  if (static_cast<bool>(hlreg0 & hlreg0::kRxCrcStrip.mask()) != static_cast<bool>(rdrxctl & rdrxctl::kCrcStrip.mask()))
    flag_if(view, "rdrxctl.crcstrip-mismatch", "HLREG0 = " + hex(hlreg0) + ", RDRXCTL = " + hex(rdrxctl) +
                                                " with receive enabled");
}

}  // namespace

void StrictChecker::before_write(const RegDef& def, uint32_t i, uint32_t old, uint32_t v, const StrictView& view) {
  if (def.access == Access::kRO || def.access == Access::kRC) return;  // reported as writes to read-only anyway
  const auto reg = [&](const RegDef& d, uint32_t k = 0) { return reg_of(view, d, k); };
  const auto is = [&](const RegDef& d) { return def.base == d.base; };
  const auto name = [&] { return std::string(def.name) + "[" + std::to_string(i) + "]"; };
  const auto rising = [&](uint32_t mask) { return !(old & mask) && (v & mask); };
  const auto flag = [&](RuleId id, std::string detail) { flag_if(view, id, std::move(detail)); };
  const bool rx_on = reg(RXCTRL) & rxctrl::kRxEnable.mask();

  // --- The doorbells first: most writes under traffic. In range always; bumped only once the queue's enable
  // bit was read back as 1 (§4.6.7: "the tail should not be bumped before this bit was read as 1b"; §4.6.8's
  // note for TDT). A write equal to the head offers no descriptors, so it is no bump (RDT = RDH = 0 at init).
  if (is(RDT) || is(TDT)) {
    const bool rx = is(RDT);
    if (v >= reg(rx ? RDLEN : TDLEN, i) / 16)
      flag(rx ? RuleId("rdt.out-of-range") : RuleId("tdt.out-of-range"), name() + " = " + std::to_string(v));
    if (view.strict && v != reg(rx ? RDH : TDH, i) && !(rx ? rx_enable_seen_ : tx_enable_seen_).test(i))
      flag(rx ? RuleId("init.rdt-before-rxq-enabled") : RuleId("init.tdt-before-txq-enabled"),
           name() + " = " + std::to_string(v) + " before " + (rx ? "RXDCTL[" : "TXDCTL[") + std::to_string(i) +
               "].ENABLE was read back as 1");
    return;
  }

  // --- Reset: the datasheet's settling time after a software reset (§4.6.3.2), timed from the RST write
  // (the reset's own duration is not added: this catches a driver that does not wait, not one that waits a
  // little too little). A reset the device does on its own is no software reset. Timed on the driver's clock
  // (StrictView::clock_ns): a simulator that fell behind the wall clock meanwhile does not shorten the wait.
  if (is(CTRL)) {
    if (v & ctrl::kReset.mask()) sw_reset_at_ = view.clock_ns;
    return;
  }
  if (sw_reset_at_ != UINT64_MAX && view.clock_ns - sw_reset_at_ < kResetSettleNs) {
    flag("init.write-before-reset-settled", name() + " written " + std::to_string(view.clock_ns - sw_reset_at_) +
                                                " ns after CTRL.RST (first such write)");
    sw_reset_at_ = UINT64_MAX;  // once per reset
  }

  // --- Reserved bits written as required
  if (is(EIMC) && (v & ~eicr::kAllCauses)) flag("reserved.eimc-bit31", "EIMC = " + hex(v));
  if (is(DTXMXSZRQ) && (v & ~dtxmxszrq::kMaxBytesNumReq.mask())) flag("reserved.dtxmxszrq", "DTXMXSZRQ = " + hex(v));
  if (is(RDRXCTL) && rx_on) {
    check_rdrxctl(view, v);
    check_crcstrip(view, reg(HLREG0), v);
  }
  if (is(HLREG0) && rx_on) check_crcstrip(view, v, reg(RDRXCTL));
  if (is(DCA_RXCTRL) && (v & dca_rxctrl::kReservedMustBeZero.mask()) && rx_on && (reg(RXDCTL, i) & kQueueEnable))
    flag("reserved.dca-rxctrl-bit12", name() + " = " + hex(v) + " while the queue receives");

  // --- Filters only while receive is off (§8.2.3.7.1)
  if (is(FCTRL) && old != v && rx_on)
    flag("fctrl.changed-while-rx-enabled", "FCTRL " + hex(old) + " -> " + hex(v) + " while RXCTRL.RXEN = 1");

  // --- Transmit configuration under a disabled arbiter (§4.6.8: set RTTDCS.ARBDIS, program DTXMXSZRQ,
  // TXPBSIZE, TXPBTHRESH, MTQC and MNGTXMAP, clear RTTDCS.ARBDIS). A write that changes nothing is no change.
  if ((is(DTXMXSZRQ) || is(TXPBSIZE) || is(TXPBTHRESH) || is(MTQC) || is(MNGTXMAP)) && old != v &&
      !(reg(RTTDCS) & rttdcs::kArbiterDisable.mask()))
    flag("init.tx-config-while-arbiter-on", name() + " " + hex(old) + " -> " + hex(v) + " while RTTDCS.ARBDIS = 0");
  // §4.6.8: DMATXCTL's other fields are programmed "while maintaining TE bit cleared".
  if (is(DMATXCTL)) {
    const uint32_t te = dmatxctl::kTxEnable.mask();
    if (((old ^ v) & ~te) && ((old | v) & te))
      flag("dmatxctl.changed-while-tx-enabled", "DMATXCTL " + hex(old) + " -> " + hex(v));
    if (rising(te)) {
      if (!view.init_done) flag("init.txen-before-init-done", "DMATXCTL.TE set before EEC.ARD / RDRXCTL.DMAIDONE");
      if (reg(RTTDCS) & rttdcs::kArbiterDisable.mask())
        flag("init.txen-while-arbiter-off", "DMATXCTL.TE set while RTTDCS.ARBDIS = 1");
    }
  }

  // --- Receive security block halt around RXEN (§4.6.7)
  if (is(SECRXCTRL)) {
    const uint32_t dis = secrxctrl::kRxDisable.mask();
    if (!(v & dis) || rising(dis)) secrx_ready_seen_ = false;
    secrx_halted_ = v & dis;
  }

  // --- Receive queue registers: only while the queue is off; base aligned, length valid
  if (is(RDBAL) || is(RDBAH) || is(RDLEN) || is(SRRCTL)) {
    if ((reg(RXDCTL, i) & kQueueEnable) && old != v)
      flag("queue.rx-changed-while-enabled", name() + " " + hex(old) + " -> " + hex(v));
    if (is(RDBAL)) {
      rx_programmed_[i] |= kBase;
      if (v & 0x7F) flag("ring.rx-base-misaligned", name() + " = " + hex(v));
    }
    if (is(RDLEN)) {
      rx_programmed_[i] |= kLen;
      if (!valid_ring_length(v)) flag("ring.rx-bad-length", name() + " = " + hex(v));
    }
  }
  if (is(TDBAL) || is(TDBAH) || is(TDLEN)) {
    if ((reg(TXDCTL, i) & kQueueEnable) && old != v)
      flag("queue.tx-changed-while-enabled", name() + " " + hex(old) + " -> " + hex(v));
    if (is(TDBAL)) {
      tx_programmed_[i] |= kBase;
      if (v & 0x7F) flag("ring.tx-base-misaligned", name() + " = " + hex(v));
    }
    if (is(TDLEN)) {
      tx_programmed_[i] |= kLen;
      if (!valid_ring_length(v)) flag("ring.tx-bad-length", name() + " = " + hex(v));
    }
  }

  // --- Heads: inside the ring, and written only while the queue is not running (see the RDH decision at
  // rdh.written-while-rx-enabled in strict.h).
  if (is(RDH)) {
    if ((reg(RXDCTL, i) & kQueueEnable) && rx_on)
      flag("rdh.written-while-rx-enabled", name() + " = " + std::to_string(v) + " while RXCTRL.RXEN = 1 and RXDCTL[" +
                                               std::to_string(i) + "].ENABLE = 1");
    if (const uint32_t n = reg(RDLEN, i) / 16; n != 0 && v >= n)
      flag("rdh.out-of-range", name() + " = " + std::to_string(v) + ", ring of " + std::to_string(n));
  }
  if (is(TDH)) {
    if (reg(TXDCTL, i) & kQueueEnable)
      flag("tdh.written-while-tx-enabled", name() + " = " + std::to_string(v) + " while TXDCTL[" + std::to_string(i) +
                                               "].ENABLE = 1");
    if (const uint32_t n = reg(TDLEN, i) / 16; n != 0 && v >= n)
      flag("tdh.out-of-range", name() + " = " + std::to_string(v) + ", ring of " + std::to_string(n));
  }

  // --- Queue enables: after the ring is programmed (and, for tx, after DMATXCTL.TE); read back before the tail
  if (is(RXDCTL)) {
    if (rising(kQueueEnable) || !(v & kQueueEnable)) rx_enable_seen_.reset(i);
    if (rising(kQueueEnable)) {
      if (rx_programmed_[i] != (kBase | kLen))
        flag("init.rxq-enable-before-ring", name() + " enabled before RDBAL/RDLEN were written");
      const uint32_t srrctl = reg(SRRCTL, i), kb = srrctl::kBsizePacket.get(srrctl);
      if (kb == 0 || kb > kMaxBsizePacketKb)
        flag("srrctl.bsizepacket-range", name() + " enabled with SRRCTL = " + hex(srrctl));
      if (header_split(srrctl::kDescType.get(srrctl)))
        flag("srrctl.header-split", name() + " enabled with SRRCTL = " + hex(srrctl));
      if (const uint32_t n = reg(RDLEN, i) / 16; n != 0 && reg(RDH, i) >= n)
        flag("rdh.out-of-range", name() + " enabled with RDH = " + std::to_string(reg(RDH, i)));
      if (rx_on) check_dca(view, i);
    }
  }
  if (is(TXDCTL)) {
    // The write that disables the queue may carry new thresholds (Linux's ixgbe_disable_tx writes SWFLSH alone):
    // the queue stops with it, so no running engine sees them change.
    if ((old & kQueueEnable) && (v & kQueueEnable) && ((old ^ v) & kTxThresholds))
      flag("queue.tx-changed-while-enabled", name() + " thresholds " + hex(old) + " -> " + hex(v));
    const uint32_t p = txdctl::kPrefetchThresh.get(v), h = txdctl::kHostThresh.get(v), w = txdctl::kWritebackThresh.get(v);
    if (p + w > kOnChipTxDescriptors)
      flag("txdctl.thresholds", name() + ": PTHRESH " + std::to_string(p) + " + WTHRESH " + std::to_string(w));
    if (p != 0 && h == 0) flag("txdctl.hthresh-zero", name() + ": PTHRESH " + std::to_string(p) + " with HTHRESH 0");
    if (rising(kQueueEnable) || !(v & kQueueEnable)) tx_enable_seen_.reset(i);
    if (rising(kQueueEnable)) {
      if (tx_programmed_[i] != (kBase | kLen))
        flag("init.txq-enable-before-ring", name() + " enabled before TDBAL/TDLEN were written");
      if (!(reg(DMATXCTL) & dmatxctl::kTxEnable.mask()))
        flag("init.txq-enable-before-dmatxctl", name() + " enabled while DMATXCTL.TE = 0");
      if (reg(RTTDCS) & rttdcs::kArbiterDisable.mask())
        flag("init.txen-while-arbiter-off", name() + " enabled while RTTDCS.ARBDIS = 1");
      if (const uint32_t n = reg(TDLEN, i) / 16; n != 0 && reg(TDH, i) >= n)
        flag("tdh.out-of-range", name() + " enabled with TDH = " + std::to_string(reg(TDH, i)));
    }
  }

  // --- Receive enable: last, after everything else (§4.6.7)
  if (is(RXCTRL) && rising(rxctrl::kRxEnable.mask())) receive_enabled(view);
}

// RXCTRL.RXEN 0 -> 1. §4.6.7: "This should be done only after all other settings are done".
void StrictChecker::receive_enabled(const StrictView& view) {
  const auto reg = [&](const RegDef& d, uint32_t k = 0) { return reg_of(view, d, k); };
  const auto flag = [&](RuleId id, std::string detail) { flag_if(view, id, std::move(detail)); };
  if (!view.init_done) flag("init.rxen-before-init-done", "RXCTRL.RXEN set before EEC.ARD / RDRXCTL.DMAIDONE");
  check_rdrxctl(view, reg(RDRXCTL));
  check_crcstrip(view, reg(HLREG0), reg(RDRXCTL));
  for (uint32_t q = 0; q < RXDCTL.count; ++q)
    if (reg(RXDCTL, q) & kQueueEnable) check_dca(view, q);
  if (!(reg(CTRL_EXT) & ctrl_ext::kNoSnoopDisable.mask()))
    flag("init.ns-dis-clear", "RXCTRL.RXEN set with CTRL_EXT = " + hex(reg(CTRL_EXT)));
  if (!secrx_halted_)
    flag("init.rxen-without-secrx-halt", "RXCTRL.RXEN set with SECRXCTRL.RX_DIS = 0");
  else if (!secrx_ready_seen_)
    flag("init.rxen-without-secrx-halt", "RXCTRL.RXEN set before SECRXSTAT.SECRX_RDY was read as 1");
  if (fcrth::kRth.get(reg(FCRTH, 0)) == 0)
    flag("init.fcrth-unset", "RXCTRL.RXEN set with FCRTH[0] = " + hex(reg(FCRTH, 0)));
}

void StrictChecker::after_read(const RegDef& def, uint32_t i, uint32_t v) {
  if (def.base == RXDCTL.base) rx_enable_seen_[i] = v & kQueueEnable;
  else if (def.base == TXDCTL.base) tx_enable_seen_[i] = v & kQueueEnable;
  else if (def.base == SECRXSTAT.base && secrx_halted_ && (v & secrxstat::kReady.mask())) secrx_ready_seen_ = true;
}

}  // namespace sim
