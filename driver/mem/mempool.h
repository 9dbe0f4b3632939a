// Packet buffers: a fixed-size pool carved out of one DMA region, and a move-only Packet handle that gives
// its buffer back when dropped, so no path can leak one.
//
// The device can reach the driver only through packet bytes. The DMA region holds frame data and nothing else:
// buffer i is bytes [i * buf_size, (i + 1) * buf_size) of it, all of them data. Everything the driver follows
// or trusts about a buffer (where its data is, its IOVA, its size, its pool) is a PktBuf in an ordinary heap
// array the pool owns, indexed by buffer number, which the device has no mapping for. A device that writes any
// byte anywhere in its DMA memory changes packet contents (or descriptors, which the rings validate), never a
// pointer, size or index the driver uses. A pool is single-threaded (one per queue), as in ixy and DPDK.
#pragma once

#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "driver/seam/backend.h"

namespace nic {

class Mempool;

// Host-memory metadata of one buffer (never in DMA memory). Half a cache line: the hot path reads and writes
// these densely packed, instead of a header 4 KB away from the next one.
struct alignas(32) PktBuf {
  uint8_t* data_va;    // the buffer's bytes, in the pool's DMA region
  uint64_t data_iova;  // IOVA of data_va (what descriptors carry)
  Mempool* pool;
  uint32_t size;      // bytes of frame data
  uint32_t capacity;  // bytes data() can hold (the pool's data_capacity(), kept here for the hot path)
  uint8_t* data() { return data_va; }
  const uint8_t* data() const { return data_va; }
};
static_assert(sizeof(PktBuf) == 32);

class alignas(64) Mempool {  // own cache lines: one pool per queue, queues on different threads
 public:
  // 4 KB per buffer, all of it data (the metadata lives elsewhere): the 2 KB receive buffer every family
  // programs (kRxBufBytes) lies wholly inside it, and 4 KB buffers divide a 2 MiB hugepage.
  static constexpr uint32_t kDefaultBufSize = 4096;
  // Receive buffer size the drivers program: SRRCTL.BSIZEPACKET = 2 (1 KB units; 82599 §8.2.3.8.7, and the
  // 82576's SRRCTL likewise), RCTL.BSIZE = 00b with BSEX = 0 (82574 RCTL). Ring setup checks it against
  // data_capacity(): the device may write that many bytes into each buffer.
  static constexpr uint32_t kRxBufBytes = 2048;

  // num_bufs buffers of buf_size data bytes each (DMA memory), plus num_bufs PktBufs in heap memory. Throws nic::Error on bad sizes or no memory.
  Mempool(Backend& backend, uint32_t num_bufs, uint32_t buf_size = kDefaultBufSize);
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  // nullptr when empty (the caller counts that as a drop).
  PktBuf* alloc() {
    if (top_ == 0) [[unlikely]] return nullptr;
    PktBuf* b = free_[--top_];
    is_free_[b - meta_.get()] = 0;  // from the free stack: one of ours
    return b;
  }
  // Fills up to out.size() buffers; returns how many.
  uint32_t alloc_bulk(std::span<PktBuf*> out) {
    const uint32_t n = out.size() < top_ ? static_cast<uint32_t>(out.size()) : top_;
    PktBuf* const* got = take_bulk(n);
    std::memcpy(out.data(), got, n * sizeof(PktBuf*));
    return n;
  }
  // The rings' bulk allocation: takes n <= available() buffers and returns where their pointers are (the top of
  // the free stack, valid until the pool's next call), with no copy.
  PktBuf* const* take_bulk(uint32_t n) {
    assert(n <= top_);
    top_ -= n;
    PktBuf* const* got = free_.data() + top_;
    // Members in locals: the byte stores below may alias anything, `this` included.
    const PktBuf* const meta = meta_.get();
    uint8_t* const is_free = is_free_.data();
    for (uint32_t k = 0; k < n; ++k) is_free[got[k] - meta] = 0;
    return got;
  }
  // Aborts (in every build, not only with assertions on) on a buffer of another pool, a pointer that is no
  // buffer's start, or a buffer that is already free: each would corrupt the free stack, and a buffer freed
  // twice is later handed out twice (to the device and to the app at once). The check uses only the pointer
  // value and host-side state (is_free_), never the buffer's bytes, which the device may write.
  void free(PktBuf* b) {
    const uint32_t i = index_of(b);
    if (is_free_[i]) [[unlikely]] die("buffer freed twice", b);
    is_free_[i] = 1;
    assert(top_ < capacity_);
    free_[top_++] = b;
  }
  // Frees n buffers, all of this pool.
  void free_bulk(PktBuf* const* bufs, uint32_t n) {
    const uint32_t k = free_own_prefix(bufs, n);
    if (k != n) [[unlikely]] die("buffer not from this pool (free_bulk)", bufs[k]);
  }
  // The rings' bulk free: frees the longest prefix of bufs[0, n) whose buffers are this pool's and returns its
  // length (a tx ring may hold buffers of several pools: the caller frees the rest elsewhere). Dies on a buffer
  // freed twice. One pass: the range check that tells this pool's buffers from others' is the check free() makes.
  uint32_t free_own_prefix(PktBuf* const* bufs, uint32_t n) {
    // Members in locals: the byte stores below may alias anything, `this` included.
    PktBuf** const stack = free_.data() + top_;
    const uintptr_t meta = reinterpret_cast<uintptr_t>(meta_.get());
    const uint64_t capacity = capacity_;
    uint8_t* const is_free = is_free_.data();
    uint32_t k = 0;
    for (; k < n; ++k) {
      PktBuf* const b = bufs[k];
      const uint64_t i = std::rotr(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(b) - meta), 5);  // slot_of()
      if (i >= capacity) [[unlikely]] break;  // another pool's (or no buffer at all)
      if (is_free[i]) [[unlikely]] die("buffer freed twice (free_bulk)", b);
      is_free[i] = 1;
      stack[k] = b;
    }
    assert(top_ + k <= capacity_);
    top_ += k;
    return k;
  }
  // Where buffer data lies, from a buffer's position alone (no load of its metadata): buffer i's data starts
  // at i * buf_size + (i % kColours) * kColourStep of the region (cache colouring, below). The rings' bulk
  // paths keep one of these in locals.
  struct Layout {
    uint64_t iova0;
    const PktBuf* meta0;
    uint32_t shift;        // log2(buf_size)
    uint32_t colour_mask;  // kColours - 1, or 0 for an uncoloured pool
    uint64_t data_iova(const PktBuf* b) const {
      const uint64_t i = static_cast<uint64_t>(b - meta0);
      return iova0 + (i << shift) + ((i & colour_mask) * kColourStep);
    }
  };
  Layout layout() const { return {region_.iova, meta_.get(), buf_shift_, colour_mask_}; }
  // IOVA of b's data (b must be this pool's).
  uint64_t data_iova(const PktBuf* b) const {
    assert(b->pool == this);
    return layout().data_iova(b);
  }

  uint32_t capacity() const { return capacity_; }
  uint32_t available() const { return top_; }
  uint32_t in_use() const { return capacity_ - top_; }
  uint32_t buf_size() const { return buf_size_; }
  uint32_t buf_shift() const { return buf_shift_; }  // log2(buf_size())
  // Bytes every buffer's data area holds: the buffer less its colour offset at most (no header in DMA memory).
  uint32_t data_capacity() const { return buf_size_ - colour_mask_ * kColourStep; }
  // Cache colouring: in pools of 4 KB buffers, buffer i's data starts (i % kColours) * 64 bytes into its
  // buffer. 4 KB-aligned starts would all fall in one set of a 32 KB 8-way L1 (64 sets of 64 bytes: the set is
  // address bits 11:6), so the first line of only 8 buffers could be cached at once; spread over 32 colours,
  // 256 can. The 2 KB receive area (kRxBufBytes) still fits: 4096 - 31 * 64 = 2112 bytes.
  static constexpr uint32_t kColourStep = 64;
  static constexpr uint32_t kColours = 32;
  static constexpr uint32_t kColouredBufSize = 4096;  // pools of at least this buffer size are coloured

  // The pool's DMA region (packet bytes only) and its buffers' host-side metadata, for tests and diagnostics.
  const DmaRegion& dma_region() const { return region_; }
  std::span<const PktBuf> metadata() const { return {meta_.get(), capacity_}; }

 private:
  // Position of b from its address alone (metadata entries are 32 bytes: a shift); dies unless b is one of
  // this pool's metadata entries.
  uint32_t index_of(const PktBuf* b) const {
    const uint32_t i = slot_of(b);
    if (i >= capacity_) [[unlikely]] die("buffer not from this pool", b);
    return i;
  }
  // b's position, or a value >= capacity_ unless b is the start of one of this pool's metadata entries: the offset
  // rotated right by log2(32) is the index when the low five bits are 0 and huge otherwise (one check for both).
  uint32_t slot_of(const PktBuf* b) const {
    static_assert(sizeof(PktBuf) == 32);
    const uint64_t off = reinterpret_cast<uintptr_t>(b) - reinterpret_cast<uintptr_t>(meta_.get());
    const uint64_t i = std::rotr(off, 5);
    return i < capacity_ ? static_cast<uint32_t>(i) : capacity_;
  }
  [[noreturn]] void die(const char* what, const PktBuf* b) const;

  Backend& backend_;
  DmaRegion region_;
  uint32_t capacity_;
  uint32_t buf_size_;
  uint32_t top_;
  uint32_t buf_shift_;               // log2(buf_size_)
  uint32_t colour_mask_;             // kColours - 1 when coloured, else 0
  std::unique_ptr<PktBuf[]> meta_;   // per buffer (by position): its metadata; heap memory, no device access
  std::vector<PktBuf*> free_;        // stack of free buffers
  std::vector<uint8_t> is_free_;     // per buffer (by position): 1 while on the free stack; host memory only
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
