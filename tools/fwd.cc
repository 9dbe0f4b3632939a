// fwd: forwards packets between two ports in both directions (ixy-fwd semantics) and prints per-second Mpps
// and Mbit/s for every port. With one port, it sends every packet back where it came from. With --queues N,
// receive-side scaling spreads flows over N rx queues and one thread per queue forwards rx queue q of a
// port to tx queue q of the other (nothing mutable is shared between the threads on the hot path).
//
// Default: two simulated 82599 ports (functional model, virtual time), each fed at 10G line rate by a traffic
// generator on its wire.
//   fwd --ports 0000:03:00.0,0000:03:00.1     real hardware through VFIO
//   fwd --seconds 5                            run 5 (device) seconds, then print totals
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "driver/seam/log.h"
#include "tools/app.h"
#include "tools/forward.h"
#include "tools/irq_mode.h"

int main(int argc, char** argv) {
  app::Flags f("fwd", "fwd [--ports P0,P1] [--batch N] [--seconds S] [--count N]");
  app::add_port_flags(f, "sim,sim");
  app::add_stats_flags(f);
  f.add("batch", "32", "packets per rx/tx batch (1..512)");
  f.add("seconds", "0", "stop after this many seconds of device time (0 = run until Ctrl-C)");
  f.add("count", "0", "stop after forwarding this many packets (0 = no limit)");
  f.add("frame-size", "60", "simulated ports: size of the generated frames, without FCS (60..1514)");
  f.add_bool("interrupts", "adaptive: sleep on MSI-X rx interrupts while the rate is low, poll above ~1.2 Mpps");
  f.add("itr", "100", "with --interrupts: interrupt moderation interval in us (EITR; 0 = none; at most 1000)");
  f.add("queues", "1", "rx/tx queue pairs per port, one forwarding thread each (1..16; RSS spreads flows)");
  if (!f.parse(argc, argv)) return f.exit_code();
  return app::run_main([&] {
    const uint64_t batch = f.u64("batch", 1, 512), seconds = f.u64("seconds"), count = f.u64("count");
    const uint64_t frame = f.u64("frame-size", 60, 1514);
    const uint32_t itr = f.u32("itr", 0, 1000);  // EITR holds up to ~1 ms on every family
    auto ports = app::split(f.str("ports"), ',');
    if (ports.size() != 1 && ports.size() != 2) throw nic::Error("fwd needs one or two ports (--ports)");
    const uint64_t queues = f.u64("queues", 1, 16);
    app::PortOptions opt = app::port_options_from(f);
    opt.wiring = app::SimWiring::kTrafficIn;
    opt.traffic.frame_size = static_cast<uint32_t>(frame);
    opt.device.rx_queues = opt.device.tx_queues = static_cast<uint16_t>(queues);
    if (queues > 1) {
      opt.traffic.flows = 256;  // IPv4/UDP flows for RSS to spread
      if (opt.sim_mode != app::SimMode::kThreaded) {
        // Worker threads cannot pump a simulator that lives on the main thread: the device gets its own.
        opt.sim_mode = app::SimMode::kThreaded;
        std::fprintf(stderr, "fwd: --queues > 1 runs simulated ports in threaded mode\n");
      }
    }
    auto ps = app::open_ports(ports, opt);
    ps->finish_setup();
    app::install_signal_handlers();
    nic::Device& a = *ps->devices[0];
    nic::Device& b = *ps->devices.back();
    std::unique_ptr<app::AdaptiveRx> irq;
    if (f.on("interrupts") && queues > 1)
      throw nic::Error("--interrupts works with --queues 1 (queue 0's loop sleeps; worker threads only poll)");
    if (f.on("interrupts"))
      irq = std::make_unique<app::AdaptiveRx>(*ps, std::vector<std::pair<nic::Device*, uint16_t>>{{&a, 0}, {&b, 0}},
                                              app::AdaptiveRx::Options{.interval_us = itr});
    std::vector<nic::Packet> bufs(batch);
    app::StatsPrinter stats(*ps, f.str("stats-json"));
    const uint64_t t0 = ps->now_ns();
    ps->pump();  // threaded mode: the device thread starts here, before the workers
    // Queues 1..N-1: one worker thread each (queue 0 is the main thread's, with the stats and the pump).
    std::atomic<bool> stop{false};
    struct alignas(64) Counter {  // one cache line per worker: no sharing on the hot path
      std::atomic<uint64_t> n{0};
    };
    std::vector<Counter> worker_count(queues);
    std::vector<std::thread> workers;
    // However the main loop ends (an exception from a dead device included), the workers stop and are joined.
    struct JoinGuard {
      std::atomic<bool>& stop;
      std::vector<std::thread>& threads;
      ~JoinGuard() {
        stop = true;
        for (auto& t : threads)
          if (t.joinable()) t.join();
      }
    } join_guard{stop, workers};
    for (uint16_t q = 1; q < queues; ++q)
      workers.emplace_back([&, q] {
        std::vector<nic::Packet> wbufs(batch);
        uint64_t n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
          n += app::forward(a, b, wbufs, q);
          if (&a != &b) n += app::forward(b, a, wbufs, q);
          worker_count[q].n.store(n, std::memory_order_relaxed);
        }
      });
    auto total = [&](uint64_t mine) {
      for (const Counter& c : worker_count) mine += c.n.load(std::memory_order_relaxed);
      return mine;
    };
    uint64_t forwarded = 0;
    while (!app::stop_requested()) {
      const uint64_t before = forwarded;
      forwarded += app::forward(a, b, bufs);
      if (&a != &b) forwarded += app::forward(b, a, bufs);
      ps->pump();
      if (irq) irq->after_round(forwarded - before);
      if (stats.maybe_print() && irq) irq->print_second();
      if (seconds && ps->now_ns() - t0 >= seconds * 1'000'000'000ull) break;
      if (count && total(forwarded) >= count) break;
    }
    stop = true;
    for (auto& w : workers) w.join();
    forwarded = total(forwarded);  // joined: the guard has nothing left to do
    ps->stop_sim();
    stats.print_totals();
    std::printf("forwarded %llu packets\n", static_cast<unsigned long long>(forwarded));
    if (irq) irq->print_totals();
    return 0;
  });
}
