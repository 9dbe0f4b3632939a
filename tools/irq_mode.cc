#include "tools/irq_mode.h"

#include <poll.h>

#include <cstdio>

namespace app {

AdaptiveRx::AdaptiveRx(PortSet& ports, std::vector<std::pair<nic::Device*, uint16_t>> queues, Options options)
    : ports_(ports), queues_(std::move(queues)), opt_(options) {
  for (auto& [dev, q] : queues_) {
    bool seen = false;  // a device listed twice (fwd with one port) is enabled once
    for (auto& [other, oq] : queues_) {
      if (&other == &dev) break;
      seen |= other == dev;
    }
    if (!seen) dev->enable_interrupts(nic::InterruptConfig{.interval_us = opt_.interval_us});
  }
  window_start_ = last_print_ns_ = ports_.now_ns();
}

uint64_t AdaptiveRx::interrupts() const {
  uint64_t n = 0;
  for (size_t i = 0; i < queues_.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i; ++j) seen |= queues_[j] == queues_[i];
    if (!seen) n += queues_[i].first->rx_interrupts(queues_[i].second);
  }
  return n;
}

void AdaptiveRx::after_round(uint64_t packets) {
  window_packets_ += packets;
  const uint64_t now = ports_.now_ns();
  if (now - window_start_ >= opt_.window_ns) {
    const double pps = static_cast<double>(window_packets_) * 1e9 / static_cast<double>(now - window_start_);
    interrupt_mode_ = pps < opt_.threshold_pps;
    window_start_ = now;
    window_packets_ = 0;
  }
  if (interrupt_mode_ && packets == 0) sleep();
}

void AdaptiveRx::sleep() {
  bool ready = false;
  for (auto& [dev, q] : queues_) ready |= dev->arm_rx(q);
  if (!ready) {
    ++sleeps_;
    std::vector<pollfd> fds;
    for (auto& [dev, q] : queues_) fds.push_back(pollfd{dev->rx_interrupt_fd(q), POLLIN, 0});
    const bool app_runs_sim = ports_.simulated() && !ports_.group->runs_itself();
    if (!app_runs_sim) {
      ::poll(fds.data(), fds.size(), static_cast<int>(opt_.wait_timeout_ms));  // EINTR: the loop checks stop
    } else {
      const uint64_t start = ports_.now_ns(), limit = static_cast<uint64_t>(opt_.wait_timeout_ms) * 1'000'000;
      while (::poll(fds.data(), fds.size(), 0) == 0 && ports_.now_ns() - start < limit && !stop_requested())
        ports_.pump();
    }
  }
  for (auto& [dev, q] : queues_) dev->disarm_rx(q);
}

void AdaptiveRx::print_second() {
  const uint64_t now = ports_.now_ns();
  const double secs = static_cast<double>(now - last_print_ns_) / 1e9;
  const uint64_t irqs = interrupts();
  if (secs > 0)
    std::printf("[irq] %.0f interrupts/s, %.0f sleeps/s, mode: %s\n", static_cast<double>(irqs - last_interrupts_) / secs,
                static_cast<double>(sleeps_ - last_sleeps_) / secs, interrupt_mode_ ? "interrupts" : "polling");
  last_interrupts_ = irqs;
  last_sleeps_ = sleeps_;
  last_print_ns_ = now;
}

void AdaptiveRx::print_totals() const {
  std::printf("interrupts: %llu taken, %llu sleeps\n", static_cast<unsigned long long>(interrupts()),
              static_cast<unsigned long long>(sleeps_));
}

}  // namespace app
