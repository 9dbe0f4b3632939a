// The 82599 model's descriptor engines (timed): fetches into the on-chip caches, write-backs to host memory.
#include "sim/ixgbe_model.h"

#include <algorithm>
#include <string>

#include "driver/ring/descriptors.h"
#include "sim/ixgbe_datapath.h"

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts

// ---------------------------------------------------------------------------------------------------------
// Descriptor engines, shared by rx and tx (§7.1.3.3, §7.2.3.4).
void Ixgbe82599::reset_ring(Ring ring, uint32_t q) {
  DescEngine& g = engine(ring, q);
  ++g.gen;
  g.fetches.clear();
  g.inflight = 0;
  g.cache.clear();
  g.head = g.fetch_next = r(regs_of(ring).head.at(q));
  g.wb_pending = 0;
  g.flush_armed = false;
  if (ring == Ring::kRx) {
    counters_.rx_lost_reset += rxq_[q].held.size();
    rxq_[q].held.clear();
    rxq_[q].view_regs = UINT64_MAX;
  } else {
    txq_[q].rs_pending.clear();
    txq_[q].tx_done.clear();
    txq_[q].contexts = {};
    txq_[q].view_regs = UINT64_MAX;
  }
}

// Issues one descriptor read if the thresholds call for it; returns true if it did.
bool Ixgbe82599::fetch(Ring ring, uint32_t q) {
  DescEngine& g = engine(ring, q);
  const RingRegs& regs = regs_of(ring);
  const bool rx = ring == Ring::kRx;
  // The cache's fill first (the usual answer under load, "no fetch", costs no register reads): a fetch is
  // on demand (nothing on chip) or a prefetch (fewer than PTHRESH on chip, at least HTHRESH in host memory).
  const uint32_t cap = rx ? world_.params().rx_desc_cache : world_.params().tx_desc_cache;
  const uint32_t on_chip = static_cast<uint32_t>(g.cache.size()) + g.inflight;
  if (on_chip >= cap) return false;
  // RXDCTL is modelled with TXDCTL's threshold fields (PTHRESH 6:0, HTHRESH 14:8, WTHRESH 22:16).
  const uint32_t ctl = r(regs.ctl.at(q));
  const uint32_t pthresh = txdctl::kPrefetchThresh.get(ctl), hthresh = txdctl::kHostThresh.get(ctl);
  const bool on_demand = on_chip == 0;
  if (!on_demand && on_chip >= pthresh) return false;
  const uint32_t len = r(regs.len.at(q)), n = len / 16;
  const uint32_t tail = r(regs.tail.at(q));
  if (n == 0 || len % 128 != 0 || tail >= n || g.fetch_next >= n || world_.now() < g.enable_at) return false;
  const uint32_t avail = (tail + n - g.fetch_next) % n;
  if (avail == 0) return false;
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

void Ixgbe82599::desc_arrive(Ring ring, uint32_t q, uint32_t gen) {
  DescEngine& g = engine(ring, q);
  const bool rx = ring == Ring::kRx;
  if (gen != g.gen || g.fetches.empty()) return;
  const Fetch f = g.fetches.front();
  g.fetches.pop_front();
  g.inflight -= f.count;
  const uint64_t base = ring_base(ring, q);
  for (uint32_t i = 0; i < f.count; ++i) {
    RawDesc d;
    if (!iommu_.read(base + static_cast<uint64_t>(f.first + i) * 16, d.data(), 16)) {
      ++counters_.dma_faults;
      report("dma.iommu-fault", std::string(rx ? "rx" : "tx") + " queue " + std::to_string(q) +
                                    " descriptor fetch at " + std::to_string(f.first + i));
      reset_ring(ring, q);  // the queue stalls until software sets it up again
      return;
    }
    g.cache.push_back(d);
  }
  while (fetch(ring, q)) {
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
    const DescEngine& g = engine(w.rx ? Ring::kRx : Ring::kTx, w.q);
    if (w.gen != g.gen || removed_) {  // the queue was reset meanwhile (software took the ring back) or the
      counters_.rx_lost_reset += w.rx;  // device is gone
      frames::give(std::move(w.frame));
      continue;
    }
    bool fault = false;
    if (w.rx) {
      const uint32_t total = static_cast<uint32_t>(w.frame.size());
      for (uint32_t i = 0, off = 0; i < w.ndesc; ++i) {
        const uint32_t chunk = dp::rx_chunk(total, w.bsize, i);
        const uint64_t desc = w.ring_base + static_cast<uint64_t>((w.first + i) % w.ring_n) * 16;
        const uint64_t lower = 0;  // pkt_info, RSS hash: not modelled
        const uint32_t len_vlan = chunk;
        const uint32_t status = dp::rx_status(i, w.ndesc);
        auto* st = reinterpret_cast<uint32_t*>(iommu_.translate(desc + 8, 4));
        if (!iommu_.write(w.buf(i), w.frame.data() + off, chunk) || !st || !iommu_.write(desc, &lower, 8) ||
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
    frames::give(std::move(w.frame));
  }
}

// rx write-back: with WTHRESH = 0 every frame's descriptors are written right after its data; otherwise they
// collect until WTHRESH descriptors are done (or the flush timer runs out) and go as one burst.
void Ixgbe82599::rx_writeback(uint32_t q) {
  RxQueue& g = rxq_[q];
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
  TxQueue& g = txq_[q];
  if (g.wb_pending == 0) return;
  const uint64_t t = ceil_ns(pcie_.write(now_ps(), static_cast<uint64_t>(g.wb_pending) * 16));
  ++counters_.writebacks;
  const uint64_t base = ring_base(Ring::kTx, q);
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

}  // namespace sim
