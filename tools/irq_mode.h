// Adaptive receive for the apps (ixy's idea): poll while traffic is heavy, sleep on MSI-X interrupts while it
// is light. Every `window` of device time the rx rate of the watched queues is measured; below the threshold
// (default 1.2 Mpps) a polling round that found nothing blocks until one of the queues' interrupts fires
// (or a timeout passes), above it the app only polls and the vectors stay masked: no interrupts at all.
//
// Simulated ports in the realtime/virtual modes are run by the app's own thread, so there "blocking" pumps the
// simulator until an eventfd becomes readable (the semantics are the same, the CPU is not saved); in threaded
// mode and on hardware it is poll(2).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "driver/device/device.h"
#include "tools/app.h"

namespace app {

class AdaptiveRx {
 public:
  struct Options {
    double threshold_pps = 1.2e6;       // below this rate: interrupts; at or above: pure polling
    uint64_t window_ns = 10'000'000;    // rate measurement window (device time)
    uint32_t wait_timeout_ms = 10;      // longest single sleep (the app's loop then runs once: stats, stop flag)
    uint32_t interval_us = 100;         // EITR moderation programmed by enable_interrupts()
  };
  // Enables interrupts on every listed device (each queue's vector) and starts in interrupt mode.
  AdaptiveRx(PortSet& ports, std::vector<std::pair<nic::Device*, uint16_t>> queues, Options options);

  // Call after every polling round with the packets it received; may block (see above).
  void after_round(uint64_t packets);

  bool interrupt_mode() const { return interrupt_mode_; }
  uint64_t interrupts() const;  // taken on the watched queues since the start
  uint64_t sleeps() const { return sleeps_; }  // rounds that really waited (nothing was ready)
  // "[irq] N interrupts/s, M sleeps/s, mode" for the last period; call once per stats second.
  void print_second();
  void print_totals() const;

 private:
  void sleep();
  PortSet& ports_;
  std::vector<std::pair<nic::Device*, uint16_t>> queues_;
  Options opt_;
  bool interrupt_mode_ = true;
  uint64_t window_start_ = 0, window_packets_ = 0;
  uint64_t sleeps_ = 0, last_interrupts_ = 0, last_sleeps_ = 0, last_print_ns_ = 0;
};

}  // namespace app
