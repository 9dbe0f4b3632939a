#include "sim/ixgbe_model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "driver/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "sim/crc32.h"
#include "sim/rss.h"

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
    : world_(world), functional_(world.functional()), iommu_(iommu), config_(std::move(config)),
      regs_(kBarSize / 4, 0), def_of_(kBarSize / 4, -1), pcie_(world.params()) {
  for (size_t i = 0; i < std::size(kMap); ++i)
    for (uint32_t k = 0; k < kMap[i].count; ++k)
      if (kMap[i].at(k) < kBarSize) def_of_[kMap[i].at(k) / 4] = static_cast<int16_t>(i);
  struct LoopPort final : Endpoint {
    Ixgbe82599* dev;
    void receive(Bytes&& f, uint64_t t) override { dev->on_loopback(std::move(f), t); }
    void receive_view(std::span<const uint8_t> f, uint64_t) override { dev->ingress(f, nullptr); }
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
  if (far_) {  // leaving a duplex cable: both ends lose it
    Ixgbe82599* other = far_;
    far_ = other->far_ = nullptr;
    other->tx_link_ = nullptr;
    other->link_up_at_ = UINT64_MAX;
    other->link_changed(true);
  }
  tx_link_ = peer ? world_.make_link(peer) : nullptr;
  if (!peer) link_up_at_ = UINT64_MAX;
}

void Ixgbe82599::cable(Ixgbe82599& a, Ixgbe82599& b, Endpoint* a_to_b, Endpoint* b_to_a) {
  a.connect(a_to_b ? a_to_b : &b);
  b.connect(b_to_a ? b_to_a : &a);
  a.far_ = &b;
  b.far_ = &a;
  // A powered port trains as soon as a cable is plugged in (no driver needed), as after power-on.
  for (Ixgbe82599* d : {&a, &b})
    if (d->link_up_at_ == UINT64_MAX) d->link_up_at_ = d->world_.now() + d->world_.params().link_up_ns;
  a.phy_changed();
}

uint64_t Ixgbe82599::link_up_at() const {
  const auto phy_at = [](const Ixgbe82599& d) {
    if (d.link_fault_ || d.removed_ || !(d.forced_link() || d.cabled())) return UINT64_MAX;
    return std::max(d.link_up_at_, d.reset_done_at_);
  };
  const uint64_t mine = phy_at(*this);
  return far_ && !forced_link() ? std::max(mine, phy_at(*far_)) : mine;
}

void Ixgbe82599::phy_changed() {
  link_changed(false);
  if (far_) far_->link_changed(true);
}

void Ixgbe82599::link_changed(bool from_far_end) {
  if (from_far_end && !removed_) r(EICR.at()) |= eicr::kLinkStatusChange.mask();
  const uint64_t at = link_up_at();
  if (at == UINT64_MAX) return;
  for (uint32_t q = 0; q < kQueues; ++q)
    if (txq_[q].enable_at != UINT64_MAX) schedule_kick(q, std::max(at, world_.now()));
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
  ++reg_epoch_;
  // Frames inside the device are lost: in the packet buffer, or written back to nobody (rx); descriptors
  // handed over but not yet processed (tx).
  counters_.rx_lost_reset += rx_fifo_.size();
  for (const HostWrite& w : host_writes_) counters_.rx_lost_reset += w.rx;
  for (uint32_t q = 0; q < kQueues; ++q) {
    orphan_n_[q] = 0;
    if (txq_[q].enable_at == UINT64_MAX) continue;
    counters_.tx_lost_reset += tx_unprocessed(q);
    orphan_n_[q] = r(TDLEN.at(q)) / 16;
    orphan_tail_[q] = r(TDT.at(q));
  }
  tx_hang_ = false;  // a global reset un-wedges the transmit engine
  strict_.reset();
  for (const RegDef& d : kMap)
    for (uint32_t k = 0; k < d.count; ++k)
      if (d.at(k) < kBarSize) r(d.at(k)) = d.reset_of(k);
  // RAL/RAH[0] from the EEPROM's IA field, address valid.
  const auto& m = config_.mac;
  r(RAL.at(0)) = m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24;
  r(RAH.at(0)) = m[4] | m[5] << 8 | rah::kAddressValid.mask();
  for (uint32_t q = 0; q < kQueues; ++q) {
    reset_ring(true, q);
    reset_ring(false, q);
    rxq_[q].enable_at = txq_[q].enable_at = UINT64_MAX;
  }
  rx_fifo_.clear();
  rx_fifo_bytes_ = 0;
  host_writes_.clear();  // in-flight DMA of the old life is lost (its queues' generations changed anyway)
  tx_pb_.clear();
  tx_pb_bytes_ = 0;
  for (Vector& v : vec_) v = Vector{v.next_ok, false, v.timer, v.fired};
  reset_written_at_ = now;
  reset_done_at_ = now + world_.params().reset_ns;
  link_up_at_ = cabled() ? reset_done_at_ + world_.params().link_up_ns : UINT64_MAX;
  phy_changed();
}

// ---------------------------------------------------------------------------------------------------------
// MMIO
uint32_t Ixgbe82599::read32(uint32_t offset) {
  if (removed_) return 0xFFFFFFFFu;  // nobody answers: the root complex completes the read with all-ones
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
  strict_.after_read(d, static_cast<uint32_t>(d.index_of(offset)), v);  // what software saw (sim/strict.h)
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
      clear_causes(cell);
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
  if (removed_) return;
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
  if (!is(d, RDT) && !is(d, TDT)) ++reg_epoch_;  // the doorbells change no view (tails are read per frame)
  uint32_t& cell = r(offset);
  strict_check(d, offset, cell, value);  // every mode: outside strict mode only the `always` rules report
  switch (d.access) {
    case Access::kRO:
    case Access::kRC:
      report("mmio.write-read-only", "write " + hex(value) + " to " + std::string(d.name));
      return;
    case Access::kWO:
      if (is(d, EIMC)) r(EIMS.at()) &= ~value;
      if (is(d, EICS))
        for (uint32_t v = 0; v < 32; ++v)
          if (value & (1u << v)) raise(static_cast<int>(v));
      return;
    case Access::kRW1C:
      if (is(d, EICR)) clear_causes(value & cell);
      cell &= ~value;
      return;
    case Access::kRW:
      break;
  }
  const uint32_t old = cell;
  if (is(d, EIMS)) value |= old;  // EIMS: writing 1 sets, 0 has no effect
  cell = value;
  write_special(d, offset, old, value);
  if (is(d, EIMS))  // causes that were pending while masked fire now (EITR permitting)
    for (uint32_t v = 0; v < kVectors; ++v)
      if ((value & ~old) & (1u << v)) try_fire(v);
}

void Ixgbe82599::write_special(const RegDef& d, uint32_t offset, uint32_t old, uint32_t v) {
  // The doorbells first: they are most of the writes under traffic.
  if (is(d, RDT)) {
    const uint32_t q = static_cast<uint32_t>(d.index_of(offset));
    if (functional_) return drain_rx();  // frames waiting in the packet buffer go at once
    // The doorbell reaches the device one PCIe latency later; then it may fetch the new descriptors.
    world_.schedule(ceil_ns(pcie_.doorbell(now_ps())), this, kRxDoorbell, arg(q, rxq_[q].gen));
    return;
  }
  if (is(d, TDT)) {
    const uint32_t q = static_cast<uint32_t>(d.index_of(offset));
    if (r(TDLEN.at(q)) == 0 && orphan_n_[q] != 0) {  // a queue this device forgot in a reset
      counters_.tx_lost_reset += (v % orphan_n_[q] + orphan_n_[q] - orphan_tail_[q] % orphan_n_[q]) % orphan_n_[q];
      orphan_tail_[q] = v;
    }
    if (functional_) return tx_process(q);  // every handed-over frame goes at once
    schedule_kick(q, ceil_ns(pcie_.doorbell(now_ps())));
    return;
  }
  const uint64_t now = world_.now();
  const Params& p = world_.params();
  if (is(d, CTRL)) {
    r(CTRL.at()) = v & ~ctrl::kResetMask;  // self-clearing bits
    if (v & ctrl::kReset.mask()) reset();
    else if (v & ctrl::kLinkReset.mask()) {
      link_up_at_ = cabled() ? now + p.link_up_ns : UINT64_MAX;
      phy_changed();
    }
    return;
  }
  if (is(d, AUTOC)) {
    r(AUTOC.at()) = v & ~autoc::kAnRestart.mask();  // self-clearing
    if (v & autoc::kAnRestart.mask()) {
      const bool forced = v & autoc::kForceLinkUp.mask();
      link_up_at_ = forced ? now + 1000 : cabled() ? now + p.link_up_ns : UINT64_MAX;
      phy_changed();
    }
    return;
  }
  const int64_t q = d.index_of(offset);
  if (is(d, RXDCTL) || is(d, TXDCTL)) {
    const bool rx = is(d, RXDCTL);
    Queue& st = rx ? rxq_[q] : txq_[q];
    const bool was = old & rxdctl::kEnable.mask(), on = v & rxdctl::kEnable.mask();
    if (!rx && was && !on) counters_.tx_lost_reset += tx_unprocessed(static_cast<uint32_t>(q));
    if (on != was) reset_ring(rx, static_cast<uint32_t>(q));
    if (on && !was) st.enable_at = now + p.queue_enable_ns;
    if (!on) st.enable_at = UINT64_MAX;
    return;
  }
  if (is(d, TDLEN)) orphan_n_[q] = 0;
  // A new ring base, length or head starts the queue's descriptor engine afresh.
  if (is(d, RDBAL) || is(d, RDBAH) || is(d, RDLEN) || is(d, RDH)) return reset_ring(true, static_cast<uint32_t>(q));
  if (is(d, TDBAL) || is(d, TDBAH) || is(d, TDLEN) || is(d, TDH)) return reset_ring(false, static_cast<uint32_t>(q));
  if (is(d, RXCTRL) && (v & rxctrl::kRxEnable.mask())) drain_rx();
}

void Ixgbe82599::strict_check(const RegDef& d, uint32_t offset, uint32_t old, uint32_t v) {
  const Params& p = world_.params();
  const uint64_t now = world_.now();
  const StrictView view{regs_.data(), now >= reset_done_at_ + std::max(p.eeprom_ns, p.dma_init_ns), config_.strict, now,
                        &diag_};
  strict_.before_write(d, static_cast<uint32_t>(d.index_of(offset)), old, v, view);
}

uint32_t Ixgbe82599::tx_unprocessed(uint32_t q) const {
  const uint32_t n = r(TDLEN.at(q)) / 16, tail = r(TDT.at(q)), head = txq_[q].head;
  return n == 0 || tail >= n || head >= n ? 0 : (tail + n - head) % n;
}

// ---------------------------------------------------------------------------------------------------------
// Fault injection
void Ixgbe82599::fault_link_down(bool down) {
  if (down == link_fault_) return;
  link_fault_ = down;
  r(EICR.at()) |= eicr::kLinkStatusChange.mask();
  // Retrain: the link comes back after auto-negotiation (or at once when forced up), then queued frames go.
  if (!down) {
    const uint64_t now = world_.now();
    link_up_at_ = forced_link() ? now + 1000 : cabled() ? now + world_.params().link_up_ns : UINT64_MAX;
  }
  phy_changed();
}

void Ixgbe82599::fault_tx_hang(bool on) {
  tx_hang_ = on;
  if (on) return;
  for (uint32_t q = 0; q < kQueues; ++q)
    if (txq_[q].enable_at != UINT64_MAX) schedule_kick(q, world_.now());
}

void Ixgbe82599::fault_rx_stall(bool on) {
  rx_stall_ = on;
  if (!on) drain_rx();
}

void Ixgbe82599::fault_reset() {
  reset();
  reset_written_at_ = UINT64_MAX;  // not software's reset: no quiet period is owed
}

void Ixgbe82599::fault_remove() {
  removed_ = true;
  phy_changed();
  counters_.rx_lost_reset += rx_fifo_.size();
  for (uint32_t q = 0; q < kQueues; ++q)
    if (txq_[q].enable_at != UINT64_MAX) counters_.tx_lost_reset += tx_unprocessed(q);
  rx_fifo_.clear();
  rx_fifo_bytes_ = 0;
}

void Ixgbe82599::on_event(uint32_t kind, uint64_t a) {
  const uint32_t q = static_cast<uint32_t>(a & 0xFF);
  const uint32_t gen = static_cast<uint32_t>(a >> 8);
  switch (kind) {
    case kTxKick:
      if (world_.now() >= txq_[q].kick_at) txq_[q].kick_at = UINT64_MAX;
      tx_process(q);
      break;
    case kRxDoorbell:
      while (fetch(true, q)) {
      }
      drain_rx();
      break;
    case kRxDescArrive: desc_arrive(true, q, gen); break;
    case kTxDescArrive: desc_arrive(false, q, gen); break;
    case kRxDrain:
      rx_drain_scheduled_ = false;
      drain_rx();
      break;
    case kHostWrite: apply_host_writes(); break;
    case kTxDataDone: tx_data_done(q, gen); break;
    case kRxFlush:
    case kTxFlush: {
      Queue& g = kind == kRxFlush ? rxq_[q] : txq_[q];
      if (g.gen != gen) break;
      g.flush_armed = false;
      if (kind == kRxFlush) rx_writeback(q);
      else tx_writeback(q);
      break;
    }
    case kItr:
      vec_[q].timer = false;
      try_fire(q);
      break;
    default: break;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Descriptor engines, shared by rx and tx (§7.1.3.3, §7.2.3.4).
void Ixgbe82599::reset_ring(bool rx, uint32_t q) {
  Queue& g = rx ? rxq_[q] : txq_[q];
  for (const HostWrite& w : g.held) counters_.rx_lost_reset += w.rx;
  ++g.gen;
  g.fetches.clear();
  g.inflight = 0;
  g.cache.clear();
  g.head = g.fetch_next = r((rx ? RDH : TDH).at(q));
  g.wb_pending = 0;
  g.flush_armed = false;
  g.held.clear();
  g.rs_pending.clear();
  g.tx_done.clear();
  g.view_regs = UINT64_MAX;
}

// Issues one descriptor read if the thresholds call for it; returns true if it did.
bool Ixgbe82599::fetch(bool rx, uint32_t q) {
  Queue& g = rx ? rxq_[q] : txq_[q];
  const uint32_t len = r((rx ? RDLEN : TDLEN).at(q)), n = len / 16;
  const uint32_t tail = r((rx ? RDT : TDT).at(q));
  if (n == 0 || len % 128 != 0 || tail >= n || g.fetch_next >= n || world_.now() < g.enable_at) return false;
  const uint32_t avail = (tail + n - g.fetch_next) % n;
  const uint32_t cap = rx ? world_.params().rx_desc_cache : world_.params().tx_desc_cache;
  const uint32_t on_chip = static_cast<uint32_t>(g.cache.size()) + g.inflight;
  if (avail == 0 || on_chip >= cap) return false;
  // RXDCTL is modelled with TXDCTL's threshold fields (PTHRESH 6:0, HTHRESH 14:8, WTHRESH 22:16).
  const uint32_t ctl = r((rx ? RXDCTL : TXDCTL).at(q));
  const uint32_t pthresh = txdctl::kPrefetchThresh.get(ctl), hthresh = txdctl::kHostThresh.get(ctl);
  const bool on_demand = on_chip == 0;
  const bool prefetch = on_chip < pthresh && avail >= std::max<uint32_t>(hthresh, 1);
  if (!on_demand && !prefetch) return false;
  const uint32_t k = std::min({avail, cap - on_chip, n - g.fetch_next});  // one read never wraps the ring
  const uint64_t ready = pcie_.read(now_ps(), static_cast<uint64_t>(k) * 16);
  g.fetches.push_back({g.fetch_next, k});
  g.inflight += k;
  g.fetch_next = (g.fetch_next + k) % n;
  ++counters_.desc_fetches;
  world_.schedule(ceil_ns(ready), this, rx ? kRxDescArrive : kTxDescArrive, arg(q, g.gen));
  return true;
}

void Ixgbe82599::desc_arrive(bool rx, uint32_t q, uint32_t gen) {
  Queue& g = rx ? rxq_[q] : txq_[q];
  if (gen != g.gen || g.fetches.empty()) return;
  const Fetch f = g.fetches.front();
  g.fetches.pop_front();
  g.inflight -= f.count;
  const uint64_t base = ring_base(rx, q);
  for (uint32_t i = 0; i < f.count; ++i) {
    RawDesc d;
    if (!iommu_.read(base + static_cast<uint64_t>(f.first + i) * 16, d.data(), 16)) {
      ++counters_.dma_faults;
      report("dma.iommu-fault", std::string(rx ? "rx" : "tx") + " queue " + std::to_string(q) +
                                    " descriptor fetch at " + std::to_string(f.first + i));
      reset_ring(rx, q);  // the queue stalls until software sets it up again
      return;
    }
    g.cache.push_back(d);
  }
  while (fetch(rx, q)) {
  }
  if (rx) drain_rx();
  else tx_process(q);
}

void Ixgbe82599::push_host_write(HostWrite&& w) {
  if (!host_writes_.empty() && w.t_ns < host_writes_.back().t_ns) w.t_ns = host_writes_.back().t_ns;
  world_.schedule(w.t_ns, this, kHostWrite);
  host_writes_.push_back(std::move(w));
}

// Write-backs land in host memory: frame data first, then the descriptor, DD last as a release store, so a
// driver that sees DD (with an acquire or rmb) sees everything before it.
void Ixgbe82599::apply_host_writes() {
  while (!host_writes_.empty() && host_writes_.front().t_ns <= world_.now()) {
    HostWrite w = std::move(host_writes_.front());
    host_writes_.pop_front();
    Queue& g = w.rx ? rxq_[w.q] : txq_[w.q];
    if (w.gen != g.gen || removed_) {  // the queue was reset meanwhile (software took the ring back) or the
      counters_.rx_lost_reset += w.rx;  // device is gone
      continue;
    }
    bool fault = false;
    if (w.rx) {
      const uint32_t total = static_cast<uint32_t>(w.frame.size());
      for (uint32_t i = 0, off = 0; i < w.ndesc; ++i) {
        const uint32_t chunk = std::min(w.bsize, total - off);
        const uint64_t desc = w.ring_base + static_cast<uint64_t>((w.first + i) % w.ring_n) * 16;
        const uint64_t lower = 0;  // pkt_info, RSS hash: not modelled
        const uint32_t len_vlan = chunk;
        const uint32_t status = nic::rxd::kStatusDD | (i + 1 == w.ndesc ? nic::rxd::kStatusEOP : 0);
        auto* st = reinterpret_cast<uint32_t*>(iommu_.translate(desc + 8, 4));
        if (!iommu_.write(w.bufs[i], w.frame.data() + off, chunk) || !st || !iommu_.write(desc, &lower, 8) ||
            !iommu_.write(desc + 12, &len_vlan, 4)) {
          fault = true;
          break;
        }
        __atomic_store_n(st, status, __ATOMIC_RELEASE);
        off += chunk;
      }
      if (!fault) raise(rx_vector(w.q));
    } else {
      auto* st = reinterpret_cast<uint32_t*>(iommu_.translate(w.ring_base + 12, 4));
      if (st) __atomic_store_n(st, nic::txd::kStatusDD, __ATOMIC_RELEASE);
      else fault = true;
      if (st && w.cause) raise(tx_vector(w.q));
    }
    if (fault) {
      ++counters_.dma_faults;
      counters_.rx_dma_drops += w.rx;
      report("dma.iommu-fault", std::string(w.rx ? "rx" : "tx") + " queue " + std::to_string(w.q) + " write-back");
    }
  }
}

// rx write-back: with WTHRESH = 0 every frame's descriptors are written right after its data; otherwise they
// collect until WTHRESH descriptors are done (or the flush timer runs out) and go as one burst.
void Ixgbe82599::rx_writeback(uint32_t q) {
  Queue& g = rxq_[q];
  if (g.held.empty()) return;
  const uint64_t t = ceil_ns(pcie_.write(now_ps(), static_cast<uint64_t>(g.wb_pending) * 16));
  ++counters_.writebacks;
  for (HostWrite& w : g.held) {
    w.t_ns = t;
    push_host_write(std::move(w));
  }
  g.held.clear();
  g.wb_pending = 0;
}

void Ixgbe82599::tx_writeback(uint32_t q) {
  Queue& g = txq_[q];
  if (g.wb_pending == 0) return;
  const uint64_t t = ceil_ns(pcie_.write(now_ps(), static_cast<uint64_t>(g.wb_pending) * 16));
  ++counters_.writebacks;
  const uint64_t base = ring_base(false, q);
  for (size_t i = 0; i < g.rs_pending.size(); ++i) {
    HostWrite w;
    w.t_ns = t;
    w.q = static_cast<uint8_t>(q);
    w.gen = g.gen;
    w.ring_base = base + static_cast<uint64_t>(g.rs_pending[i]) * 16;
    w.cause = i + 1 == g.rs_pending.size();
    push_host_write(std::move(w));
  }
  g.rs_pending.clear();
  g.wb_pending = 0;
}

// ---------------------------------------------------------------------------------------------------------
// Interrupts (§7.3): queues map to vectors by IVAR (rx_vector(), tx_vector() in the header). A vector fires
// when a cause arrived, its EIMS bit is set and its EITR interval has passed since it last fired; otherwise it
// fires when the interval runs out.
void Ixgbe82599::raise_new(int vector) {
  if (vector < 0 || vector >= 32) return;
  r(EICR.at()) |= 1u << vector;
  if (static_cast<uint32_t>(vector) >= kVectors) return;
  vec_[vector].pending = true;
  try_fire(static_cast<uint32_t>(vector));
}

void Ixgbe82599::try_fire(uint32_t v) {
  Vector& x = vec_[v];
  if (!x.pending || !(r(EIMS.at()) & (1u << v))) return;
  const uint64_t now = world_.now();
  if (now < x.next_ok) {
    if (!x.timer) {
      x.timer = true;
      world_.schedule(x.next_ok, this, kItr, v);
    }
    return;
  }
  x.pending = false;
  ++x.fired;
  const uint32_t eitr = r(EITR.at(v));
  x.next_ok = now + ((eitr >> 3) & 0x1FF) * world_.params().itr_unit_ns;  // ITR_INTERVAL, bits 11:3
  // MSI-X mode (§7.3.1.3): the message auto-clears the vector's EICR bit if EIAC has it, and auto-masks it
  // (EIMS bit cleared) if GPIE.EIAME is set and EIAM has it.
  const uint32_t gpie = r(GPIE.at());
  if (gpie & gpie::kMsixMode.mask()) {
    r(EICR.at()) &= ~(r(EIAC.at()) & (1u << v));
    if (gpie & gpie::kEiame.mask()) r(EIMS.at()) &= ~(r(EIAM.at()) & (1u << v));
  }
  if (on_interrupt) on_interrupt(v, now);
}

// Causes software cleared in EICR (write 1 to clear, or the read) are no longer pending: unmasking the vector
// later does not fire for them.
void Ixgbe82599::clear_causes(uint32_t bits) {
  for (uint32_t v = 0; v < kVectors; ++v)
    if (bits & (1u << v)) vec_[v].pending = false;
}

// ---------------------------------------------------------------------------------------------------------
// Receive: MAC checks, L2 filter (§7.1.1), packet buffer (§7.1.2), then queue 0's descriptors.
// From the cable; in MAC loopback the PHY side is not listened to. (`owned`: see ingress().)
void Ixgbe82599::from_wire(std::span<const uint8_t> frame, Bytes* owned) {
  if (r(HLREG0.at()) & hlreg0::kLoopback.mask()) {
    ++counters_.rx_link_down;
    return;
  }
  ingress(frame, owned);
}

void Ixgbe82599::receive(Bytes&& frame, uint64_t) { from_wire(frame, &frame); }
void Ixgbe82599::receive_view(std::span<const uint8_t> frame, uint64_t) { from_wire(frame, nullptr); }

void Ixgbe82599::on_loopback(Bytes&& frame, uint64_t) { ingress(frame, &frame); }

void Ixgbe82599::ingress(std::span<const uint8_t> frame, Bytes* owned) {
  if (!link_up()) {
    ++counters_.rx_link_down;
    return;
  }
  const uint32_t len = static_cast<uint32_t>(frame.size());
  ++r(TPR.at());
  add64(TORL.at(), len + world_.params().fcs_bytes);
  if (!(r(RXCTRL.at()) & rxctrl::kRxEnable.mask()) || (r(SECRXCTRL.at()) & secrxctrl::kRxDisable.mask())) {
    ++counters_.rx_disabled;  // receive off, or its data path halted (§4.6.7: SECRXCTRL.RX_DIS)
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
    count_rx_drop(counters_.rx_missed);
    return;
  }
  ++r(GPRC.at());
  add64(GORCL.at(), len + world_.params().fcs_bytes);
  if (frame[0] & 1) ++r(frame[0] == 0xFF && frame[1] == 0xFF ? BPRC.at() : MPRC.at());
  if (len + world_.params().fcs_bytes == 64) ++r(PRC64.at());
  // Functional mode: a frame arriving at an empty packet buffer goes straight to its queue, without a copy.
  if (functional_ && rx_fifo_.empty() && !rx_stall_ && rx_one(frame)) return;
  rx_fifo_bytes_ += len;
  rx_fifo_.push_back(owned ? std::move(*owned) : Bytes(frame.begin(), frame.end()));
  drain_rx();
}

// §7.1.2.8: with MRQC.MRQE = RSS, the Toeplitz hash of the enabled fields picks a RETA entry, whose low
// four bits are the queue; frames without a hash (not IPv4, or its field disabled) go to queue 0.
uint32_t Ixgbe82599::rss_queue(std::span<const uint8_t> f) const {
  const uint32_t m = r(MRQC.at());
  uint8_t key[40];
  for (uint32_t i = 0; i < 40; ++i) key[i] = static_cast<uint8_t>(r(RSSRK.at(i / 4)) >> (8 * (i % 4)));
  const RssFields fields{.ipv4 = (m & mrqc::kIpv4.mask()) != 0, .ipv4_tcp = (m & mrqc::kTcpIpv4.mask()) != 0,
                         .ipv4_udp = (m & mrqc::kUdpIpv4.mask()) != 0};
  const std::optional<uint32_t> hash = rss_hash(key, fields, f);
  if (!hash) return 0;
  const uint32_t entry = *hash & 127;
  return (r(RETA.at(entry / 4)) >> (8 * (entry % 4))) & 0x0F;
}

bool Ixgbe82599::accept(std::span<const uint8_t> f) const {
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

void Ixgbe82599::count_rx_drop(uint64_t& counter) {
  ++counter;
  if (world_.behind_pace()) [[unlikely]] ++counters_.rx_pace_drops;
}

// Frames leave the packet buffer in order, each once its queue has descriptors on chip and the upstream pipe
// is not backed up. Without a descriptor anywhere (cache, fetch in flight, host ring), SRRCTL.DROP_EN drops
// the frame at once (QPRDC); otherwise it waits, and later frames find the buffer full (MPC, in ingress()).
void Ixgbe82599::drain_rx() {
  const uint64_t queue_ps = world_.params().dma_queue_ns * 1000;
  if (rx_stall_) [[unlikely]] return;  // fault: receive DMA stopped, the packet buffer fills
  if (functional_) {
    while (!rx_fifo_.empty() && rx_one(rx_fifo_.front())) {
      rx_fifo_bytes_ -= rx_fifo_.front().size();
      rx_fifo_.pop_front();
    }
    return;
  }
  while (!rx_fifo_.empty()) {
    Bytes& f = rx_fifo_.front();
    const uint32_t q = select_queue(f);
    if (world_.now() < rxq_[q].enable_at) {
      ++counters_.rx_queue_disabled;
    } else {
      if (pcie_.upstream_free_ps() > now_ps() + queue_ps) {
        ++counters_.rx_pcie_waits;
        if (!rx_drain_scheduled_) {
          rx_drain_scheduled_ = true;
          world_.schedule(ceil_ns(pcie_.upstream_free_ps() - queue_ps), this, kRxDrain);
        }
        return;
      }
      const size_t size = f.size();
      const Deliver res = deliver(q, f);
      if (res == Deliver::kNoDescriptor) {
        Queue& g = rxq_[q];
        const uint32_t n = r(RDLEN.at(q)) / 16;
        const bool more = g.inflight > 0 || (n && (r(RDT.at(q)) + n - g.fetch_next) % n != 0) || rx_tail_posted(q);
        if (more || !(r(SRRCTL.at(q)) & srrctl::kDropEnable.mask())) return;  // wait in the packet buffer
        ++r(QPRDC.at(q));
        count_rx_drop(counters_.rx_no_desc);
      } else if (res == Deliver::kDropped) {
        ++counters_.rx_dma_drops;
      }
      rx_fifo_bytes_ -= size;
      rx_fifo_.pop_front();
      continue;
    }
    rx_fifo_bytes_ -= f.size();
    rx_fifo_.pop_front();
  }
}

// §7.1.6: advanced one-buffer descriptors. The frame may span several descriptors (no EOP on all but the
// last). The data and then the write-back go up as posted writes; the frame becomes visible (DD) when the
// write-back lands, see apply_host_writes(). On success the frame's bytes move into the pending write.
Ixgbe82599::Deliver Ixgbe82599::deliver(uint32_t q, Bytes& frame) {
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
  uint32_t total = static_cast<uint32_t>(frame.size());
  const uint32_t need = (total + (strip_hl ? 0 : 4) + bsize - 1) / bsize;
  Queue& g = rxq_[q];
  if (g.cache.size() < need) {
    while (fetch(true, q)) {
    }
    return Deliver::kNoDescriptor;
  }
  // The IOMMU checks every buffer before anything is written (a fault drops the frame, nothing written back).
  std::vector<uint64_t> bufs(need);
  for (uint32_t i = 0; i < need; ++i) {
    bufs[i] = g.cache[i][0];  // read format: pkt_addr
    const uint32_t chunk = std::min(bsize, total + (strip_hl ? 0 : 4) - i * bsize);
    if (!iommu_.translate(bufs[i], chunk)) {
      ++counters_.dma_faults;
      report("dma.iommu-fault", "rx queue " + std::to_string(q) + " descriptor " + std::to_string((g.head + i) % n));
      return Deliver::kDropped;
    }
  }
  if (!strip_hl) {
    const uint32_t fcs = crc32(frame.data(), frame.size());
    for (int i = 0; i < 4; ++i) frame.push_back(static_cast<uint8_t>(fcs >> (8 * i)));
    total += 4;
  }
  HostWrite w;
  w.rx = true;
  w.q = static_cast<uint8_t>(q);
  w.gen = g.gen;
  w.ring_base = ring_base(true, q);
  w.ring_n = n;
  w.first = g.head;
  w.ndesc = need;
  w.bsize = bsize;
  w.bufs = std::move(bufs);
  w.frame = std::move(frame);
  for (uint32_t i = 0; i < need; ++i) g.cache.pop_front();
  g.head = (g.head + need) % n;
  r(RDH.at(q)) = g.head;
  ++r(QPRC.at(q));
  pcie_.write(now_ps(), total);  // the data, ahead of its write-back on the same pipe
  g.wb_pending += need;
  g.held.push_back(std::move(w));
  const uint32_t wthresh = txdctl::kWritebackThresh.get(r(RXDCTL.at(q)));
  if (wthresh == 0 || g.wb_pending >= wthresh) {
    rx_writeback(q);
  } else if (!g.flush_armed) {
    g.flush_armed = true;
    world_.schedule(world_.now() + world_.params().wb_flush_ns, this, kRxFlush, arg(q, g.gen));
  }
  while (fetch(true, q)) {
  }
  return Deliver::kDone;
}

// ---------------------------------------------------------------------------------------------------------
// Transmit (§7.2): descriptors come from the on-chip cache (fetched from TDH towards TDT), each frame's data
// is read over PCIe into the tx packet buffer (TXPBSIZE[0]) and serialized on the wire once it is there and
// the wire is free. The engine stops while the packet buffer is full or the downstream pipe is backed up.
// When a frame's data is on chip its descriptors are done: RS descriptors are written back (WTHRESH rules).
void Ixgbe82599::schedule_kick(uint32_t q, uint64_t t_ns) {
  Queue& g = txq_[q];
  if (g.kick_at <= t_ns && g.kick_at >= world_.now()) return;
  g.kick_at = t_ns;
  world_.schedule(t_ns, this, kTxKick, q);
}

// May queue q's transmit engine run now? (Both engines: DMA and the queue enabled, not hung, link up, a
// usable ring.) Frames wait on the ring while the link is down; the engine runs again when it comes up.
bool Ixgbe82599::tx_ready(uint32_t q) {
  const uint64_t now = world_.now();
  if (!(r(DMATXCTL.at()) & dmatxctl::kTxEnable.mask()) || now < txq_[q].enable_at) return false;
  if (tx_hang_) [[unlikely]] return false;  // fault: the engine is wedged, TDH stays where it is
  if (!link_up()) {
    if (const uint64_t at = link_up_at(); at != UINT64_MAX && at > now) schedule_kick(q, at);
    return false;
  }
  const uint32_t tdlen = r(TDLEN.at(q)), n = tdlen / 16;
  if (tdlen == 0 || tdlen % 128 != 0 || txq_[q].head >= n || r(TDT.at(q)) >= n) {
    report("tx.bad-queue-state", "queue " + std::to_string(q) + ": TDLEN/TDH/TDT invalid");
    return false;
  }
  return true;
}

void Ixgbe82599::tx_process(uint32_t q) {
  if (functional_) return tx_now(q);
  if (!tx_ready(q)) return;
  const Params& p = world_.params();
  const uint32_t n = r(TDLEN.at(q)) / 16;
  Queue& g = txq_[q];
  while (fetch(false, q)) {
  }
  const uint64_t t_ps = now_ps();
  while (!tx_pb_.empty() && tx_pb_.front().first <= t_ps) {
    tx_pb_bytes_ -= tx_pb_.front().second;
    tx_pb_.pop_front();
  }
  const uint64_t pb_bytes = static_cast<uint64_t>(pbsize::kSizeKb.get(r(TXPBSIZE.at(0)))) * 1024;
  Bytes frame;
  while (!g.cache.empty()) {
    // The frame's descriptors, up to EOP, must all be on chip.
    size_t k = 0;
    while (k < g.cache.size() && !(static_cast<uint32_t>(g.cache[k][1]) & nic::txd::kCmdEop)) ++k;
    if (k == g.cache.size()) {
      if (k < p.tx_desc_cache) break;  // the rest of the frame is not fetched (or not handed over) yet
      report("txd.frame-exceeds-cache", "queue " + std::to_string(q) + ": no EOP within the on-chip cache");
      k = g.cache.size() - 1;  // drop these descriptors as one bad frame
    }
    const uint32_t ndesc = static_cast<uint32_t>(k + 1);
    frame.clear();
    bool bad = false;
    std::vector<uint32_t> rs;
    for (uint32_t i = 0; i < ndesc; ++i) {
      nic::AdvTxDesc d;
      std::memcpy(&d, g.cache[i].data(), 16);
      const uint32_t idx = (g.head + i) % n;
      const uint32_t cmd = d.read.cmd_type_len;
      const uint32_t dtyp = (cmd >> 20) & 0xF;
      if (cmd & nic::txd::kCmdRs) rs.push_back(idx);
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
        report("dma.iommu-fault", "tx queue " + std::to_string(q) + " buffer of descriptor " + std::to_string(idx));
        bad = true;
      }
    }
    // Room in the packet buffer, and a downstream pipe that is not backed up?
    const uint64_t bytes = frame.size();
    if (!tx_pb_.empty() && tx_pb_bytes_ + bytes > pb_bytes) {
      ++counters_.tx_pb_full_waits;
      schedule_kick(q, ceil_ns(tx_pb_.front().first));
      break;
    }
    const uint64_t backlog = pcie_.downstream_backlog_ps(t_ps);
    if (backlog > p.dma_queue_ns * 1000) {
      schedule_kick(q, ceil_ns(t_ps + backlog - p.dma_queue_ns * 1000));
      break;
    }
    for (uint32_t i = 0; i < ndesc; ++i) g.cache.pop_front();
    g.head = (g.head + ndesc) % n;
    r(TDH.at(q)) = g.head;
    const uint64_t ready_ps = bad ? t_ps : pcie_.read(t_ps, std::max<uint64_t>(bytes, 1));
    const bool empty = g.tx_done.empty();
    g.tx_done.push_back({ceil_ns(ready_ps), ndesc, std::move(rs)});
    if (empty) world_.schedule(g.tx_done.back().t_ns, this, kTxDataDone, arg(q, g.gen));
    if (bad) {
      ++counters_.tx_bad_frames;
      continue;
    }
    if ((r(HLREG0.at()) & hlreg0::kTxPadEnable.mask()) && frame.size() < p.min_frame) frame.resize(p.min_frame, 0);
    wire_free_ps_ = std::max(ready_ps, wire_free_ps_) + wire_time_ps(p, static_cast<uint32_t>(frame.size()));
    tx_pb_.emplace_back(wire_free_ps_, static_cast<uint32_t>(bytes));
    tx_pb_bytes_ += bytes;
    const uint64_t arrival = ceil_ns(wire_free_ps_);
    count_tx(q, frame);
    send(frame, arrival);
    while (fetch(false, q)) {
    }
  }
}

// A frame's data is on chip: its descriptors are done. WTHRESH = 0 writes each RS descriptor back now;
// otherwise descriptors collect until WTHRESH are done (or wb_flush_ns passes) and go back as one burst.
void Ixgbe82599::tx_data_done(uint32_t q, uint32_t gen) {
  Queue& g = txq_[q];
  if (gen != g.gen) return;
  const uint64_t now = world_.now();
  const uint32_t wthresh = txdctl::kWritebackThresh.get(r(TXDCTL.at(q)));
  while (!g.tx_done.empty() && g.tx_done.front().t_ns <= now) {
    TxDone& d = g.tx_done.front();
    g.wb_pending += d.ndesc;
    if (wthresh == 0) {
      // One write per RS descriptor; descriptors without RS are never written back.
      for (uint32_t slot : d.rs) {
        g.rs_pending.assign(1, slot);
        g.wb_pending = 1;
        tx_writeback(q);
      }
      g.wb_pending = 0;
    } else {
      g.rs_pending.insert(g.rs_pending.end(), d.rs.begin(), d.rs.end());
    }
    g.tx_done.pop_front();
  }
  if (wthresh > 0) {
    if (g.wb_pending >= wthresh) tx_writeback(q);
    else if (g.wb_pending > 0 && !g.flush_armed) {
      g.flush_armed = true;
      world_.schedule(now + world_.params().wb_flush_ns, this, kTxFlush, arg(q, g.gen));
    }
  }
  if (!g.tx_done.empty()) world_.schedule(g.tx_done.front().t_ns, this, kTxDataDone, arg(q, g.gen));
}

// Onto the wire: through the cable's link (timed), or straight to the peer (functional: no time passes).
void Ixgbe82599::send(std::span<const uint8_t> frame, uint64_t arrival) {
  const bool loop = r(HLREG0.at()) & hlreg0::kLoopback.mask();
  Link* link = loop ? loop_link_ : tx_link_;
  if (!link) {
    ++counters_.tx_no_cable;
  } else if (functional_) {
    if (loop) ingress(frame, nullptr);
    else link->dst()->receive_view(frame, arrival);
  } else {
    link->send(Bytes(frame.begin(), frame.end()), arrival);
  }
}


}  // namespace sim
