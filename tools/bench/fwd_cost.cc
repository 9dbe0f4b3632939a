// fwd_cost: the driver's own cost per forwarded packet, device work excluded (sim/fakes/null_nic.h). Bidirectional forwarding between two ports as tools/fwd does it; the device's rx/tx
// engines run between the measured regions. Prints a table per batch size:
//   TSC cycles/packet and ns/packet over the measured regions (rdtsc and steady_clock), Mpps = 1000/ns.
// `--callgrind` runs only batch 32 for a fixed packet count, for instruction counting (see README).
#include <cerrno>
#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "driver/device.h"
#include "driver/log.h"
#include "sim/fakes/null_nic.h"
#include "tools/forward.h"

namespace {

struct Port {
  sim::NullNic nic;
  std::unique_ptr<nic::Device> dev;
  explicit Port(const char* name) : nic(name) {
    nic::DeviceConfig cfg;
    cfg.link_timeout_ms = 0;
    dev = nic::open_device(nic, cfg);
  }
};

// The measured part is app::forward (tools/forward.h): exactly what tools/fwd does per direction.
struct Result {
  double cycles_per_pkt;
  uint64_t packets;
};

// TSC ticks per ns, measured over 100 ms.
double tsc_per_ns() {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = __rdtsc();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(100)) {
  }
  const uint64_t c1 = __rdtsc();
  const auto t1 = std::chrono::steady_clock::now();
  return static_cast<double>(c1 - c0) / std::chrono::duration<double, std::nano>(t1 - t0).count();
}

// Cost of an empty measured region (back-to-back rdtsc), averaged.
double rdtsc_overhead() {
  uint64_t total = 0;
  constexpr int kRuns = 1'000'000;
  for (int i = 0; i < kRuns; ++i) {
    const uint64_t c0 = __rdtsc();
    const uint64_t c1 = __rdtsc();
    total += c1 - c0;
  }
  return static_cast<double>(total) / kRuns;
}

Result run(size_t batch, uint64_t target_packets, double overhead) {
  Port a("null:0"), b("null:1");
  std::vector<nic::Packet> bufs(batch);
  uint64_t cycles = 0, pkts = 0, regions = 0;
  while (pkts < target_packets) {
    a.nic.deliver_rx();  // device work: not measured
    b.nic.deliver_rx();
    a.nic.complete_tx();
    b.nic.complete_tx();
    const uint64_t c0 = __rdtsc();
    pkts += app::forward(*a.dev, *b.dev, bufs);
    pkts += app::forward(*b.dev, *a.dev, bufs);
    const uint64_t c1 = __rdtsc();
    cycles += c1 - c0;
    ++regions;
  }
  a.dev->shutdown();
  b.dev->shutdown();
  return {(static_cast<double>(cycles) - overhead * regions) / pkts, pkts};
}

}  // namespace

int main(int argc, char** argv) {
  nic::set_log_level(nic::LogLevel::kError);
  bool callgrind = false;
  uint64_t packets = 20'000'000;
  const char* csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--callgrind")) {
      callgrind = true;
    } else if (!std::strcmp(argv[i], "--packets") && i + 1 < argc) {
      packets = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) {
      csv_path = argv[++i];
    } else {
      std::printf("usage: fwd_cost [--packets N] [--callgrind] [--csv FILE]\n"
                  "  Driver cost per forwarded packet on a null device (device work excluded).\n"
                  "  --callgrind: batch 32 only, for `valgrind --tool=callgrind` (see README).\n"
                  "  --csv FILE: also write the table as CSV (tools/plot/plot_bench.sh fwd_cost plots it).\n");
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  if (callgrind) {
    const Result r = run(32, packets, 0);
    std::printf("forwarded %llu packets at batch 32\n", static_cast<unsigned long long>(r.packets));
    return 0;
  }
  const double rate = tsc_per_ns(), overhead = rdtsc_overhead();
  std::printf("TSC %.2f GHz, rdtsc pair %.1f cycles (subtracted)\n", rate, overhead);
  std::printf("%-6s %14s %12s %10s\n", "batch", "cycles/packet", "ns/packet", "Mpps");
  std::FILE* csv = csv_path ? std::fopen(csv_path, "we") : nullptr;
  if (csv_path && !csv) {
    std::fprintf(stderr, "fwd_cost: --csv %s: %s\n", csv_path, std::strerror(errno));
    return 1;
  }
  if (csv) std::fprintf(csv, "batch,cycles_per_packet,ns_per_packet,mpps\n");
  for (size_t batch : {1, 8, 32, 64, 256}) {
    run(batch, packets / 10, overhead);  // warm-up
    const Result r = run(batch, packets, overhead);
    const double ns = r.cycles_per_pkt / rate;
    std::printf("%-6zu %14.1f %12.2f %10.1f\n", batch, r.cycles_per_pkt, ns, 1000.0 / ns);
    if (csv) std::fprintf(csv, "%zu,%.2f,%.3f,%.2f\n", batch, r.cycles_per_pkt, ns, 1000.0 / ns);
  }
  if (csv) std::fclose(csv);
  return 0;
}
