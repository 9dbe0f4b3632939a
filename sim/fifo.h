// A first-in first-out queue on a growable ring of slots, for the timed model's per-frame queues (packet
// buffers, descriptor caches, write-backs in flight, links). std::deque frees a block each time its front
// passes one and allocates one each time its back fills one, so a queue that frames stream through at line
// rate allocates every few frames; this one allocates only when it holds more than it ever did. A popped
// slot keeps its moved-from value until it is reused, so the element type must be movable and cheap to keep
// empty (Bytes, plain structs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sim {

template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == tail_; }
  size_t size() const { return tail_ - head_; }
  T& front() { return slots_[head_ & mask_]; }
  const T& front() const { return slots_[head_ & mask_]; }
  T& back() { return slots_[(tail_ - 1) & mask_]; }
  const T& back() const { return slots_[(tail_ - 1) & mask_]; }
  T& operator[](size_t i) { return slots_[(head_ + i) & mask_]; }
  const T& operator[](size_t i) const { return slots_[(head_ + i) & mask_]; }

  void push_back(T&& v) { slot() = std::move(v); }
  void push_back(const T& v) { slot() = v; }
  template <class... A>
  T& emplace_back(A&&... a) {
    T& s = slot();
    s = T{std::forward<A>(a)...};
    return s;
  }
  void pop_front() { ++head_; }
  // Drops the first n elements (n <= size()).
  void pop_front(size_t n) { head_ += n; }
  void clear() { head_ = tail_ = 0; }

  // Iteration from front to back (read-only walks such as counting what a reset loses).
  template <class Q>
  struct Iter {
    Q* q;
    size_t i;
    auto& operator*() const { return (*q)[i]; }
    Iter& operator++() {
      ++i;
      return *this;
    }
    bool operator!=(const Iter& o) const { return i != o.i; }
  };
  Iter<const Fifo> begin() const { return {this, 0}; }
  Iter<const Fifo> end() const { return {this, size()}; }

 private:
  // The slot for a new back element, growing the ring (to twice its size, in order) when it is full.
  T& slot() {
    if (size() == slots_.size()) grow();
    return slots_[tail_++ & mask_];
  }
  void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    const size_t n = size();
    for (size_t i = 0; i < n; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    mask_ = slots_.size() - 1;
    head_ = 0;
    tail_ = n;
  }

  std::vector<T> slots_;
  size_t mask_ = 0;
  uint64_t head_ = 0, tail_ = 0;  // free-running; the slot of position p is p & mask_
};

}  // namespace sim
