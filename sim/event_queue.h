// The world's event queue: earliest time first, and among events at the same time, the order they were
// scheduled in. Most events of the timed model fall within a few microseconds of now (PCIe latencies, wire
// times, write-back flushes), so the queue is a calendar: one FIFO bucket per nanosecond over a window of
// kSpan ns starting at base_, a bitmap of the non-empty buckets to find the next one, and a heap only for the
// events beyond the window. Pushing into the window and popping from it are O(1) (plus a bitmap scan of at
// most kSpan / 64 words); the window starts at the last popped event's time, and the heap's events move into
// their buckets as it slides over them, before anything else can be scheduled at those times, so the
// same-time order is kept.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace sim {

class EventTarget;

struct Event {
  uint64_t t;
  uint64_t seq;  // scheduling order
  EventTarget* target;
  uint32_t kind;
  uint64_t arg;
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

class EventQueue {
 public:
  static constexpr uint64_t kSpan = 4096;  // ns covered by buckets (a power of two)

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // `e.t` must not be earlier than the last popped event's time.
  void push(const Event& e) {
    ++size_;
    if (e.t - base_ < kSpan) put(e);
    else far_.push(e);
  }

  // The earliest event (the queue must not be empty).
  const Event& top() const {
    const int64_t i = find();
    if (i < 0) return far_.top();
    const Bucket& b = bucket_[static_cast<size_t>(i)];
    return b.events[b.head];
  }
  void pop() {
    int64_t i = find();
    if (i < 0) {  // nothing in the window: it jumps to the heap's earliest event
      slide(far_.top().t);
      i = find();
    }
    remove(i);
  }
  // Moves the earliest event into `out` and pops it if it is due by t; false (nothing changed) otherwise.
  // One bitmap scan where top() + pop() take two.
  bool pop_due(uint64_t t, Event& out) {
    if (size_ == 0) return false;
    int64_t i = find();
    if (i < 0) {
      if (far_.top().t > t) return false;
      slide(far_.top().t);
      i = find();
    }
    const Bucket& b = bucket_[static_cast<size_t>(i)];
    if (b.events[b.head].t > t) return false;
    out = b.events[b.head];
    remove(i);
    return true;
  }

 private:
  struct Bucket {
    std::vector<Event> events;  // one time, in scheduling order
    size_t head = 0;
  };

  // Pops the front event of bucket i, the earliest of all.
  void remove(int64_t i) {
    Bucket& b = bucket_[static_cast<size_t>(i)];
    const uint64_t t = b.events[b.head].t;
    if (++b.head == b.events.size()) {
      b.events.clear();
      b.head = 0;
      nonempty_[static_cast<size_t>(i) / 64] &= ~(uint64_t{1} << (i % 64));
    }
    --size_;
    if (t != base_) slide(t);  // the popped event's time is now: nothing earlier can be scheduled any more
  }

  void put(const Event& e) {
    const uint64_t i = e.t % kSpan;
    bucket_[i].events.push_back(e);
    nonempty_[i / 64] |= uint64_t{1} << (i % 64);
  }
  // Moves the window to start at t (no bucketed event is earlier) and takes in the heap's events that now
  // fall inside it. Invariant: every event in the heap is at base_ + kSpan or later.
  void slide(uint64_t t) {
    base_ = t;
    while (!far_.empty() && far_.top().t - base_ < kSpan) {
      put(far_.top());
      far_.pop();
    }
  }
  // Index of the earliest non-empty bucket (scanning the bitmap circularly from the window's start), or -1.
  int64_t find() const {
    const uint64_t start = base_ % kSpan;
    uint64_t word = start / 64;
    uint64_t bits = nonempty_[word] & (~uint64_t{0} << (start % 64));
    for (uint64_t n = 0; n <= kWords; ++n) {
      if (bits) return static_cast<int64_t>(word * 64 + static_cast<uint64_t>(__builtin_ctzll(bits)));
      word = (word + 1) % kWords;
      bits = nonempty_[word];
      if (word == start / 64) bits &= ~(~uint64_t{0} << (start % 64));  // wrapped: only what lies before start
    }
    return -1;
  }

  static constexpr uint64_t kWords = kSpan / 64;
  std::array<Bucket, kSpan> bucket_{};
  std::array<uint64_t, kWords> nonempty_{};
  uint64_t base_ = 0;
  size_t size_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> far_;
};

}  // namespace sim
