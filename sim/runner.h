// Runs simulated time for an application's main loop (the threaded device thread is the other way).
//   kQuantum:    every pump() advances virtual time by a fixed quantum: deterministic, runs as fast as the
//                host allows; per-second figures are per virtual second.
//   kRealTime:   every pump() advances virtual time by the wall time that passed since the last pump
//                (times `scale`), so virtual time tracks the clock and a driver that is too slow drops
//                packets, as on the card. The simulator's own CPU time is charged to the driver here.
#pragma once

#include <chrono>
#include <cstdint>

#include "sim/world.h"

namespace sim {

class Runner {
 public:
  enum class Mode { kQuantum, kRealTime };
  Runner(World& world, Mode mode, uint64_t quantum_ns = 1000, double scale = 1.0)
      : world_(world), mode_(mode), quantum_ns_(quantum_ns), scale_(scale), last_(Clock::now()) {}

  void pump() {
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
    world_.advance(step);
  }
  Mode mode() const { return mode_; }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr double kMaxStepNs = 1e6;
  World& world_;
  Mode mode_;
  uint64_t quantum_ns_;
  double scale_;
  Clock::time_point last_;
  double carry_ = 0;
};

}  // namespace sim
