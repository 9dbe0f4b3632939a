// Packet buffers: a fixed-size pool carved out of one DMA region, and a move-only Packet handle that gives
// its buffer back when dropped, so no path can leak one.
//
// Layout of one buffer (buf_size bytes, 64-byte aligned): a 64-byte PktBuf header, then the frame data.
// The device is given iova(header) + 64. A pool is single-threaded (one per queue), as in ixy and DPDK.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "driver/backend.h"

namespace nic {

class Mempool;

struct alignas(64) PktBuf {
  uint64_t data_iova;  // IOVA of data()
  Mempool* pool;
  uint32_t size;      // bytes of frame data
  uint32_t capacity;  // bytes data() can hold (the pool's data_capacity(), kept here for the hot path)
  uint32_t index;     // position in the pool
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this) + sizeof(PktBuf); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this) + sizeof(PktBuf); }
};
static_assert(sizeof(PktBuf) == 64);

class alignas(64) Mempool {  // own cache lines: one pool per queue, queues on different threads
 public:
  // 4 KB per buffer: 64 bytes of header leave 4032 data bytes, so the 2 KB receive buffer every family programs
  // (kRxBufBytes) lies wholly inside the area the driver owns. A 2 KB buffer would leave 1984 bytes and let the
  // device write 64 bytes into the next buffer's header; 2048 + 64 would not divide a 2 MiB hugepage.
  static constexpr uint32_t kDefaultBufSize = 4096;
  // Receive buffer size the drivers program: SRRCTL.BSIZEPACKET = 2 (1 KB units; 82599 §8.2.3.8.7, and the
  // 82576's SRRCTL likewise), RCTL.BSIZE = 00b with BSEX = 0 (82574 RCTL). Ring setup checks it against
  // data_capacity(): the device may write that many bytes into each buffer.
  static constexpr uint32_t kRxBufBytes = 2048;

  // num_bufs buffers of buf_size bytes each (header included). Throws nic::Error on bad sizes or no memory.
  Mempool(Backend& backend, uint32_t num_bufs, uint32_t buf_size = kDefaultBufSize);
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  // nullptr when empty (the caller counts that as a drop).
  PktBuf* alloc() {
    if (top_ == 0) [[unlikely]] return nullptr;
    PktBuf* b = free_[--top_];
    is_free_[index_of(b)] = 0;
    return b;
  }
  // Fills up to out.size() buffers; returns how many.
  uint32_t alloc_bulk(std::span<PktBuf*> out) {
    uint32_t n = out.size() < top_ ? static_cast<uint32_t>(out.size()) : top_;
    for (uint32_t i = 0; i < n; ++i) {
      out[i] = free_[--top_];
      is_free_[index_of(out[i])] = 0;
    }
    return n;
  }
  // Aborts (in every build, not only with assertions on) on a buffer of another pool, a pointer that is no
  // buffer's start, or a buffer that is already free: each would corrupt the free stack, and a buffer freed
  // twice is later handed out twice (to the device and to the app at once). The check uses only host-side
  // state and the pointer value, never the buffer's header, which sits in device-writable memory.
  void free(PktBuf* b) {
    const uint32_t i = index_of(b);
    if (is_free_[i]) [[unlikely]] die("buffer freed twice", b);
    is_free_[i] = 1;
    assert(top_ < capacity_);
    free_[top_++] = b;
  }
  // Frees n buffers, all of this pool, in one copy.
  void free_bulk(PktBuf* const* bufs, uint32_t n) {
    for (uint32_t k = 0; k < n; ++k) {
      const uint32_t i = index_of(bufs[k]);
      if (is_free_[i]) [[unlikely]] die("buffer freed twice (free_bulk)", bufs[k]);
      is_free_[i] = 1;
    }
    assert(top_ + n <= capacity_);
    if (n == 0) return;
    std::memcpy(free_.data() + top_, bufs, n * sizeof(PktBuf*));
    top_ += n;
  }
  // IOVA of b's data, from the pool's layout: no need to read b's header (a cache line the CPU may not have).
  uint64_t data_iova(const PktBuf* b) const {
    assert(b->pool == this);
    return region_.iova + static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(b) - static_cast<uint8_t*>(region_.virt)) +
           sizeof(PktBuf);
  }

  uint32_t capacity() const { return capacity_; }
  uint32_t available() const { return top_; }
  uint32_t in_use() const { return capacity_ - top_; }
  uint32_t buf_size() const { return buf_size_; }
  uint32_t data_capacity() const { return buf_size_ - static_cast<uint32_t>(sizeof(PktBuf)); }

 private:
  PktBuf* buf_at(uint32_t i) {
    return reinterpret_cast<PktBuf*>(static_cast<uint8_t*>(region_.virt) + static_cast<size_t>(i) * buf_size_);
  }

  // Position of b from its address alone (buffer size is a power of two: a shift); dies unless b is the
  // start of one of this pool's buffers.
  uint32_t index_of(const PktBuf* b) const {
    const uintptr_t off = reinterpret_cast<uintptr_t>(b) - reinterpret_cast<uintptr_t>(region_.virt);
    if (off >= region_bytes_ || (off & (buf_size_ - 1)) != 0) [[unlikely]] die("buffer not from this pool", b);
    return static_cast<uint32_t>(off >> buf_shift_);
  }
  [[noreturn]] void die(const char* what, const PktBuf* b) const;

  Backend& backend_;
  DmaRegion region_;
  uint32_t capacity_;
  uint32_t buf_size_;
  uint32_t top_;
  uint32_t buf_shift_;          // log2(buf_size_)
  uintptr_t region_bytes_;      // capacity_ * buf_size_
  std::vector<PktBuf*> free_;   // stack of free buffers
  std::vector<uint8_t> is_free_;  // per buffer (by position): 1 while on the free stack; host memory only
};

// Owning handle to one packet buffer. Destroying or resetting it returns the buffer to its pool.
class Packet {
 public:
  Packet() = default;
  explicit Packet(PktBuf* b) : buf_(b) {}
  Packet(Packet&& o) noexcept : buf_(std::exchange(o.buf_, nullptr)) {}
  Packet& operator=(Packet&& o) noexcept {
    if (this != &o) {
      reset();
      buf_ = std::exchange(o.buf_, nullptr);
    }
    return *this;
  }
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;
  ~Packet() { reset(); }

  // Allocates from `pool`; empty handle when the pool is exhausted.
  static Packet alloc(Mempool& pool, uint32_t size) {
    Packet p(pool.alloc());
    if (p) p.buf_->size = size;
    return p;
  }

  explicit operator bool() const { return buf_ != nullptr; }
  uint8_t* data() { return buf_->data(); }
  const uint8_t* data() const { return buf_->data(); }
  uint32_t size() const { return buf_->size; }
  void set_size(uint32_t n) { buf_->size = n; }
  std::span<uint8_t> bytes() { return {buf_->data(), buf_->size}; }
  std::span<const uint8_t> bytes() const { return {buf_->data(), buf_->size}; }
  Mempool& pool() const { return *buf_->pool; }

  void reset() {
    if (buf_) buf_->pool->free(std::exchange(buf_, nullptr));
  }
  // Ownership transfer to a ring (the ring gives it back to the pool later).
  PktBuf* release() { return std::exchange(buf_, nullptr); }
  PktBuf* get() const { return buf_; }

 private:
  template <class Format>
  friend class BasicRxRing;  // fills empty handles without the move-assignment's release check
  PktBuf* buf_ = nullptr;
};
static_assert(sizeof(Packet) == sizeof(void*));

}  // namespace nic
