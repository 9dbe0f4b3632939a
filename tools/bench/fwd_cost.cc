// fwd_cost: the driver's own cost per forwarded packet, device work excluded (sim/fakes/null_nic.h).
// Bidirectional forwarding between two ports as tools/fwd does it (app::forward, tools/forward.h); the null
// device's rx/tx engines run between the measured regions, so only the driver is timed.
//
// One measured region = kRegionPackets / (2 * batch) rounds (at least one) of two forward() calls each (a -> b,
// b -> a), so every region carries about 64 packets whatever the batch: the TSC of this machine kind ticks in
// steps of ~25 cycles, too coarse for a region of two packets. The null device's engines run between regions
// (it delivers a whole ring, so the rounds of one region always find frames). On a shared 2-core machine some
// regions are hit by an interrupt or a context switch, so the sum of all regions moves with the machine's load
// (the figure this program used to print). It prints, per batch size, over --runs runs:
//   median      the median region's cycles per packet (median over runs; min-max of the runs' medians)
//   trim mean   the mean of the regions at most 2x the median (the share cut is printed: preempted regions)
//   sum         all regions' cycles / all packets, preemption included (the old figure, for comparison)
// Cycles are TSC cycles minus the cost of an empty region (a back-to-back rdtsc pair, its median).
// The workload is deterministic: 60-byte frames, rings of 512, no random input; the packet counts are printed.
//
// `--callgrind` runs the same loop without timing, for instruction counts (tools/bench/fwd_instructions.sh).
#include <cerrno>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "driver/device/device.h"
#include "driver/seam/log.h"
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

template <class T>
T median_of(std::vector<T> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// Cycles of an empty measured region (back-to-back rdtsc), the median of many.
double rdtsc_overhead() {
  std::vector<uint32_t> d(1'000'000);
  for (auto& x : d) {
    const uint64_t c0 = __rdtsc();
    const uint64_t c1 = __rdtsc();
    x = static_cast<uint32_t>(c1 - c0);
  }
  return median_of(d);
}

struct Run {
  double median = 0, trimmed_mean = 0, trimmed_share = 0, sum = 0;
  uint64_t packets = 0, regions = 0;
};

// Forwards `target_packets` in rounds of two forward() calls. With `timed`, every round is one region.
constexpr size_t kRegionPackets = 64;

Run run(size_t batch, uint64_t target_packets, double overhead, bool timed) {
  const size_t rounds = batch * 2 >= kRegionPackets ? 1 : kRegionPackets / (2 * batch);
  Port a("null:0"), b("null:1");
  std::vector<nic::Packet> bufs(batch);
  std::vector<float> per_pkt;  // each region's cycles per packet
  if (timed) per_pkt.reserve(target_packets / (2 * batch * rounds) + 16);
  uint64_t pkts = 0, regions = 0;
  double total = 0;
  while (pkts < target_packets) {
    a.nic.deliver_rx();  // device work: not measured
    b.nic.deliver_rx();
    a.nic.complete_tx();
    b.nic.complete_tx();
    const uint64_t c0 = timed ? __rdtsc() : 0;
    size_t n = 0;
    for (size_t r = 0; r < rounds; ++r) {
      n += app::forward(*a.dev, *b.dev, bufs);
      n += app::forward(*b.dev, *a.dev, bufs);
    }
    const uint64_t c1 = timed ? __rdtsc() : 0;
    pkts += n;
    ++regions;
    if (timed && n != 0) {
      const double c = static_cast<double>(c1 - c0) - overhead;
      total += c;
      per_pkt.push_back(static_cast<float>(c / static_cast<double>(n)));
    }
  }
  a.dev->shutdown();
  b.dev->shutdown();
  Run r;
  r.packets = pkts;
  r.regions = regions;
  if (!timed || per_pkt.empty()) return r;
  r.median = median_of(per_pkt);
  double kept = 0;
  size_t n_kept = 0;
  for (float x : per_pkt)
    if (x <= 2 * r.median) kept += x, ++n_kept;
  r.trimmed_mean = kept / static_cast<double>(n_kept);
  r.trimmed_share = 1.0 - static_cast<double>(n_kept) / static_cast<double>(per_pkt.size());
  r.sum = total / static_cast<double>(pkts);
  return r;
}

std::vector<size_t> parse_batches(const char* s) {
  std::vector<size_t> out;
  for (const char* p = s; *p;) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(p, &end, 10);
    if (end == p || v < 1 || v > 256 || (*end != ',' && *end != '\0')) return {};
    out.push_back(v);
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

int usage(int code) {
  std::printf(
      "usage: fwd_cost [--packets N] [--batch B[,B...]] [--runs R] [--callgrind] [--csv FILE]\n"
      "  Driver cost per forwarded packet on a null device (device work excluded), per batch size.\n"
      "  --packets N   packets per run and batch size (default 10000000)\n"
      "  --batch LIST  batch sizes, 1..256 (default 1,8,32,64,256)\n"
      "  --runs R      runs per batch size; the table gives the median and the spread (default 5)\n"
      "  --callgrind   no timing: forward N packets per batch size, for\n"
      "                valgrind --tool=callgrind --toggle-collect='*forward*' (tools/bench/fwd_instructions.sh)\n"
      "  --csv FILE    also write the table as CSV (tools/plot/plot_bench.sh fwd_cost plots it)\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  nic::set_log_level(nic::LogLevel::kError);
  bool callgrind = false;
  uint64_t packets = 10'000'000;
  int runs = 5;
  std::vector<size_t> batches{1, 8, 32, 64, 256};
  const char* csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--callgrind")) {
      callgrind = true;
    } else if (!std::strcmp(argv[i], "--packets") && has_value) {
      packets = std::strtoull(argv[++i], nullptr, 10);
      if (packets == 0) return std::fprintf(stderr, "fwd_cost: --packets must be > 0\n"), 2;
    } else if (!std::strcmp(argv[i], "--runs") && has_value) {
      runs = std::atoi(argv[++i]);
      if (runs < 1 || runs > 100) return std::fprintf(stderr, "fwd_cost: --runs must be 1..100\n"), 2;
    } else if (!std::strcmp(argv[i], "--batch") && has_value) {
      batches = parse_batches(argv[++i]);
      if (batches.empty()) return std::fprintf(stderr, "fwd_cost: --batch wants sizes 1..256, comma-separated\n"), 2;
    } else if (!std::strcmp(argv[i], "--csv") && has_value) {
      csv_path = argv[++i];
    } else {
      return usage(std::strcmp(argv[i], "--help") == 0 ? 0 : 2);
    }
  }
  if (callgrind) {
    for (size_t batch : batches) {
      const Run r = run(batch, packets, 0, false);
      std::printf("batch %zu: forwarded %llu packets in %llu rounds\n", batch,
                  static_cast<unsigned long long>(r.packets), static_cast<unsigned long long>(r.regions));
    }
    return 0;
  }
  std::FILE* csv = csv_path ? std::fopen(csv_path, "we") : nullptr;
  if (csv_path && !csv) {
    std::fprintf(stderr, "fwd_cost: --csv %s: %s\n", csv_path, std::strerror(errno));
    return 1;
  }
  const double rate = tsc_per_ns(), overhead = rdtsc_overhead();
  std::printf("TSC %.2f GHz, empty region %.0f cycles (subtracted); %llu packets per run, %d runs per batch;\n"
              "60-byte frames, rings of 512, deterministic (no random input)\n",
              rate, overhead, static_cast<unsigned long long>(packets), runs);
  std::printf("%-6s %8s %15s %10s %8s %12s %10s %8s\n", "batch", "median", "(runs min-max)", "trim mean", "trimmed",
              "sum (+preempt)", "ns/packet", "Mpps");
  if (csv) std::fprintf(csv, "batch,cycles_per_packet,ns_per_packet,mpps,min,max,trimmed_mean,sum\n");
  for (size_t batch : batches) {
    run(batch, packets / 10, overhead, true);  // warm-up
    std::vector<Run> rs;
    for (int k = 0; k < runs; ++k) rs.push_back(run(batch, packets, overhead, true));
    std::vector<double> med, trim, sum, share;
    for (const Run& r : rs) med.push_back(r.median), trim.push_back(r.trimmed_mean), sum.push_back(r.sum),
        share.push_back(r.trimmed_share);
    const double m = median_of(med), lo = *std::min_element(med.begin(), med.end()),
                 hi = *std::max_element(med.begin(), med.end());
    const double ns = m / rate;
    char spread[32];
    std::snprintf(spread, sizeof spread, "(%.1f-%.1f)", lo, hi);
    std::printf("%-6zu %8.1f %15s %10.1f %7.2f%% %12.1f %10.2f %8.1f\n", batch, m, spread, median_of(trim),
                100 * median_of(share), median_of(sum), ns, 1000.0 / ns);
    if (csv)
      std::fprintf(csv, "%zu,%.2f,%.3f,%.2f,%.2f,%.2f,%.2f,%.2f\n", batch, m, ns, 1000.0 / ns, lo, hi, median_of(trim),
                   median_of(sum));
  }
  if (csv) std::fclose(csv);
  return 0;
}
