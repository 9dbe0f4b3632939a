// The 82599 model's transmit path (timed): descriptors, data reads, tx packet buffer, wire (§7.2).
#include "sim/ixgbe_model.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "driver/ring/descriptors.h"
#include "sim/ixgbe_datapath.h"

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts

// ---------------------------------------------------------------------------------------------------------
// Transmit (§7.2): descriptors come from the on-chip cache (fetched from TDH towards TDT), each frame's data
// is read over PCIe into the tx packet buffer (TXPBSIZE[0]) and serialized on the wire once it is there and
// the wire is free. The engine stops while the packet buffer is full or the downstream pipe is backed up.
// When a frame's data is on chip its descriptors are done: RS descriptors are written back (WTHRESH rules).
void Ixgbe82599::schedule_kick(uint32_t q, uint64_t t_ns) {
  TxQueue& g = txq_[q];
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
  TxQueue& g = txq_[q];
  while (fetch(Ring::kTx, q)) {
  }
  const uint64_t t_ps = now_ps();
  while (!tx_pb_.empty() && tx_pb_.front().first <= t_ps) {
    tx_pb_bytes_ -= tx_pb_.front().second;
    tx_pb_.pop_front();
  }
  const uint64_t pb_bytes = static_cast<uint64_t>(pbsize::kSizeKb.get(r(TXPBSIZE.at(0)))) * 1024;
  Bytes& frame = tx_scratch_;  // (reused: no allocation per call)
  while (!g.cache.empty()) {
    // The frame's descriptors, up to EOP, must all be on chip.
    size_t k = 0;
    while (k < g.cache.size() && !(static_cast<uint32_t>(g.cache[k][1]) & nic::txd::kCmdEop)) ++k;
    if (k == g.cache.size()) {
      if (k < p.tx_desc_cache) break;  // the rest of the frame is not fetched (or not handed over) yet
      report("txd.frame-exceeds-cache", "queue " + std::to_string(q) + ": no EOP within the on-chip cache");
      k = g.cache.size() - 1;  // drop these descriptors as one bad frame
    }
    const uint32_t ndesc = static_cast<uint32_t>(k + 1), first = g.head;
    frame.clear();
    bool bad = false;
    uint64_t rs = 0;  // bit i: descriptor head + i has RS (Params::tx_desc_cache is at most 64, params.h)
    uint32_t olinfo = 0;  // the first data descriptor's
    bool first_data = true;
    for (uint32_t i = 0; i < ndesc; ++i) {
      nic::AdvTxDesc d;
      std::memcpy(&d, g.cache[i].data(), 16);
      const uint32_t idx = (g.head + i) % n;
      const dp::TxDesc t = dp::parse_tx(d.read.cmd_type_len);
      if (t.rs) rs |= uint64_t{1} << i;
      if (!t.supported) {
        report("txd.unsupported", "queue " + std::to_string(q) + ": legacy or unknown descriptor type");
        bad = true;
      }
      if (t.context) {
        tx_context(q, d);
        continue;
      }
      if (first_data) olinfo = d.read.olinfo_status;
      first_data = false;
      const uint32_t len = t.len;
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
    g.tx_done.push_back({ceil_ns(ready_ps), ndesc, first, rs});
    if (empty) world_.schedule(g.tx_done.back().t_ns, this, kTxDataDone, arg(q, g.gen));
    if (bad) {
      ++counters_.tx_bad_frames;
      continue;
    }
    tx_offload(q, frame, olinfo);
    if (dp::tx_pads(r(HLREG0.at()), frame.size(), p)) frame.resize(p.min_frame, 0);
    wire_free_ps_ = std::max(ready_ps, wire_free_ps_) + wire_time_ps(p, static_cast<uint32_t>(frame.size()));
    tx_pb_.emplace_back(wire_free_ps_, static_cast<uint32_t>(bytes));
    tx_pb_bytes_ += bytes;
    const uint64_t arrival = ceil_ns(wire_free_ps_);
    count_tx(q, frame);
    send(frame, arrival);
    while (fetch(Ring::kTx, q)) {
    }
  }
}

// A frame's data is on chip: its descriptors are done. WTHRESH = 0 writes each RS descriptor back now;
// otherwise descriptors collect until WTHRESH are done (or wb_flush_ns passes) and go back as one burst.
void Ixgbe82599::tx_data_done(uint32_t q, uint32_t gen) {
  TxQueue& g = txq_[q];
  if (gen != g.gen) return;
  const uint64_t now = world_.now();
  const uint32_t wthresh = txdctl::kWritebackThresh.get(r(TXDCTL.at(q)));
  while (!g.tx_done.empty() && g.tx_done.front().t_ns <= now) {
    TxDone& d = g.tx_done.front();
    g.wb_pending += d.ndesc;
    const uint32_t n = r(TDLEN.at(q)) / 16;  // the ring the frame came from (same generation)
    if (wthresh == 0) {
      // One write per RS descriptor; descriptors without RS are never written back.
      for (uint64_t m = d.rs_mask; m; m &= m - 1) {
        g.rs_pending.assign(1, (d.first + static_cast<uint32_t>(__builtin_ctzll(m))) % n);
        g.wb_pending = 1;
        tx_writeback(q);
      }
      g.wb_pending = 0;
    } else {
      for (uint64_t m = d.rs_mask; m; m &= m - 1)
        g.rs_pending.push_back((d.first + static_cast<uint32_t>(__builtin_ctzll(m))) % n);
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
    link->send(frames::take(frame), arrival);
  }
}

void Ixgbe82599::tx_context(uint32_t q, const nic::AdvTxDesc& d) {
  nic::AdvTxContextDesc c;
  std::memcpy(&c, &d, sizeof c);
  txq_[q].contexts[dp::tx_context_slot(c.mss_l4len_idx)] = dp::parse_tx_context(c);
}

void Ixgbe82599::tx_offload(uint32_t q, std::span<uint8_t> frame, uint32_t olinfo) {
  const uint32_t popts = olinfo & nic::txd::kPoptsChecksums;
  if (!popts) return;
  switch (dp::tx_checksums(frame, txq_[q].contexts[dp::tx_context_slot(olinfo)], popts)) {
    case dp::OffloadResult::kDone: ++counters_.tx_checksum_offloads; break;
    case dp::OffloadResult::kOutsideFrame:
      report("txd.offload-outside-frame", "queue " + std::to_string(q) + ": MACLEN/IPLEN beyond the frame");
      break;
    case dp::OffloadResult::kUnsupportedL4:
      report("txd.offload-unsupported", "queue " + std::to_string(q) + ": L4T SCTP (CRC-32c not modelled)");
      break;
  }
}

}  // namespace sim
