#include "driver/ring/ring.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "driver/seam/error.h"

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
      doorbell_(backend.doorbell(tail_reg)),
      scan_(rxscan::function(rxscan::preferred())) {}

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
int BasicRxRing<F>::rx_one(uint32_t idx, Packet& out) {
  volatile Desc* const d = &desc_[idx];
  const uint32_t status = F::status(*d);
  if (!(status & F::kDone)) return kRxStop;
  rmb_after_dd();
  const uint32_t len = F::length(*d);
  // status and len are the only reads of the write-back: every check below and the delivery use these.
  PktBuf* const got = bufs_[idx];
  PktBuf* fresh = got;  // what the slot is posted with: the old buffer unless the frame is delivered
  if ((status & (F::kEop | F::kFrameErrors)) == F::kEop && len - 1 < max_frame_bytes()) {
    // A good frame after all (written between the scan's read and this one).
    fresh = pool_.alloc();
    if (!fresh) {
      ++stats_.no_buf;
      return kRxStop;
    }
    got->size = len;
    assert(!out && "rx_batch needs empty Packet handles");
    out.buf_ = got;
    bufs_[idx] = fresh;
    F::post(*d, pool_.data_iova(fresh));
    return static_cast<int>(len);
  } else if ((status & F::kEop) && (status & F::kFrameErrors)) {
    ++stats_.rx_errors;  // the device flagged the frame bad (CRC, length...): drop and count it
  } else {
    ++stats_.bad_desc;  // a device must not hand us this (multi-buffer frames are not enabled): drop it
  }
  F::post(*d, pool_.data_iova(fresh));
  return kRxDropped;
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
    doorbell_.ring((next_ - 1) & mask_);
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
      size_(size),
      mask_(size - 1),
      doorbell_(backend.doorbell(tail_reg)) {}

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
void BasicTxRing<F>::free_run(PktBuf* const* bufs, uint32_t n) {
  while (n != 0) {
    Mempool* const pool = bufs[0]->pool;
    uint32_t k = pool->free_own_prefix(bufs, n);
    if (k == 0) {  // its metadata names a pool that does not own it: free() says so and aborts
      pool->free(bufs[0]);
      k = 1;
    }
    bufs += k;
    n -= k;
  }
}

// The formats in use; each hot path is compiled here once.
template class BasicRxRing<AdvRxFormat>;
template class BasicRxRing<ExtRxFormat>;
template class BasicTxRing<AdvTxFormat>;
template class BasicTxRing<LegacyTxFormat>;

}  // namespace nic
