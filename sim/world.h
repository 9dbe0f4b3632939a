// Virtual time, events and the wire.
//
// The simulator is passive: nothing happens until someone advances time. In deterministic mode the test
// harness (or the driver's own delay_us through the sim backend) calls advance(); the same calls in the same
// order always produce the same result. Events at equal times run in the order they were scheduled.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <vector>

#include "sim/params.h"

namespace sim {

using Bytes = std::vector<uint8_t>;

// Anything that can receive frames from a link: a device port, a sink, a capture.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // A frame (without FCS) has fully arrived at time `t`.
  virtual void receive(Bytes&& frame, uint64_t t) = 0;
};

class EventTarget {
 public:
  virtual ~EventTarget() = default;
  virtual void on_event(uint32_t kind, uint64_t arg) = 0;
};

class World;

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
  std::deque<std::pair<uint64_t, Bytes>> fifo_;
};

// Collects frames (a sink on the wire); optionally forwards each to a callback.
class Sink final : public Endpoint {
 public:
  void receive(Bytes&& frame, uint64_t t) override {
    if (on_frame) on_frame(frame, t);
    ++frames;
    bytes += frame.size();
    if (keep) kept.push_back(std::move(frame));
  }
  bool keep = true;
  std::function<void(const Bytes&, uint64_t)> on_frame;
  std::vector<Bytes> kept;
  uint64_t frames = 0;
  uint64_t bytes = 0;
};

class World {
 public:
  explicit World(Params params = {}) : params_(params) {}

  const Params& params() const { return params_; }
  uint64_t now() const { return now_; }

  // Runs every event up to now + ns, then sets now to that time.
  void advance(uint64_t ns) { run_until(now_ + ns); }
  void run_until(uint64_t t);
  // Runs events until none is left or `limit` ns have passed; returns true if the queue drained.
  bool run_idle(uint64_t limit_ns);

  void schedule(uint64_t t, EventTarget* target, uint32_t kind, uint64_t arg = 0);
  size_t pending_events() const { return events_.size(); }

  // A one-way link delivering to `dst`; owned by the world.
  Link* make_link(Endpoint* dst);
  // Sends `frame` to `dst` arriving at time t (a traffic source).
  void inject(Endpoint* dst, Bytes frame, uint64_t t);

 private:
  struct Event {
    uint64_t t;
    uint64_t seq;
    EventTarget* target;
    uint32_t kind;
    uint64_t arg;
    bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };

  Params params_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<std::unique_ptr<Link>> source_links_;
};

}  // namespace sim
