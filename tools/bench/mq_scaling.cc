// mq_scaling: forwarding throughput versus number of queues/threads on the null device (two ports, one
// queue pair per thread, bidirectional, batch 32). Each thread owns queue q on both ports: its rings, its
// mempool and the null device's engines for that queue; nothing mutable is shared between threads.
// Prints aggregate Mpps (driver and null-device work, wall clock) and driver-only TSC cycles/packet.
#include <x86intrin.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "driver/device/device.h"
#include "driver/seam/log.h"
#include "sim/fakes/null_nic.h"
#include "tools/forward.h"

namespace {

struct Result {
  double mpps, cycles_per_pkt;
};

Result run(uint16_t queues, double seconds) {
  sim::NullNic na("null:0"), nb("null:1");
  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 0;
  cfg.rx_queues = cfg.tx_queues = queues;
  auto a = nic::open_device(na, cfg), b = nic::open_device(nb, cfg);
  std::atomic<bool> go{false}, stop{false};
  struct alignas(64) Stat {
    uint64_t pkts = 0, cycles = 0;
  };
  std::vector<Stat> stats(queues);
  std::vector<std::thread> threads;
  for (uint16_t q = 0; q < queues; ++q)
    threads.emplace_back([&, q] {
      std::vector<nic::Packet> bufs(32);
      while (!go.load()) std::this_thread::yield();
      Stat s;
      while (!stop.load(std::memory_order_relaxed)) {
        na.deliver_rx(60, q);
        nb.deliver_rx(60, q);
        na.complete_tx(q);
        nb.complete_tx(q);
        const uint64_t c0 = __rdtsc();
        s.pkts += app::forward(*a, *b, bufs, q) + app::forward(*b, *a, bufs, q);
        s.cycles += __rdtsc() - c0;
      }
      stats[q] = s;
    });
  const auto t0 = std::chrono::steady_clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t pkts = 0, cycles = 0;
  for (const Stat& s : stats) pkts += s.pkts, cycles += s.cycles;
  a->shutdown();
  b->shutdown();
  return {static_cast<double>(pkts) / wall / 1e6, static_cast<double>(cycles) / static_cast<double>(pkts)};
}

}  // namespace

int main(int argc, char** argv) {
  nic::set_log_level(nic::LogLevel::kError);
  double seconds = 2;
  const char* csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) {
      csv_path = argv[++i];
    } else {
      std::printf("usage: mq_scaling [--seconds S] [--csv FILE]\n  Forwarding Mpps vs queues/threads on the null device.\n"
                  "  --csv FILE: also write the table as CSV (tools/plot/plot_bench.sh mq_scaling plots it).\n");
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("%-8s %12s %22s\n", "threads", "Mpps", "driver cycles/packet");
  std::FILE* csv = csv_path ? std::fopen(csv_path, "we") : nullptr;
  if (csv_path && !csv) {
    std::fprintf(stderr, "mq_scaling: --csv %s: %s\n", csv_path, std::strerror(errno));
    return 1;
  }
  if (csv) std::fprintf(csv, "threads,mpps,cycles_per_packet\n");
  for (uint16_t q = 1; q <= 4 && q <= cores; q *= 2) {
    const Result r = run(q, seconds);
    std::printf("%-8u %12.1f %22.1f\n", q, r.mpps, r.cycles_per_pkt);
    if (csv) std::fprintf(csv, "%u,%.2f,%.2f\n", q, r.mpps, r.cycles_per_pkt);
  }
  if (csv) std::fclose(csv);
  return 0;
}
