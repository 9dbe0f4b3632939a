// Virtual time, events and the wire.
//
// The simulator is passive: nothing happens until someone advances time. In deterministic mode the test
// harness (or the driver's own delay_us through the sim backend) calls advance(); the same calls in the same
// order always produce the same result. Events at equal times run in the order they were scheduled.
//
// Threaded mode (sim/device_thread.h): a device thread runs the events, pacing virtual time to the wall clock.
// It holds mutex() while it does; any other thread touches the world, a device or a traffic source only while
// holding mutex() (SimNic does this for the driver's register accesses). now() may be read without it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <span>
#include <vector>

#include "sim/event_queue.h"
#include "sim/fifo.h"
#include "sim/iommu.h"
#include "sim/params.h"

namespace sim {

using Bytes = std::vector<uint8_t>;

// Frame buffers recycled per thread. The timed model carries every frame in a Bytes (link, packet buffer,
// host write) and would otherwise allocate and free one per frame: take() a buffer holding a copy of some
// bytes, give() one back when its frame is done with (what it held is gone; a buffer never given back is just
// freed). Each thread keeps its own few thousand, so nothing is shared between threads.
namespace frames {
inline std::vector<Bytes>& free_list() {
  thread_local std::vector<Bytes> list;
  return list;
}
inline Bytes take(std::span<const uint8_t> data) {
  std::vector<Bytes>& list = free_list();
  Bytes b;
  if (!list.empty()) {
    b = std::move(list.back());
    list.pop_back();
  }
  if (b.capacity() < data.size()) b.reserve(std::max<size_t>(data.size(), 256));  // room for the next ones too
  b.assign(data.begin(), data.end());
  return b;
}
inline void give(Bytes&& b) {
  std::vector<Bytes>& list = free_list();
  if (list.size() < 4096 && b.capacity() >= 256 && b.capacity() <= 16384) {
    b.clear();
    list.push_back(std::move(b));
  }
}
}  // namespace frames

// Anything that can receive frames from a link: a device port, a sink, a capture.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // A frame (without FCS) has fully arrived at time `t`.
  virtual void receive(Bytes&& frame, uint64_t t) = 0;
  // The same for a frame whose bytes stay the sender's: a receiver that does not keep the frame overrides it
  // to take it without a copy (functional mode's fast path: generator -> port -> sink allocates nothing).
  virtual void receive_view(std::span<const uint8_t> frame, uint64_t t) { receive(frames::take(frame), t); }
};

class EventTarget {
 public:
  virtual ~EventTarget() = default;
  virtual void on_event(uint32_t kind, uint64_t arg) = 0;
};

class World;

// A source of posted register writes (threaded mode's doorbells, sim/sim_backend.h): writes another thread
// queued without the world's lock, which whoever holds the lock takes in before the devices run on.
class PostedWrites {
 public:
  virtual ~PostedWrites() = default;
  virtual void drain() = 0;  // called with the world's lock held
};

// One direction of a cable: frames sent at time t arrive at `dst` at t (the sender already accounted for
// serialization; propagation delay is zero). FIFO, so arrival order is send order.
class Link final : public EventTarget {
 public:
  Link(World& world, Endpoint* dst) : world_(world), dst_(dst) {}
  void send(Bytes&& frame, uint64_t arrival);
  void on_event(uint32_t kind, uint64_t arg) override;
  size_t in_flight() const { return fifo_.size(); }
  Endpoint* dst() const { return dst_; }

 private:
  World& world_;
  Endpoint* dst_;
  Fifo<std::pair<uint64_t, Bytes>> fifo_;
};

// Collects frames (a sink on the wire); optionally forwards each to a callback.
class Sink final : public Endpoint {
 public:
  void receive(Bytes&& frame, uint64_t t) override {
    if (on_frame) on_frame(frame, t);
    ++frames;
    bytes += frame.size();
    if (keep) kept.push_back(std::move(frame));
    else frames::give(std::move(frame));
  }
  void receive_view(std::span<const uint8_t> frame, uint64_t t) override {
    if (keep || on_frame) [[unlikely]] return copy_in(frame, t);
    ++frames;
    bytes += frame.size();
  }
  bool keep = true;
  std::function<void(const Bytes&, uint64_t)> on_frame;
  std::vector<Bytes> kept;
  uint64_t frames = 0;
  uint64_t bytes = 0;

 private:
  [[gnu::noinline]] void copy_in(std::span<const uint8_t> frame, uint64_t t) {
    receive(Bytes(frame.begin(), frame.end()), t);
  }
};

// How much of the device the simulator models; fixed for a world's life.
//   kTimed       cycle-approximate (the default): doorbells cross PCIe, descriptors are fetched into on-chip
//                caches by the PTHRESH/HTHRESH rules and written back by WTHRESH, data moves at PCIe bandwidth,
//                frames wait in packet buffers and cross links as timed events.
//   kFunctional  the same registers, filters, statistics, rings, IOMMU checks, interrupts, strict rules and
//                faults, but no time passes inside a device: a doorbell runs its engine to completion at once
//                and a transmitted frame reaches its peer at once. Virtual time still paces traffic sources and
//                life-cycle delays (reset, link, queue enable). For throughput: apps, benchmarks, fuzzing.
enum class Fidelity { kTimed, kFunctional };

class World {
 public:
  explicit World(Params params = {}, Fidelity fidelity = Fidelity::kTimed) : params_(params), fidelity_(fidelity) {}

  const Params& params() const { return params_; }
  bool functional() const { return fidelity_ == Fidelity::kFunctional; }
  uint64_t now() const { return now_.load(std::memory_order_relaxed); }
  // Time of the earliest pending event, or UINT64_MAX.
  uint64_t next_event() const { return events_.empty() ? UINT64_MAX : events_.top().t; }

  std::recursive_mutex& mutex() { return mutex_; }
  // True while a DeviceThread runs this world: then only that thread advances time.
  bool threaded() const { return threaded_.load(std::memory_order_acquire); }
  void set_threaded(bool on) { threaded_.store(on, std::memory_order_release); }

  // Runs every event up to now + ns, then sets now to that time.
  void advance(uint64_t ns) { run_until(now() + ns); }
  void run_until(uint64_t t);
  // Runs events until none is left or `limit` ns have passed; returns true if the queue drained.
  bool run_idle(uint64_t limit_ns);

  void schedule(uint64_t t, EventTarget* target, uint32_t kind, uint64_t arg = 0);

  // True while a paced runner simulates time the host spent simulating rather than running the driver
  // (sim/runner.h): drops then are the pace's, not the driver's (Ixgbe82599::Counters::rx_pace_drops).
  bool behind_pace() const { return behind_pace_; }
  void set_behind_pace(bool on) { behind_pace_ = on; }
  // A paced runner bounds each step (sim/runner.h): wall time beyond the bound is never simulated. now() plus
  // all that time is what a driver's clock has seen pass; rules about how long a driver waited (strict mode)
  // measure on it, so a stalled simulator does not make a wait look short.
  uint64_t clock_ns() const { return now() + skipped_ns_; }
  void add_skipped(uint64_t ns) { skipped_ns_ += ns; }

  // Posted writes: a SimNic registers itself; the device thread drains them all before each step it runs.
  void add_posted(PostedWrites* p) { posted_.push_back(p); }
  void remove_posted(PostedWrites* p) { std::erase(posted_, p); }
  void drain_posted() {
    for (PostedWrites* p : posted_) p->drain();
  }
  size_t pending_events() const { return events_.size(); }

  // The DMA address space of every device in this world: one IOMMU domain, as the devices of one process
  // share one VFIO container. A buffer of one port's pool means the same memory to every port (forwarding
  // from port A's rx to port B's tx needs no copy, as on hardware).
  Iommu& iommu() { return iommu_; }
  // Reserves `size` bytes of IOVA space aligned to `align`, with an unmapped guard page after it.
  uint64_t reserve_iova(uint64_t size, uint64_t align) {
    next_iova_ = (next_iova_ + align - 1) / align * align;
    const uint64_t iova = next_iova_;
    next_iova_ += (size + 4095) / 4096 * 4096 + 4096;
    return iova;
  }

  // A one-way link delivering to `dst`; owned by the world. (Two ports cabled back to back share one link
  // state with two ends: Ixgbe82599::cable().)
  Link* make_link(Endpoint* dst);
  // Sends `frame` to `dst` arriving at time t (a traffic source).
  void inject(Endpoint* dst, Bytes frame, uint64_t t);

 private:
  static constexpr uint64_t kIovaBase = 0x0000'0040'0000'0000ull;  // 256 GiB: never a user-space address
  Params params_;
  Fidelity fidelity_;
  Iommu iommu_;
  uint64_t next_iova_ = kIovaBase;
  std::atomic<uint64_t> now_{0};
  std::recursive_mutex mutex_;
  std::atomic<bool> threaded_{false};
  uint64_t seq_ = 0;
  EventQueue events_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<std::unique_ptr<Link>> source_links_;
  std::vector<PostedWrites*> posted_;
  bool behind_pace_ = false;
  uint64_t skipped_ns_ = 0;  // clock_ns()
};

}  // namespace sim
