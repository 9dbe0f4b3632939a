#include "driver/ring.h"

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
RxRing::RxRing(Backend& backend, Mempool& pool, uint32_t size, uint32_t tail_reg)
    : backend_(backend),
      pool_(pool),
      ring_(alloc_ring(backend, size, "rx")),
      desc_(static_cast<AdvRxDesc*>(ring_.virt)),
      bufs_(size, nullptr),
      size_(size),
      mask_(size - 1),
      tail_reg_(tail_reg) {}

RxRing::~RxRing() {
  release_all();
  backend_.dma_free(ring_);
}

void RxRing::release_all() {
  for (PktBuf*& b : bufs_)
    if (b) pool_.free(std::exchange(b, nullptr));
}

uint32_t RxRing::fill() {
  for (uint32_t i = 0; i < size_; ++i) {
    if (bufs_[i]) continue;
    PktBuf* b = pool_.alloc();
    if (!b)
      throw Error("rx ring: mempool of " + std::to_string(pool_.capacity()) + " buffers cannot fill a ring of " +
                  std::to_string(size_) + " descriptors");
    bufs_[i] = b;
    desc_[i].read.pkt_addr = b->data_iova;
    desc_[i].read.hdr_addr = 0;  // also clears DD
  }
  next_ = 0;
  return size_ - 1;
}

size_t RxRing::rx_batch(std::span<Packet> out) {
  const uint32_t cap = pool_.data_capacity();
  uint32_t idx = next_;
  size_t n = 0;
  while (n < out.size()) {
    volatile AdvRxDesc* d = &desc_[idx];
    const uint32_t status = d->wb.status_error;
    if (!(status & rxd::kStatusDD)) break;
    rmb_after_dd();
    const uint32_t len = d->wb.length;
    PktBuf* fresh = pool_.alloc();
    if (!fresh) [[unlikely]] {
      ++stats_.no_buf;  // leave the frame on the ring; it is delivered once buffers come back
      break;
    }
    PktBuf* got = bufs_[idx];
    if ((status & rxd::kStatusEOP) && len != 0 && len <= cap) [[likely]] {
      got->size = len;
      out[n++] = Packet(got);
      stats_.bytes += len;
      bufs_[idx] = fresh;
    } else {
      // A device must not hand us this (multi-buffer frames are not enabled): drop, keep the old buffer.
      ++stats_.bad_desc;
      pool_.free(fresh);
      fresh = got;
    }
    d->read.pkt_addr = fresh->data_iova;
    d->read.hdr_addr = 0;
    idx = (idx + 1) & mask_;
  }
  if (idx != next_) {
    stats_.packets += n;
    // The slot before `idx` is the last one refilled; the device may use everything up to it (exclusive).
    wmb_before_doorbell();
    backend_.write32(tail_reg_, (idx - 1) & mask_);
    next_ = idx;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------
TxRing::TxRing(Backend& backend, uint32_t size, uint32_t tail_reg)
    : backend_(backend),
      ring_(alloc_ring(backend, size, "tx")),
      desc_(static_cast<AdvTxDesc*>(ring_.virt)),
      bufs_(size, nullptr),
      chunk_last_(size, 0),
      size_(size),
      mask_(size - 1),
      tail_reg_(tail_reg) {}

TxRing::~TxRing() {
  release_all();
  backend_.dma_free(ring_);
}

void TxRing::release_all() {
  for (PktBuf*& b : bufs_)
    if (b) b->pool->free(std::exchange(b, nullptr));
  clean_ = tail_;
}

uint32_t TxRing::reclaim() {
  uint32_t freed = 0;
  while (clean_ != tail_) {
    const uint32_t last = chunk_last_[clean_];
    const volatile AdvTxDesc* d = &desc_[last];
    if (!(d->wb.status & txd::kStatusDD)) break;
    rmb_after_dd();
    const uint32_t end = (last + 1) & mask_;
    for (uint32_t i = clean_; i != end; i = (i + 1) & mask_) {
      bufs_[i]->pool->free(bufs_[i]);
      bufs_[i] = nullptr;
      ++freed;
    }
    clean_ = end;
  }
  return freed;
}

size_t TxRing::tx_batch(std::span<Packet> pkts) {
  reclaim();
  // One slot stays empty: tail == clean means "nothing in flight".
  const uint32_t free_slots = size_ - 1 - in_flight();
  size_t taken = 0;
  uint32_t queued = 0;
  uint32_t idx = tail_;
  uint32_t chunk_first = idx;
  auto close_chunk = [&](uint32_t last) {
    desc_[last].read.cmd_type_len |= txd::kCmdRs;
    chunk_last_[chunk_first] = static_cast<uint16_t>(last);
    chunk_first = (last + 1) & mask_;
  };
  while (taken < pkts.size() && queued < free_slots) {
    PktBuf* b = pkts[taken++].release();
    if (b->size == 0 || b->size > b->pool->data_capacity()) [[unlikely]] {
      ++stats_.bad_desc;  // an app bug, not a device one: drop it here rather than hand garbage to the NIC
      b->pool->free(b);
      continue;
    }
    bufs_[idx] = b;
    AdvTxDesc& d = desc_[idx];
    d.read.buffer_addr = b->data_iova;
    d.read.cmd_type_len = txd::kCmdEop | txd::kCmdIfcs | txd::kCmdDext | txd::kTypeData | b->size;
    d.read.olinfo_status = b->size << txd::kPaylenShift;
    stats_.bytes += b->size;
    ++queued;
    if (((idx - chunk_first) & mask_) + 1 == kRsInterval) close_chunk(idx);
    idx = (idx + 1) & mask_;
  }
  if (queued == 0) return taken;
  if (chunk_first != idx) close_chunk((idx - 1) & mask_);
  stats_.packets += queued;
  tail_ = idx;
  wmb_before_doorbell();
  backend_.write32(tail_reg_, tail_);
  return taken;
}

}  // namespace nic
