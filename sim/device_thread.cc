#include "sim/device_thread.h"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>

namespace sim {
namespace {
using Clock = std::chrono::steady_clock;

void sleep_wall_ns(double ns) {
  if (ns <= 0) return;
  std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<int64_t>(std::min(ns, 200'000.0))));
}
}  // namespace

DeviceThread::DeviceThread(World& world, Options options) : world_(world), options_(options) {
  if (!(options_.scale > 0)) options_.scale = 1.0;
  if (options_.quantum_ns == 0) options_.quantum_ns = 1;
  world_.set_threaded(true);
  thread_ = std::thread([this] { run(); });
}

DeviceThread::~DeviceThread() {
  stop_.store(true);
  thread_.join();
  std::lock_guard lock(world_.mutex());
  world_.set_threaded(false);  // from here on every tail write takes the lock itself
  world_.drain_posted();       // what was rung before that
}

void DeviceThread::run() {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // short sleeps mean what they say (default slack is 50 us)
  const Clock::time_point wall0 = Clock::now();
  uint64_t virt0 = world_.now();
  while (!stop_.load(std::memory_order_relaxed)) {
    const double wall_ns = std::chrono::duration<double, std::nano>(Clock::now() - wall0).count();
    uint64_t target = virt0 + static_cast<uint64_t>(wall_ns * options_.scale);
    uint64_t next;
    {
      std::lock_guard lock(world_.mutex());
      world_.drain_posted();  // doorbells the driver rang since the last step
      const uint64_t now = world_.now();
      if (target > now + options_.max_lag_ns) {  // the host cannot keep up: let virtual time slip
        const uint64_t slip = target - now - options_.max_lag_ns;
        virt0 -= slip;
        target -= slip;
        slipped_.fetch_add(slip, std::memory_order_relaxed);
      }
      if (target > now) world_.run_until(std::min(target, now + options_.quantum_ns));
      next = world_.next_event();
    }
    const uint64_t now = world_.now();
    if (now < target) continue;  // still catching up (the lock is released in between: the driver may take it)
    // Caught up: sleep until the next event is due (at most 200 us; a doorbell may schedule an earlier one,
    // so wake at least every quantum).
    const uint64_t until = std::min(next, now + options_.quantum_ns);
    sleep_wall_ns(static_cast<double>(until - now) / options_.scale);
  }
}

void DeviceThread::wait_until(uint64_t t_ns) const {
  while (world_.now() < t_ns && !stop_.load(std::memory_order_relaxed))
    sleep_wall_ns(static_cast<double>(t_ns - world_.now()) / options_.scale);
}

void DeviceThread::settle(uint64_t limit_ns) {
  const uint64_t end = world_.now() + limit_ns;
  while (world_.now() < end) {
    {
      std::lock_guard lock(world_.mutex());
      if (world_.next_event() > end) return;
    }
    sleep_wall_ns(static_cast<double>(options_.quantum_ns) / options_.scale);
  }
}

}  // namespace sim
