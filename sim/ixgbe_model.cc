#include "sim/ixgbe_model.h"

#include <algorithm>
#include <cstdio>

#include "driver/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "sim/crc32.h"

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts
using nic::reg::Access;
using nic::reg::RegDef;

namespace {

std::string hex(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%05x", v);
  return s;
}

bool is(const RegDef& d, const RegDef& which) { return d.base == which.base; }

// 64-bit statistics: reading the high half clears both halves (the low half is read first).
bool is_counter_low(const RegDef& d) { return is(d, GORCL) || is(d, GOTCL) || is(d, TORL); }

}  // namespace

Ixgbe82599::Ixgbe82599(World& world, Iommu& iommu, IxgbeConfig config)
    : world_(world), iommu_(iommu), config_(std::move(config)), regs_(kBarSize / 4, 0), def_of_(kBarSize / 4, -1) {
  for (size_t i = 0; i < std::size(kMap); ++i)
    for (uint32_t k = 0; k < kMap[i].count; ++k)
      if (kMap[i].at(k) < kBarSize) def_of_[kMap[i].at(k) / 4] = static_cast<int16_t>(i);
  struct LoopPort final : Endpoint {
    Ixgbe82599* dev;
    void receive(Bytes&& f, uint64_t t) override { dev->on_loopback(std::move(f), t); }
  };
  auto* lp = new LoopPort;
  lp->dev = this;
  loop_port_.reset(lp);
  loop_link_ = world_.make_link(loop_port_.get());
  reset();
  reset_written_at_ = UINT64_MAX;  // power-on, not a software reset
  reset_done_at_ = world_.now();
}

void Ixgbe82599::connect(Endpoint* peer) {
  tx_link_ = peer ? world_.make_link(peer) : nullptr;
  if (!peer) link_up_at_ = UINT64_MAX;
}

// Aliased register ranges resolve to one storage location.
uint32_t Ixgbe82599::canonical(uint32_t offset) const {
  if (int64_t i = SRRCTL_ALIAS.index_of(offset); i >= 0) return SRRCTL.at(static_cast<uint32_t>(i));
  if (int64_t i = DCA_RXCTRL_ALIAS.index_of(offset); i >= 0) return DCA_RXCTRL.at(static_cast<uint32_t>(i));
  return offset;
}

// ---------------------------------------------------------------------------------------------------------
// Reset (§4.6.3.2): every register back to its reset value, queues off, FIFOs flushed, link down.
void Ixgbe82599::reset() {
  const uint64_t now = world_.now();
  for (const RegDef& d : kMap)
    for (uint32_t k = 0; k < d.count; ++k)
      if (d.at(k) < kBarSize) r(d.at(k)) = d.reset_of(k);
  // RAL/RAH[0] from the EEPROM's IA field, address valid.
  const auto& m = config_.mac;
  r(RAL.at(0)) = m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24;
  r(RAH.at(0)) = m[4] | m[5] << 8 | rah::kAddressValid.mask();
  for (auto& q : rxq_) q = Queue{};
  for (auto& q : txq_) q = Queue{};
  tx_kick_pending_.fill(false);
  rx_fifo_.clear();
  rx_fifo_bytes_ = 0;
  reset_written_at_ = now;
  reset_done_at_ = now + world_.params().reset_ns;
  link_up_at_ = cabled() ? reset_done_at_ + world_.params().link_up_ns : UINT64_MAX;
}

bool Ixgbe82599::link_up() const {
  if (world_.now() < link_up_at_ || in_reset()) return false;
  const bool forced = r(AUTOC.at()) & autoc::kForceLinkUp.mask();
  return forced || cabled();
}

// ---------------------------------------------------------------------------------------------------------
// MMIO
uint32_t Ixgbe82599::read32(uint32_t offset) {
  if (offset % 4 != 0 || offset >= kBarSize) {
    report("mmio.bad-offset", "read at " + hex(offset));
    return 0;
  }
  offset = canonical(offset);
  if (in_reset_quiet() && offset != CTRL.at())
    report("mmio.access-during-reset", "read " + hex(offset) + " within 1 ms of CTRL.RST (§8.2.3.1.1)");
  const int16_t idx = def_of_[offset / 4];
  if (idx < 0) {
    report("mmio.unknown-register", "read " + hex(offset));
    return 0;
  }
  const RegDef& d = kMap[idx];
  uint32_t& cell = r(offset);
  const uint32_t v = read_special(d, offset, cell);
  switch (d.access) {
    case Access::kRC:
      if (is_counter_low(d)) break;
      cell = 0;
      if (is(d, GORCH)) r(GORCL.at()) = 0;
      if (is(d, GOTCH)) r(GOTCL.at()) = 0;
      if (is(d, TORH)) r(TORL.at()) = 0;
      break;
    case Access::kWO:
      return 0;
    case Access::kRW1C:  // EICR also clears on read while GPIE.OCD = 0
      cell = 0;
      break;
    default:
      break;
  }
  return v;
}

uint32_t Ixgbe82599::read_special(const RegDef& d, uint32_t offset, uint32_t v) const {
  const uint64_t now = world_.now();
  if (is(d, CTRL)) return in_reset() ? v | ctrl::kResetMask : v;
  if (is(d, EEC)) {
    v |= eec::kPresent.mask();
    return now >= reset_done_at_ + world_.params().eeprom_ns ? v | eec::kAutoReadDone.mask() : v;
  }
  if (is(d, RDRXCTL))
    return now >= reset_done_at_ + world_.params().dma_init_ns ? v | rdrxctl::kDmaInitDone.mask() : v;
  if (is(d, STATUS)) return status::kMasterEnable.mask();
  if (is(d, LINKS))
    return link_up() ? links::kLinkUp.mask() | links::kSpeed.make(links::kSpeed10G) : 0;
  if (is(d, RXDCTL) || is(d, TXDCTL)) {
    const uint32_t q = static_cast<uint32_t>(d.index_of(offset));
    const Queue& st = is(d, RXDCTL) ? rxq_[q] : txq_[q];
    return now >= st.enable_at ? v | rxdctl::kEnable.mask() : v & ~rxdctl::kEnable.mask();
  }
  return v;
}

void Ixgbe82599::write32(uint32_t offset, uint32_t value) {
  if (offset % 4 != 0 || offset >= kBarSize) {
    report("mmio.bad-offset", "write " + hex(value) + " at " + hex(offset));
    return;
  }
  offset = canonical(offset);
  if (in_reset_quiet())
    report("mmio.access-during-reset", "write " + hex(offset) + " within 1 ms of CTRL.RST (§8.2.3.1.1)");
  const int16_t idx = def_of_[offset / 4];
  if (idx < 0) {
    report("mmio.unknown-register", "write " + hex(value) + " at " + hex(offset));
    return;
  }
  const RegDef& d = kMap[idx];
  uint32_t& cell = r(offset);
  switch (d.access) {
    case Access::kRO:
    case Access::kRC:
      report("mmio.write-read-only", "write " + hex(value) + " to " + std::string(d.name));
      return;
    case Access::kWO:
      if (is(d, EIMC)) r(EIMS.at()) &= ~value;
      if (is(d, EICS)) r(EICR.at()) |= value;
      return;
    case Access::kRW1C:
      cell &= ~value;
      return;
    case Access::kRW:
      break;
  }
  const uint32_t old = cell;
  if (is(d, EIMS)) value |= old;  // EIMS: writing 1 sets, 0 has no effect
  cell = value;
  write_special(d, offset, old, value);
}

void Ixgbe82599::write_special(const RegDef& d, uint32_t offset, uint32_t old, uint32_t v) {
  const uint64_t now = world_.now();
  const Params& p = world_.params();
  if (is(d, CTRL)) {
    r(CTRL.at()) = v & ~ctrl::kResetMask;  // self-clearing bits
    if (v & ctrl::kReset.mask()) reset();
    else if (v & ctrl::kLinkReset.mask()) link_up_at_ = cabled() ? now + p.link_up_ns : UINT64_MAX;
    return;
  }
  if (is(d, AUTOC)) {
    r(AUTOC.at()) = v & ~autoc::kAnRestart.mask();  // self-clearing
    if (v & autoc::kAnRestart.mask()) {
      const bool forced = v & autoc::kForceLinkUp.mask();
      link_up_at_ = forced ? now + 1000 : cabled() ? now + p.link_up_ns : UINT64_MAX;
    }
    return;
  }
  if (is(d, FCTRL) && old != v && (r(RXCTRL.at()) & rxctrl::kRxEnable.mask()))
    report("fctrl.changed-while-rx-enabled", "FCTRL may only change while RXCTRL.RXEN = 0 (§8.2.3.7.1)");
  const int64_t q = d.index_of(offset);
  if (is(d, RXDCTL) || is(d, TXDCTL)) {
    Queue& st = is(d, RXDCTL) ? rxq_[q] : txq_[q];
    const bool was = old & rxdctl::kEnable.mask(), on = v & rxdctl::kEnable.mask();
    if (on && !was) st.enable_at = now + p.queue_enable_ns;
    if (!on) st.enable_at = UINT64_MAX;
    return;
  }
  if (is(d, RDT)) {
    if (v >= r(RDLEN.at(q)) / 16) report("rdt.out-of-range", "RDT[" + std::to_string(q) + "] = " + std::to_string(v));
    drain_rx();
    return;
  }
  if (is(d, TDT)) {
    if (v >= r(TDLEN.at(q)) / 16) report("tdt.out-of-range", "TDT[" + std::to_string(q) + "] = " + std::to_string(v));
    if (!tx_kick_pending_[q]) {
      tx_kick_pending_[q] = true;
      world_.schedule(now, this, kTxKick, q);
    }
    return;
  }
  if (is(d, RXCTRL) && (v & rxctrl::kRxEnable.mask())) drain_rx();
}

void Ixgbe82599::on_event(uint32_t kind, uint64_t arg) {
  if (kind == kTxKick) tx_process(static_cast<uint32_t>(arg));
}

// ---------------------------------------------------------------------------------------------------------
// Receive: MAC checks, L2 filter (§7.1.1), packet buffer (§7.1.2), then queue 0's descriptors.
void Ixgbe82599::receive(Bytes&& frame, uint64_t) {
  if (r(HLREG0.at()) & hlreg0::kLoopback.mask()) {
    ++counters_.rx_link_down;  // in MAC loopback the PHY side is not listened to
    return;
  }
  ingress(std::move(frame));
}

void Ixgbe82599::on_loopback(Bytes&& frame, uint64_t) { ingress(std::move(frame)); }

void Ixgbe82599::ingress(Bytes&& frame) {
  if (!link_up()) {
    ++counters_.rx_link_down;
    return;
  }
  const uint32_t len = static_cast<uint32_t>(frame.size());
  ++r(TPR.at());
  add64(TORL.at(), len + world_.params().fcs_bytes);
  if (!(r(RXCTRL.at()) & rxctrl::kRxEnable.mask())) {
    ++counters_.rx_disabled;
    return;
  }
  const uint32_t hl = r(HLREG0.at());
  const uint32_t max_frame = (hl & hlreg0::kJumboEnable.mask()) ? maxfrs::kMaxFrameSize.get(r(MAXFRS.at())) : 1518;
  if (len < world_.params().min_frame) {
    ++r(RUC.at());
    return;
  }
  if (len + world_.params().fcs_bytes > max_frame) {
    ++r(ROC.at());
    return;
  }
  if (!accept(frame)) {
    ++counters_.rx_filtered;
    return;
  }
  const uint64_t pb_bytes = static_cast<uint64_t>(pbsize::kSizeKb.get(r(RXPBSIZE.at(0)))) * 1024;
  if (rx_fifo_bytes_ + len > pb_bytes) {
    ++r(MPC.at(0));
    return;
  }
  ++r(GPRC.at());
  add64(GORCL.at(), len + world_.params().fcs_bytes);
  if (frame[0] & 1) ++r(frame[0] == 0xFF && frame[1] == 0xFF ? BPRC.at() : MPRC.at());
  if (len + world_.params().fcs_bytes == 64) ++r(PRC64.at());
  rx_fifo_bytes_ += len;
  rx_fifo_.push_back(std::move(frame));
  drain_rx();
}

bool Ixgbe82599::accept(const Bytes& f) const {
  const uint32_t fctrl = r(FCTRL.at());
  const bool broadcast = std::all_of(f.begin(), f.begin() + 6, [](uint8_t b) { return b == 0xFF; });
  if (broadcast) return fctrl & fctrl::kBroadcastAccept.mask();
  if (f[0] & 1) return fctrl & fctrl::kMulticastPromisc.mask();
  if (fctrl & fctrl::kUnicastPromisc.mask()) return true;
  const uint32_t lo = f[0] | f[1] << 8 | f[2] << 16 | static_cast<uint32_t>(f[3]) << 24;
  const uint32_t hi = f[4] | f[5] << 8;
  for (uint32_t i = 0; i < RAL.count; ++i) {
    const uint32_t rah = r(RAH.at(i));
    if ((rah & rah::kAddressValid.mask()) && r(RAL.at(i)) == lo && rah::kAddrHigh.get(rah) == hi) return true;
  }
  return false;
}

void Ixgbe82599::drain_rx() {
  while (!rx_fifo_.empty()) {
    const uint32_t q = 0;  // single queue until RSS lands
    const Bytes& f = rx_fifo_.front();
    if (world_.now() < rxq_[q].enable_at) {
      ++counters_.rx_queue_disabled;
    } else {
      const Deliver res = deliver(q, f);
      if (res == Deliver::kNoDescriptor) {
        if (!(r(SRRCTL.at(q)) & srrctl::kDropEnable.mask())) return;  // wait in the packet buffer
        ++r(QPRDC.at(q));
      }
    }
    rx_fifo_bytes_ -= f.size();
    rx_fifo_.pop_front();
  }
}

// §7.1.6: advanced one-buffer descriptors. The frame may span several descriptors (no EOP on all but the
// last); DD is written last in each write-back.
Ixgbe82599::Deliver Ixgbe82599::deliver(uint32_t q, const Bytes& frame) {
  const uint32_t srrctl = r(SRRCTL.at(q));
  if (srrctl::kDescType.get(srrctl) != srrctl::kDescTypeAdvOneBuf) {
    report("srrctl.unsupported-desctype", "queue " + std::to_string(q) + ": only advanced one-buffer is modelled");
    return Deliver::kDropped;
  }
  const uint32_t bsize = srrctl::kBsizePacket.get(srrctl) * 1024;
  const uint32_t rdlen = r(RDLEN.at(q));
  const uint32_t n = rdlen / 16, head = r(RDH.at(q)), tail = r(RDT.at(q));
  if (bsize == 0 || rdlen == 0 || rdlen % 128 != 0 || head >= n || tail >= n) {
    report("rx.bad-queue-state", "queue " + std::to_string(q) + ": BSIZEPACKET/RDLEN/RDH/RDT invalid");
    return Deliver::kDropped;
  }
  // CRC stays in the buffer unless both strip bits are set (§8.2.3.8.8: they must agree).
  const bool strip_hl = r(HLREG0.at()) & hlreg0::kRxCrcStrip.mask();
  const bool strip_rd = r(RDRXCTL.at()) & rdrxctl::kCrcStrip.mask();
  if (strip_hl != strip_rd) report("rdrxctl.crcstrip-mismatch", "HLREG0.RXCRCSTRP != RDRXCTL.CRCSTRIP");
  const uint8_t* data = frame.data();
  uint32_t total = static_cast<uint32_t>(frame.size());
  Bytes with_fcs;
  if (!strip_hl) {
    with_fcs = frame;
    const uint32_t fcs = crc32(frame.data(), frame.size());
    for (int i = 0; i < 4; ++i) with_fcs.push_back(static_cast<uint8_t>(fcs >> (8 * i)));
    data = with_fcs.data();
    total += 4;
  }
  const uint32_t need = (total + bsize - 1) / bsize;
  if ((tail + n - head) % n < need) return Deliver::kNoDescriptor;
  const uint64_t base = static_cast<uint64_t>(r(RDBAH.at(q))) << 32 | r(RDBAL.at(q));
  for (uint32_t i = 0, off = 0; i < need; ++i) {
    const uint64_t desc = base + static_cast<uint64_t>((head + i) % n) * 16;
    uint64_t pkt_addr;
    const uint32_t chunk = std::min(bsize, total - off);
    if (!iommu_.read(desc, &pkt_addr, 8) || !iommu_.write(pkt_addr, data + off, chunk)) {
      ++counters_.dma_faults;
      report("dma.iommu-fault", "rx queue " + std::to_string(q) + " descriptor " + std::to_string((head + i) % n));
      return Deliver::kDropped;
    }
    off += chunk;
    const uint64_t lower = 0;  // pkt_info, RSS hash: not modelled
    const uint32_t len_vlan = chunk;
    const uint32_t status = nic::rxd::kStatusDD | (i + 1 == need ? nic::rxd::kStatusEOP : 0);
    iommu_.write(desc, &lower, 8);
    iommu_.write(desc + 12, &len_vlan, 4);
    __atomic_store_n(reinterpret_cast<uint32_t*>(iommu_.translate(desc + 8, 4)), status, __ATOMIC_RELEASE);
  }
  r(RDH.at(q)) = (head + need) % n;
  ++r(QPRC.at(q));
  r(EICR.at()) |= 1u << (q % 16);
  return Deliver::kDone;
}

// ---------------------------------------------------------------------------------------------------------
// Transmit (§7.2): fetch descriptors from TDH to TDT, gather each frame up to EOP, write DD back for RS
// descriptors, serialize on the wire. The tx packet buffer (TXPBSIZE[0]) bounds how far ahead of the wire
// the engine may run; when it is full the engine resumes as the wire drains.
void Ixgbe82599::tx_process(uint32_t q) {
  tx_kick_pending_[q] = false;
  const uint64_t now = world_.now();
  if (!(r(DMATXCTL.at()) & dmatxctl::kTxEnable.mask()) || now < txq_[q].enable_at) return;
  if (!link_up()) {
    if (link_up_at_ != UINT64_MAX && link_up_at_ > now) {
      tx_kick_pending_[q] = true;
      world_.schedule(link_up_at_, this, kTxKick, q);
    }
    return;  // frames wait in the ring until the link is up
  }
  const Params& p = world_.params();
  const uint32_t tdlen = r(TDLEN.at(q));
  const uint32_t n = tdlen / 16;
  uint32_t head = r(TDH.at(q));
  const uint32_t tail = r(TDT.at(q));
  if (tdlen == 0 || tdlen % 128 != 0 || head >= n || tail >= n) {
    report("tx.bad-queue-state", "queue " + std::to_string(q) + ": TDLEN/TDH/TDT invalid");
    return;
  }
  const uint64_t base = static_cast<uint64_t>(r(TDBAH.at(q))) << 32 | r(TDBAL.at(q));
  const uint64_t buffer_ps = static_cast<uint64_t>(pbsize::kSizeKb.get(r(TXPBSIZE.at(0)))) * 1024 * p.wire_ps_per_byte;
  const uint64_t now_ps = now * 1000;
  Bytes frame;
  while (head != tail) {
    if (wire_free_ps_ > now_ps + buffer_ps) {
      tx_kick_pending_[q] = true;
      world_.schedule((wire_free_ps_ - buffer_ps) / 1000 + 1, this, kTxKick, q);
      break;
    }
    frame.clear();
    uint32_t idx = head;
    bool complete = false, bad = false;
    uint32_t rs_slots[64];
    uint32_t n_rs = 0;
    while (idx != tail && !complete) {
      const uint64_t desc = base + static_cast<uint64_t>(idx) * 16;
      nic::AdvTxDesc d;
      if (!iommu_.read(desc, &d, 16)) {
        ++counters_.dma_faults;
        report("dma.iommu-fault", "tx queue " + std::to_string(q) + " descriptor " + std::to_string(idx));
        return;
      }
      const uint32_t cmd = d.read.cmd_type_len;
      const uint32_t dtyp = (cmd >> 20) & 0xF;
      idx = (idx + 1) % n;
      if ((cmd & nic::txd::kCmdRs) && n_rs < 64) rs_slots[n_rs++] = (idx + n - 1) % n;
      if (!(cmd & nic::txd::kCmdDext) || (dtyp != 3 && dtyp != 2)) {
        report("txd.unsupported", "queue " + std::to_string(q) + ": legacy or unknown descriptor type");
        bad = true;
      }
      if (dtyp == 2) continue;  // context descriptor: offloads not modelled
      const uint32_t len = cmd & nic::txd::kLenMask;
      if (len == 0) report("txd.zero-length", "queue " + std::to_string(q));
      const size_t at = frame.size();
      frame.resize(at + len);
      if (len && !iommu_.read(d.read.buffer_addr, frame.data() + at, len)) {
        ++counters_.dma_faults;
        report("dma.iommu-fault", "tx queue " + std::to_string(q) + " buffer of descriptor " + std::to_string((idx + n - 1) % n));
        bad = true;
      }
      complete = cmd & nic::txd::kCmdEop;
    }
    if (!complete) break;  // the rest of the frame is not handed over yet
    for (uint32_t i = 0; i < n_rs; ++i) {
      const uint32_t status = nic::txd::kStatusDD;
      const uint64_t wb = base + static_cast<uint64_t>(rs_slots[i]) * 16;
      __atomic_store_n(reinterpret_cast<uint32_t*>(iommu_.translate(wb + 12, 4)), status, __ATOMIC_RELEASE);
    }
    head = idx;
    r(TDH.at(q)) = head;
    if (bad) continue;
    if ((r(HLREG0.at()) & hlreg0::kTxPadEnable.mask()) && frame.size() < p.min_frame) frame.resize(p.min_frame, 0);
    wire_free_ps_ = std::max(now_ps, wire_free_ps_) + wire_time_ps(p, static_cast<uint32_t>(frame.size()));
    const uint64_t arrival = (wire_free_ps_ + 999) / 1000;
    count_tx(q, frame);
    if (r(HLREG0.at()) & hlreg0::kLoopback.mask()) loop_link_->send(Bytes(frame), arrival);
    else if (tx_link_) tx_link_->send(Bytes(frame), arrival);
    else ++counters_.tx_no_cable;
  }
}

void Ixgbe82599::count_tx(uint32_t q, const Bytes& f) {
  ++r(GPTC.at());
  ++r(TPT.at());
  add64(GOTCL.at(), f.size() + world_.params().fcs_bytes);
  if (f[0] & 1) ++r(f[0] == 0xFF && f[1] == 0xFF ? BPTC.at() : MPTC.at());
  if (q < QPTC.count) ++r(QPTC.at(q));
}

void Ixgbe82599::add64(uint32_t lo_offset, uint64_t v) {
  const uint64_t cur = (static_cast<uint64_t>(r(lo_offset + 4)) << 32 | r(lo_offset)) + v;
  r(lo_offset) = static_cast<uint32_t>(cur);
  r(lo_offset + 4) = static_cast<uint32_t>(cur >> 32);
}

}  // namespace sim
