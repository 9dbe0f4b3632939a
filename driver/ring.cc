#include "driver/ring.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "driver/error.h"

namespace nic {
namespace {

DmaRegion alloc_ring(Backend& backend, uint32_t size, const char* what) {
  if (!valid_ring_size(size))
    throw Error(std::string(what) + " ring size " + std::to_string(size) +
                " invalid: must be a power of two in 8..8192");
  // 128-byte alignment is the datasheet minimum for ring bases; a whole page keeps rings apart.
  DmaRegion r = backend.dma_alloc(static_cast<size_t>(size) * 16, 4096);
  // Snabb's trick (as in ixy): all-ones descriptors make a premature DMA obvious.
  std::memset(r.virt, 0xFF, r.size);
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
template <class F>
BasicRxRing<F>::BasicRxRing(Backend& backend, Mempool& pool, uint32_t size, uint32_t tail_reg)
    : backend_(backend),
      pool_(pool),
      ring_(alloc_ring(backend, size, "rx")),
      desc_(static_cast<Desc*>(ring_.virt)),
      bufs_(size, nullptr),
      size_(size),
      mask_(size - 1),
      tail_reg_(tail_reg) {}

template <class F>
BasicRxRing<F>::~BasicRxRing() {
  release_all();
  backend_.dma_free(ring_);
}

template <class F>
void BasicRxRing<F>::release_all() {
  for (PktBuf*& b : bufs_)
    if (b) pool_.free(std::exchange(b, nullptr));
}

template <class F>
uint32_t BasicRxRing<F>::fill() {
  for (uint32_t i = 0; i < size_; ++i) {
    if (bufs_[i]) continue;
    PktBuf* b = pool_.alloc();
    if (!b)
      throw Error("rx ring: mempool of " + std::to_string(pool_.capacity()) + " buffers cannot fill a ring of " +
                  std::to_string(size_) + " descriptors");
    bufs_[i] = b;
    F::post(desc_[i], b->data_iova);  // clears DD
  }
  next_ = 0;
  suspect_at_ = suspects_ = 0;
  return size_ - 1;
}

template <class F>
size_t BasicRxRing<F>::rx_batch(std::span<Packet> out) {
  // Members in locals: stores through packet and descriptor pointers could alias `this` otherwise.
  volatile Desc* const ring = desc_;
  PktBuf** const bufs = bufs_.data();
  Mempool& pool = pool_;
  const uint32_t mask = mask_;
  const uint32_t cap = max_frame_bytes();
  uint32_t idx = next_;
  size_t n = 0;
  uint64_t bytes = 0;
  while (n < out.size()) {
    volatile Desc* d = &ring[idx];
    const uint32_t status = F::status(*d);
    if (!(status & F::kDone)) break;
    rmb_after_dd();
    const uint32_t len = F::length(*d);
    PktBuf* fresh = pool.alloc();
    if (!fresh) [[unlikely]] {
      ++stats_.no_buf;  // leave the frame on the ring; it is delivered once buffers come back
      break;
    }
    PktBuf* got = bufs[idx];
    // status and len are the only reads of the write-back: every check below and the delivery use these.
    if ((status & (F::kEop | F::kFrameErrors)) == F::kEop && len - 1 < cap) [[likely]] {  // EOP, no error, 1 <= len <= cap
      got->size = len;
      assert(!out[n] && "rx_batch needs empty Packet handles");
      out[n++].buf_ = got;
      bytes += len;
      bufs[idx] = fresh;
    } else if ((status & F::kEop) && (status & F::kFrameErrors)) {
      // The device flagged the frame bad (CRC, length...): drop and count it, keep the old buffer.
      ++stats_.rx_errors;
      pool.free(fresh);
      fresh = got;
    } else {
      // A device must not hand us this (multi-buffer frames are not enabled): drop, keep the old buffer.
      ++stats_.bad_desc;
      pool.free(fresh);
      fresh = got;
    }
    F::post(*d, pool.data_iova(fresh));
    idx = (idx + 1) & mask;
  }
  if (idx != next_) {
    stats_.packets += n;
    stats_.bytes += bytes;
    // The slot before `idx` is the last one refilled; the device may use everything up to it (exclusive).
    wmb_before_doorbell();
    backend_.write32(tail_reg_, (idx - 1) & mask);
    next_ = idx;
  }
  return n;
}

template <class F>
uint32_t BasicRxRing<F>::reclaim_lost(uint32_t device_head) {
  const volatile Desc* const ring = desc_;
  // Slots from next_ the device has taken (its head is past them) and not written back yet.
  const uint32_t taken = device_head < size_ ? (device_head - next_) & mask_ : 0;
  uint32_t pending = 0;
  while (pending < taken && !(F::status(ring[(next_ + pending) & mask_]) & F::kDone)) ++pending;
  // Only what was already a suspect at the last call, at the same place and at least kLostAfterNs ago, and has
  // been overtaken, is lost: a taken slot after the run has DD. The device writes a queue's descriptors back
  // in ring order over one posted-write path, so a later write-back that landed means the earlier one never
  // will; without one, the run's write-backs may merely be late (a device slower than the clock: a simulator
  // behind its pace, a VM) and the slots must stay the device's. A slot with DD ends the run (rx_batch takes it).
  const uint64_t now = backend_.now_ns();
  const bool overtaken = pending < taken;
  const bool old_enough = suspect_at_ == next_ && now - suspect_since_ns_ >= kLostAfterNs;
  const uint32_t lost = old_enough && overtaken ? std::min(pending, suspects_) : 0;
  for (uint32_t i = 0; i < lost; ++i) {
    const uint32_t idx = (next_ + i) & mask_;
    F::post(desc_[idx], pool_.data_iova(bufs_[idx]));  // the same buffer: its contents were never a frame
  }
  if (lost) {
    stats_.lost_writebacks += lost;
    next_ = (next_ + lost) & mask_;
    wmb_before_doorbell();
    backend_.write32(tail_reg_, (next_ - 1) & mask_);
  }
  if (lost || suspect_at_ != next_ || suspects_ == 0) suspect_since_ns_ = now;  // a new set of suspects
  suspect_at_ = next_;
  suspects_ = pending - lost;
  return lost;
}

// ---------------------------------------------------------------------------------------------------------
template <class F>
BasicTxRing<F>::BasicTxRing(Backend& backend, uint32_t size, uint32_t tail_reg)
    : backend_(backend),
      ring_(alloc_ring(backend, size, "tx")),
      desc_(static_cast<Desc*>(ring_.virt)),
      bufs_(size, nullptr),
      chunk_last_(size, 0),
      chunk_pool_(size, nullptr),
      size_(size),
      mask_(size - 1),
      tail_reg_(tail_reg) {}

template <class F>
BasicTxRing<F>::~BasicTxRing() {
  release_all();
  backend_.dma_free(ring_);
}

template <class F>
void BasicTxRing<F>::release_all() {
  for (uint32_t i = clean_; i != tail_; i = (i + 1) & mask_) bufs_[i]->pool->free(bufs_[i]);
  clean_ = tail_;
}

template <class F>
void BasicTxRing<F>::reset() {
  release_all();
  std::memset(desc_, 0xFF, ring_.size);  // as alloc_ring() left it
  tail_ = 0;
  clean_ = 0;
}

template <class F>
uint32_t BasicTxRing<F>::reclaim() {
  const volatile Desc* const ring = desc_;
  PktBuf* const* const bufs = bufs_.data();
  const uint32_t mask = mask_, tail = tail_;
  uint32_t clean = clean_, freed = 0;
  while (clean != tail) {
    const uint32_t last = chunk_last_[clean];
    if (!F::done(ring[last])) break;
    rmb_after_dd();
    const uint32_t end = (last + 1) & mask;
    // Slots in [clean_, tail_) hold buffers; others are stale and never read.
    if (Mempool* pool = chunk_pool_[clean]) [[likely]] {  // one pool: one copy (two if the chunk wraps)
      if (end > clean) {
        pool->free_bulk(bufs + clean, end - clean);
      } else {
        pool->free_bulk(bufs + clean, size_ - clean);
        pool->free_bulk(bufs, end);
      }
    } else {
      for (uint32_t i = clean; i != end; i = (i + 1) & mask) bufs[i]->pool->free(bufs[i]);
    }
    freed += (end - clean) & mask;
    clean = end;
  }
  clean_ = clean;
  return freed;
}

template <class F>
size_t BasicTxRing<F>::tx_batch(std::span<Packet> pkts) {
  reclaim();
  // One slot stays empty: tail == clean means "nothing in flight". Every taken packet uses at most one slot.
  const uint32_t free_slots = size_ - 1 - in_flight();
  const size_t n = pkts.size() < free_slots ? pkts.size() : free_slots;
  Desc* const ring = desc_;
  PktBuf** const bufs = bufs_.data();
  const uint32_t mask = mask_;
  uint32_t idx = tail_;
  uint32_t chunk_first = idx;
  uint32_t rs_at = (idx + kRsInterval - 1) & mask;  // slot that closes the current RS chunk
  uint64_t bytes = 0;
  Mempool* chunk_pool = nullptr;  // the open chunk's buffers' pool
  bool mixed = false;             // ... unless they come from several
  auto close_chunk = [&](uint32_t last) {
    F::request_status(ring[last]);
    chunk_last_[chunk_first] = static_cast<uint16_t>(last);
    chunk_pool_[chunk_first] = mixed ? nullptr : chunk_pool;
    chunk_first = (last + 1) & mask;
    rs_at = (last + kRsInterval) & mask;
    chunk_pool = nullptr;
    mixed = false;
  };
  for (size_t taken = 0; taken < n; ++taken) {
    PktBuf* b = pkts[taken].release();
    if (b == nullptr) [[unlikely]] continue;  // an empty handle: nothing to send
    const uint32_t size = b->size;
    if (size - 1 >= b->capacity) [[unlikely]] {  // size 0 or larger than the buffer
      ++stats_.bad_desc;  // an app bug, not a device one: drop it here rather than hand garbage to the NIC
      b->pool->free(b);
      continue;
    }
    Mempool* const pool = b->pool;
    if (chunk_pool == nullptr) chunk_pool = pool;
    mixed |= pool != chunk_pool;
    bufs[idx] = b;
    F::write(ring[idx], b->data_iova, size);
    bytes += size;
    if (idx == rs_at) close_chunk(idx);
    idx = (idx + 1) & mask;
  }
  const uint32_t queued = (idx - tail_) & mask;
  if (queued == 0) return n;
  if (chunk_first != idx) close_chunk((idx - 1) & mask);
  stats_.packets += queued;
  stats_.bytes += bytes;
  tail_ = idx;
  wmb_before_doorbell();
  backend_.write32(tail_reg_, idx);
  return n;
}

// The formats in use; each hot path is compiled here once.
template class BasicRxRing<AdvRxFormat>;
template class BasicRxRing<ExtRxFormat>;
template class BasicTxRing<AdvTxFormat>;
template class BasicTxRing<LegacyTxFormat>;

}  // namespace nic
