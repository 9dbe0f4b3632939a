// Threaded mode: the simulated devices run in their own thread, like a real card, with virtual time paced to
// the wall clock (times `scale`). A driver that is too slow now really loses frames: the rx packet buffer
// fills while nobody refills descriptors and the device counts MPC/QPRDC, as the 82599 would.
//
//   sim::World world;  sim::SimNic nic(world);  auto dev = nic::open_device(nic, cfg);  // init: deterministic
//   sim::DeviceThread thread(world, {.scale = 1.0});   // from here on the device runs by itself
//   ... dev->rx_batch(...) / tx_batch(...) from the app thread ...
//   // thread's destructor stops it; the world is deterministic again.
//
// Safety: the device thread holds world.mutex() while it runs events; SimNic takes the same lock for every
// register access, DMA allocation and delay, except the tail writes, which it posts without a lock (a release
// store the device thread takes in with an acquire load). Descriptor and packet memory is not locked: the
// device's DD write-back is a release store after the data and the driver reads DD with an acquire load
// (nic::dd_load), so ThreadSanitizer checks this protocol with no suppressions.
// Anything else that touches the world while the thread runs (starting a TrafficGen, reading a Sink) must
// hold world.mutex() (or use pause()).
//
// If the host cannot simulate fast enough, virtual time falls behind the clock; beyond `max_lag_ns` the thread
// lets virtual time slip instead of running ever larger bursts (slipped_ns() reports how much). Use a
// smaller `scale` (e.g. 0.1: one virtual second per ten wall seconds) to give a slow host room.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#include "sim/world.h"

namespace sim {

class DeviceThread {
 public:
  struct Options {
    double scale = 1.0;              // virtual ns per wall ns
    uint64_t quantum_ns = 5'000;     // virtual time run per lock hold (the driver gets the lock in between)
    uint64_t max_lag_ns = 1'000'000; // behind the clock by more than this: slip instead of catching up
  };

  explicit DeviceThread(World& world) : DeviceThread(world, Options{}) {}
  DeviceThread(World& world, Options options);
  ~DeviceThread();
  DeviceThread(const DeviceThread&) = delete;
  DeviceThread& operator=(const DeviceThread&) = delete;

  // Holds the device still (no virtual time passes for the devices while the lock is held).
  std::unique_lock<std::recursive_mutex> pause() { return std::unique_lock(world_.mutex()); }
  // Blocks (wall clock) until virtual time has reached t_ns.
  void wait_until(uint64_t t_ns) const;
  // Blocks until no event is pending within `limit_ns` of virtual time, or that much virtual time passed.
  void settle(uint64_t limit_ns);

  uint64_t slipped_ns() const { return slipped_.load(std::memory_order_relaxed); }
  const Options& options() const { return options_; }

 private:
  void run();
  World& world_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> slipped_{0};
  std::thread thread_;
};

}  // namespace sim
