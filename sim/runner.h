// Runs simulated time for an application's main loop.
//   kQuantum:    every pump() advances virtual time by a fixed quantum: deterministic, runs as fast as the
//                host allows; per-second figures are per virtual second.
//   kRealTime:   every pump() advances virtual time by the wall time that passed since the last pump
//                (times `scale`), so virtual time tracks the clock and a driver that is too slow drops
//                packets, as on the card. The simulator's own CPU time is charged to the driver here: of
//                each step, the part that stands for the wall time the previous step took to simulate runs
//                with World::behind_pace() set, so the frames dropped in it count as the pace's
//                (Ixgbe82599::Counters::rx_pace_drops) and the rest as the driver's. That is exact for a
//                ring: with R free descriptors, a driver that polls after d ns of traffic drops
//                max(0, frames(d) - R), and frames(d_driver) - R of those would be lost with an infinitely
//                fast simulator too.
//   kThreaded:   the first pump() starts a sim::DeviceThread (sim/device_thread.h): the devices run in their
//                own thread, paced to the wall clock (times `scale`); later pumps do nothing. Device init
//                before that first pump stays deterministic. The simulator's CPU time is its own thread's.
// settle() lets frames already on the wire arrive, in any mode.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

#include "sim/device_thread.h"
#include "sim/world.h"

namespace sim {

class Runner {
 public:
  enum class Mode { kQuantum, kRealTime, kThreaded };
  Runner(World& world, Mode mode, uint64_t quantum_ns = 1000, double scale = 1.0)
      : world_(world), mode_(mode), quantum_ns_(quantum_ns), scale_(scale), last_(Clock::now()) {}

  void pump() {
    if (mode_ == Mode::kThreaded) {
      if (!thread_) thread_ = std::make_unique<DeviceThread>(world_, DeviceThread::Options{.scale = scale_});
      return;
    }
    if (mode_ == Mode::kQuantum) {
      world_.advance(quantum_ns_);
      return;
    }
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double, std::nano>(now - last_).count() * scale_ + carry_;
    last_ = now;
    // Bound one step (a stalled process must not flood the model with a second of traffic at once).
    const uint64_t step = static_cast<uint64_t>(dt < kMaxStepNs ? dt : kMaxStepNs);
    carry_ = dt < kMaxStepNs ? dt - static_cast<double>(step) : 0;
    if (dt > kMaxStepNs) world_.add_skipped(static_cast<uint64_t>(dt - kMaxStepNs));
    // The driver's part first (the wall time since the last step ended), then the simulator's own.
    const uint64_t sim_part = std::min<uint64_t>(step, static_cast<uint64_t>(last_sim_ns_ * scale_));
    world_.advance(step - sim_part);
    world_.set_behind_pace(true);
    world_.advance(sim_part);
    world_.set_behind_pace(false);
    last_sim_ns_ = std::chrono::duration<double, std::nano>(Clock::now() - now).count();
  }

  // Lets pending events within `limit_ns` of virtual time run (frames on the wire arrive).
  void settle(uint64_t limit_ns) {
    if (thread_) return thread_->settle(limit_ns);
    std::lock_guard lock(world_.mutex());
    world_.run_idle(limit_ns);
  }
  // Threaded mode: stops the device thread (the world is deterministic again). Idempotent.
  void stop() { thread_.reset(); }

  Mode mode() const { return mode_; }
  DeviceThread* device_thread() { return thread_.get(); }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr double kMaxStepNs = 1e6;
  World& world_;
  Mode mode_;
  uint64_t quantum_ns_;
  double scale_;
  Clock::time_point last_;
  double carry_ = 0;
  double last_sim_ns_ = 0;  // wall time the last realtime step took
  std::unique_ptr<DeviceThread> thread_;
};

}  // namespace sim
