// The 82599 model's functional engines (World::functional(), see sim/world.h and sim/ixgbe_model.h): the
// receive and transmit rules of §7.1 and §7.2 without the timing. Descriptors are read from the host ring
// when they are needed, data and write-backs land at once, and nothing is scheduled per frame, so a frame
// costs a few hundred instructions of simulation instead of thousands. The rules shared with the timed
// engines (filters, packet buffer, queue selection, statistics, interrupts, faults) stay in ixgbe_model.cc.
#include <algorithm>
#include <cstring>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "sim/ixgbe_datapath.h"
#include "sim/ixgbe_model.h"

namespace sim {

using namespace nic::ixgbe;

namespace {

// An rx descriptor's write-back (§7.1.6.2) for `len` bytes of data already in its buffer: DD (and EOP on a
// frame's last descriptor) land last, as a release store. Packet type and RSS hash are not modelled.
inline void write_back(nic::AdvRxDesc& d, uint32_t len, uint32_t status) {
  d.wb.pkt_info = 0;
  d.wb.rss_or_csum = 0;
  d.wb.length = static_cast<uint16_t>(len);
  d.wb.vlan = 0;
  __atomic_store_n(&d.wb.status_error, status, __ATOMIC_RELEASE);
}

}  // namespace

// Queue q's registers decoded for the engines below (through view(), which calls this only after a register
// write, a reset or an IOMMU mapping change): the ring's host address (translated once, not per frame; a ring
// outside the mappings stays nullptr until they change), its size, and for rx the buffer size and CRC handling.
void Ixgbe82599::refresh_view(Ring ring, uint32_t q) {
  FunctionalView& v = ring == Ring::kRx ? static_cast<FunctionalView&>(rxq_[q]) : static_cast<FunctionalView&>(txq_[q]);
  const uint32_t len = r(regs_of(ring).len.at(q));
  const uint64_t base = ring_base(ring, q);
  v.view_n = len / 16;
  v.host_ring = len != 0 ? iommu_.lookup(base, len) : nullptr;  // kept, so it must not consume injected faults
  if (ring == Ring::kRx) {
    RxQueue& g = rxq_[q];
    const uint32_t srrctl = r(SRRCTL.at(q));
    g.view_bsize = dp::rx_buffer_bytes(srrctl);
    g.view_ok = dp::rx_queue_state(srrctl, len, 0, 0) == dp::RxQueueState::kOk;  // head and tail: per frame
    g.view_strip = r(HLREG0.at()) & hlreg0::kRxCrcStrip.mask();
    g.view_strip_mismatch = g.view_strip != static_cast<bool>(r(RDRXCTL.at()) & rdrxctl::kCrcStrip.mask());
  }
  v.view_regs = reg_epoch_;
  v.view_iommu = iommu_.epoch();
}

// The frame at the head of the packet buffer (or arriving at an empty one) goes to its queue now: delivered,
// or dropped and counted. Returns false if it has to wait in the packet buffer for descriptors.
bool Ixgbe82599::rx_one(std::span<const uint8_t> frame) {
  const uint32_t q = select_queue(frame);
  if (world_.now() < rxq_[q].enable_at) {
    ++counters_.rx_queue_disabled;
    return true;
  }
  switch (rx_now(q, frame)) {
    case Deliver::kDone: return true;
    case Deliver::kDropped: ++counters_.rx_dma_drops; return true;
    case Deliver::kNoDescriptor: break;
  }
  // §7.1.2.2 / §8.2.3.8.7: with SRRCTL.DROP_EN a frame finding no descriptor is dropped (QPRDC) instead of
  // waiting in the packet buffer. A tail still in flight (threaded mode's posted doorbell) is waited for.
  if (!(r(SRRCTL.at(q)) & srrctl::kDropEnable.mask()) || rx_tail_posted(q)) return false;
  ++r(QPRDC.at(q));
  count_rx_drop(counters_.rx_no_desc);
  return true;
}

// A frame took `need` descriptors of queue q: the head moves past them, the queue counts it and its `bytes`,
// the cause rises.
inline Ixgbe82599::Deliver Ixgbe82599::rx_done(uint32_t q, RxQueue& g, uint32_t need, uint32_t bytes) {
  const uint32_t n = g.view_n;
  g.head = g.head + need < n ? g.head + need : g.head + need - n;  // need <= available < n
  r(RDH.at(q)) = g.head;
  ++r(QPRC.at(q));
  add64(QBRC_L.at(q), bytes);
  raise(rx_vector(q));
  return Deliver::kDone;
}

// §7.1.6: advanced one-buffer descriptors from RDH towards RDT. The usual frame (one buffer, CRC stripped)
// is handled here; anything else by rx_general(). The card fetches descriptors ahead and owns the cache lines
// it writes; in host memory the next frames' buffers were last touched a ring's worth of frames ago, so they
// are prefetched a few frames ahead.
Ixgbe82599::Deliver Ixgbe82599::rx_now(uint32_t q, std::span<const uint8_t> frame) {
  RxQueue& g = rx_view(q);
  const uint32_t n = g.view_n, tail = r(RDT.at(q)), total = static_cast<uint32_t>(frame.size());
  if (!g.view_ok || g.head >= n || tail >= n) [[unlikely]]
    return rx_bad_queue(q, dp::rx_queue_state(r(SRRCTL.at(q)), r(RDLEN.at(q)), g.head, tail));
  if (total > g.view_bsize || !g.view_strip || g.view_strip_mismatch || !g.host_ring) [[unlikely]]
    return rx_general(q, frame);
  if (tail == g.head) return Deliver::kNoDescriptor;
  auto* ring = reinterpret_cast<nic::AdvRxDesc*>(g.host_ring);
  nic::AdvRxDesc& d = ring[g.head];
  uint8_t* buf = iommu_.translate(d.read.pkt_addr, total, g.buffers);
  if (!buf) [[unlikely]] return rx_dma_fault(q, g.head);
  const uint32_t ahead = g.head + 8 < n ? g.head + 8 : g.head + 8 - n;
  __builtin_prefetch(iommu_.peek(ring[ahead].read.pkt_addr, g.buffers), 1);
  std::memmove(buf, frame.data(), total);  // (the frame may be DMA memory too: a tx buffer, through loopback)
  write_back(d, total, dp::rx_status(0, 1));
  return rx_done(q, g, 1, total);
}

// Any frame: as many descriptors as its length (plus the CRC, when kept) needs, EOP on the last. Every
// buffer passes the IOMMU before anything is written; then each descriptor gets its data, its write-back and
// DD last (a release store), in ring order.
Ixgbe82599::Deliver Ixgbe82599::rx_general(uint32_t q, std::span<const uint8_t> frame) {
  RxQueue& g = rxq_[q];
  const uint32_t n = g.view_n, bsize = g.view_bsize, tail = r(RDT.at(q));
  const uint32_t total = dp::rx_bytes(frame.size(), g.view_strip), need = dp::rx_descriptors(total, bsize);
  if ((tail >= g.head ? tail - g.head : tail + n - g.head) < need) return Deliver::kNoDescriptor;
  auto* ring = reinterpret_cast<nic::AdvRxDesc*>(g.host_ring);
  if (!ring) {
    ++counters_.dma_faults;
    report("dma.iommu-fault", "rx queue " + std::to_string(q) + " descriptor ring");
    return Deliver::kDropped;
  }
  // MAXFRS (16 bits, CRC included) and 1 KB buffers at the least: at most 64 buffers per frame.
  uint8_t* dst[64];
  if (need > std::size(dst)) {
    report("rx.bad-queue-state", "queue " + std::to_string(q) + ": a frame needs more than 64 buffers");
    return Deliver::kDropped;
  }
  // Each buffer address is read once and checked; the copies below go only where the IOMMU allowed, even if
  // one buffer overlaps the ring and a copy rewrites a later descriptor.
  for (uint32_t i = 0, idx = g.head; i < need; ++i, idx = idx + 1 == n ? 0 : idx + 1) {
    dst[i] = iommu_.translate(ring[idx].read.pkt_addr, dp::rx_chunk(total, bsize, i));
    if (!dst[i]) return rx_dma_fault(q, idx);
  }
  if (!g.view_strip) {
    rx_scratch_.assign(frame.begin(), frame.end());
    dp::append_fcs(rx_scratch_);
    frame = rx_scratch_;
  }
  for (uint32_t i = 0, idx = g.head, off = 0; i < need; ++i, idx = idx + 1 == n ? 0 : idx + 1) {
    const uint32_t chunk = dp::rx_chunk(total, bsize, i);
    std::memmove(dst[i], frame.data() + off, chunk);
    write_back(ring[idx], chunk, dp::rx_status(i, need));
    off += chunk;
  }
  return rx_done(q, g, need, total);
}

// The IOMMU refused the buffer of descriptor idx: the frame is dropped, nothing written back.
Ixgbe82599::Deliver Ixgbe82599::rx_dma_fault(uint32_t q, uint32_t idx) {
  ++counters_.dma_faults;
  report("dma.iommu-fault", "rx queue " + std::to_string(q) + " descriptor " + std::to_string(idx));
  return Deliver::kDropped;
}


// §7.2: every frame handed over (TDH..TDT) leaves now. The usual frame, one advanced data descriptor with EOP
// and no padding to add, is lent to the peer straight from its buffer; anything else goes through
// tx_general(). RS descriptors get DD as soon as their frame is done; one interrupt cause per doorbell.
void Ixgbe82599::tx_now(uint32_t q) {
  if (!tx_ready(q)) return;
  TxQueue& g = tx_view(q);
  const uint32_t n = g.view_n, tail = r(TDT.at(q)), min_frame = world_.params().min_frame;
  if (g.head == tail) return;
  auto* ring = reinterpret_cast<nic::AdvTxDesc*>(g.host_ring);
  if (!ring) [[unlikely]] return tx_ring_fault(q);  // the frames stay on the ring; the next doorbell retries
  // Where this doorbell's frames go (the one-descriptor path skips send()'s per-frame checks).
  Endpoint* const peer = !(r(HLREG0.at()) & hlreg0::kLoopback.mask()) && tx_link_ ? tx_link_->dst() : nullptr;
  constexpr uint32_t kTypeMask = nic::txd::kCmdEop | nic::txd::kCmdDext | nic::txd::kDtypMask;
  constexpr uint32_t kWholeFrame = nic::txd::kCmdEop | nic::txd::kCmdDext | nic::txd::kTypeData;
  bool cause = false;
  while (g.head != tail) {
    nic::AdvTxDesc& d = ring[g.head];
    const uint32_t cmd = d.read.cmd_type_len, len = cmd & nic::txd::kLenMask;
    if ((cmd & kTypeMask) != kWholeFrame || len < min_frame || (d.read.olinfo_status & nic::txd::kPoptsChecksums))
        [[unlikely]] {
      if (!tx_general(q, ring, tail, cause)) break;
      continue;
    }
    const uint32_t first = g.head;
    g.head = first + 1 < n ? first + 1 : 0;
    if (const uint8_t* data = iommu_.translate(d.read.buffer_addr, len, g.buffers)) [[likely]] {
      count_tx(q, {data, len});
      if (peer) [[likely]] peer->receive_view({data, len}, world_.now());
      else send({data, len}, world_.now());
    } else {
      tx_dma_fault(q, first);
      ++counters_.tx_bad_frames;
    }
    if (cmd & nic::txd::kCmdRs) {
      __atomic_store_n(&d.wb.status, nic::txd::kStatusDD, __ATOMIC_RELEASE);
      cause = true;
    }
  }
  r(TDH.at(q)) = g.head;
  if (cause) raise(tx_vector(q));
}

// Any frame from TDH on: its descriptors up to EOP (at most the on-chip cache's worth, as in timed mode),
// data descriptors gathered, context descriptors kept (checksum offload, tx_offload()), padded if TXPADEN says
// so. Returns false if the frame is not complete yet (no EOP before TDT).
bool Ixgbe82599::tx_general(uint32_t q, nic::AdvTxDesc* ring, uint32_t tail, bool& cause) {
  const Params& p = world_.params();
  TxQueue& g = txq_[q];
  const uint32_t n = g.view_n, first = g.head;
  auto slot = [first, n](uint32_t i) { return first + i < n ? first + i : first + i - n; };  // i < n
  const uint32_t cache = std::min<uint32_t>(p.tx_desc_cache, 64);  // (`rs` below has a bit per descriptor)
  const uint32_t limit = std::min(tail >= first ? tail - first : tail + n - first, cache);
  uint32_t k = 0;
  while (k < limit && !(ring[slot(k)].read.cmd_type_len & nic::txd::kCmdEop)) ++k;
  if (k == limit) {
    if (limit < cache) return false;  // the rest of the frame is not handed over yet
    report("txd.frame-exceeds-cache", "queue " + std::to_string(q) + ": no EOP within the on-chip cache");
    k = limit - 1;  // drop these descriptors as one bad frame
  }
  const uint32_t ndesc = k + 1;
  std::span<const uint8_t> frame;
  bool assembled = false, bad = false;
  uint64_t rs = 0;  // bit i: descriptor i of the frame asked for status
  uint32_t olinfo = 0;  // the first data descriptor's
  bool first_data = true;
  for (uint32_t i = 0; i < ndesc; ++i) {
    const nic::AdvTxDesc& d = ring[slot(i)];
    const dp::TxDesc t = dp::parse_tx(d.read.cmd_type_len);
    if (t.rs) rs |= 1ull << i;
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
    if (len == 0) {
      report("txd.zero-length", "queue " + std::to_string(q));
      continue;
    }
    const uint8_t* data = iommu_.translate(d.read.buffer_addr, len);
    if (!data) {
      tx_dma_fault(q, slot(i));
      bad = true;
      continue;
    }
    if (frame.empty() && !assembled) {
      frame = {data, len};
      continue;
    }
    if (!assembled) tx_scratch_.assign(frame.begin(), frame.end());
    assembled = true;
    tx_scratch_.insert(tx_scratch_.end(), data, data + len);
    frame = tx_scratch_;
  }
  if (!bad && (olinfo & nic::txd::kPoptsChecksums)) {  // the device writes into its copy, never the host's
    if (!assembled) tx_scratch_.assign(frame.begin(), frame.end());
    assembled = true;
    tx_offload(q, tx_scratch_, olinfo);
    frame = tx_scratch_;
  }
  if (!bad && dp::tx_pads(r(HLREG0.at()), frame.size(), p)) {
    if (!assembled) tx_scratch_.assign(frame.begin(), frame.end());
    tx_scratch_.resize(p.min_frame, 0);
    frame = tx_scratch_;
  }
  g.head = slot(ndesc);  // ndesc <= limit < n
  if (bad) {
    ++counters_.tx_bad_frames;  // once per frame, however many of its descriptors were at fault
  } else {
    count_tx(q, frame);
    send(frame, world_.now());  // no serialization time: it arrives as it leaves
  }
  for (uint32_t i = 0; rs >> i; ++i)
    if (rs >> i & 1) {
      __atomic_store_n(&ring[slot(i)].wb.status, nic::txd::kStatusDD, __ATOMIC_RELEASE);
      cause = true;
    }
  return true;
}

// The IOMMU refused the buffer of descriptor idx: its frame is not sent (its descriptors are still done).
void Ixgbe82599::tx_dma_fault(uint32_t q, uint32_t idx) {
  ++counters_.dma_faults;
  report("dma.iommu-fault", "tx queue " + std::to_string(q) + " buffer of descriptor " + std::to_string(idx));
}

void Ixgbe82599::tx_ring_fault(uint32_t q) {
  ++counters_.dma_faults;
  report("dma.iommu-fault", "tx queue " + std::to_string(q) + " descriptor ring");
}

}  // namespace sim
