// sim_throughput: how fast the simulator runs with the driver in the loop. Two simulated 82599 ports, each
// fed at 10G line rate by a traffic generator; tools/fwd's loop forwards both directions on one core (the
// simulator steps 1 us of virtual time per round, as `fwd --sim-mode virtual` does). Prints, per model and
// frame size, forwarded packets per wall second and how that compares with the wire (29.76 Mpps for two
// ports of 64-byte frames). With --runs N each row runs N times: the table gives the median run and the
// spread (lowest and highest x_realtime), so one preempted run on a busy machine does not make the figure.
// The forwarded count is exact (the same every run): divide a callgrind total by it for instructions per
// frame. Run with -c opt; see tools/bench/RESULTS.md.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "driver/seam/log.h"
#include "tools/app.h"
#include "tools/forward.h"
#include "tools/sim_ports.h"

namespace {

struct Row {
  double wall_s, forwarded, line_pps;
};

Row run(sim::Fidelity model, uint32_t frame, uint64_t virtual_ns) {
  app::PortOptions opt;
  opt.wiring = app::SimWiring::kTrafficIn;
  opt.sim_mode = app::SimMode::kVirtual;
  opt.sim_model = model == sim::Fidelity::kTimed ? app::SimModel::kTimed : app::SimModel::kFunctional;
  opt.traffic.frame_size = frame;
  opt.device.link_timeout_ms = 1000;
  auto ps = app::open_ports({"sim", "sim"}, opt);
  nic::Device& a = *ps->devices[0];
  nic::Device& b = *ps->devices[1];
  std::vector<nic::Packet> bufs(32);
  const uint64_t t0 = ps->now_ns();
  uint64_t forwarded = 0;
  const auto w0 = std::chrono::steady_clock::now();
  while (ps->now_ns() - t0 < virtual_ns) {
    forwarded += app::forward(a, b, bufs);
    forwarded += app::forward(b, a, bufs);
    ps->pump();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double line = 2e12 / static_cast<double>(sim::wire_time_ps(static_cast<app::SimPorts&>(*ps->group).world().params(), frame));
  return {wall, static_cast<double>(forwarded), line};
}

}  // namespace

int main(int argc, char** argv) {
  double ms = 1000;
  int runs = 1;
  bool timed = true, functional = true;
  uint32_t only_frame = 0;
  const char* csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help")) {
      std::printf(
          "sim_throughput [--ms N] [--runs N] [--functional-only | --timed-only] [--frame BYTES]\n"
          "  Forwarded packets per wall second, two simulated ports at line rate, tools/fwd's loop on one core.\n"
          "  --ms N             virtual milliseconds per row (default 1000)\n"
          "  --runs N           run each row N times; print the median and the lowest..highest x_realtime\n"
          "  --functional-only  skip the timed model's rows (they take ~13 s per virtual second of 64 B)\n"
          "  --timed-only       skip the functional model's rows\n"
          "  --frame BYTES      one frame size (without FCS: 60, 508 or 1514) instead of all three\n"
          "  --csv FILE         also write the table as CSV (tools/plot/plot_bench.sh sim_throughput plots it)\n");
      return 0;
    } else if (!std::strcmp(argv[i], "--ms") && i + 1 < argc) {
      ms = std::strtod(argv[++i], nullptr);
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      char* end = nullptr;
      const long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < 1 || v > 100) {
        std::fprintf(stderr, "sim_throughput: --runs must be 1..100\n");
        return 2;
      }
      runs = static_cast<int>(v);
    } else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc) {
      csv_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--functional-only")) {
      timed = false;
    } else if (!std::strcmp(argv[i], "--timed-only")) {
      functional = false;
    } else if (!std::strcmp(argv[i], "--frame") && i + 1 < argc) {
      only_frame = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
      if (only_frame < 60 || only_frame > 1514) {
        std::fprintf(stderr, "sim_throughput: --frame must be 60..1514 (bytes without FCS)\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "sim_throughput: unknown argument '%s' (see --help)\n", argv[i]);
      return 2;
    }
  }
  if (!(ms > 0)) {
    std::fprintf(stderr, "sim_throughput: --ms must be > 0\n");
    return 2;
  }
  nic::set_log_level(nic::LogLevel::kWarn);
  std::printf("model       frame  virtual_ms   forwarded  runs  wall_s  fwd_Mpps  line_Mpps  x_realtime  (lowest..highest)\n");
  std::FILE* csv = csv_path ? std::fopen(csv_path, "we") : nullptr;
  if (csv_path && !csv) {
    std::fprintf(stderr, "sim_throughput: --csv %s: %s\n", csv_path, std::strerror(errno));
    return 1;
  }
  if (csv) std::fprintf(csv, "model,frame,wall_s,fwd_mpps,line_mpps,x_realtime\n");
  for (sim::Fidelity model : {sim::Fidelity::kFunctional, sim::Fidelity::kTimed}) {
    if ((model == sim::Fidelity::kTimed && !timed) || (model == sim::Fidelity::kFunctional && !functional)) continue;
    for (uint32_t frame : {60u, 508u, 1514u}) {
      if (only_frame && frame != only_frame) continue;
      std::vector<Row> rows;
      for (int k = 0; k < runs; ++k) rows.push_back(run(model, frame, static_cast<uint64_t>(ms * 1e6)));
      std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return x.wall_s < y.wall_s; });
      const Row& r = rows[rows.size() / 2];  // the median run (the upper one of an even count)
      const auto x_of = [](const Row& row) { return row.forwarded / row.wall_s / row.line_pps; };
      const double mpps = r.forwarded / r.wall_s / 1e6;
      std::printf("%-10s  %5u  %10.0f  %10.0f  %4d  %6.2f  %8.2f  %9.2f  %10.2f  (%.2f..%.2f)\n",
                  model == sim::Fidelity::kTimed ? "timed" : "functional", frame + 4, ms, r.forwarded, runs,
                  r.wall_s, mpps, r.line_pps / 1e6, mpps / (r.line_pps / 1e6), x_of(rows.back()), x_of(rows.front()));
      if (csv)
        std::fprintf(csv, "%s,%u,%.3f,%.3f,%.3f,%.3f\n", model == sim::Fidelity::kTimed ? "timed" : "functional",
                     frame + 4, r.wall_s, mpps, r.line_pps / 1e6, mpps / (r.line_pps / 1e6));
    }
  }
  if (csv) std::fclose(csv);
  return 0;
}
