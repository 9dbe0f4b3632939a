// calibrate: runs the simulator against the published 82599 figures (docs/82599-facts.md)
// and prints a table with the model's figure, the published one and their ratio. Deterministic (virtual
// time), so the table is the same on every host. sim/CALIBRATION.md keeps its output:
//
//   ./bazelw run -c opt //tools/calibrate:calibrate
//
// Host-side costs (CPU time per packet and per batch) are not the device's; where a published figure is
// CPU-bound the table says so and uses an explicit host model, named in the row.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "driver/device/device.h"
#include "driver/seam/log.h"
#include "sim/pcie.h"
#include "sim/sim_backend.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace {

struct Row {
  std::string what, model, published, source;
  double m, p;
  std::string series;  // for --csv and the plots (tools/plot): which curve the row is a point of, and its x
  double x;
};
std::vector<Row> rows;

void add(std::string what, double model, double published, const char* unit, std::string source,
         std::string series = "", double x = 0) {
  char a[64], b[64];
  std::snprintf(a, sizeof a, "%.2f %s", model, unit);
  std::snprintf(b, sizeof b, "%.2f %s", published, unit);
  rows.push_back({std::move(what), a, b, std::move(source), model, published, std::move(series), x});
}

sim::IxgbeConfig port(uint8_t i) {
  sim::IxgbeConfig c;
  c.name = "sim:" + std::to_string(i);
  c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, i};
  return c;
}

nic::DeviceConfig dev_cfg(uint32_t rx_ring = 512, uint32_t tx_ring = 512) {
  nic::DeviceConfig c;
  c.link_timeout_ms = 1000;
  c.rx_ring_size = rx_ring;
  c.tx_ring_size = tx_ring;
  return c;
}

// Advances virtual time by a fractional number of ns, carrying the remainder.
struct Clock {
  sim::World& w;
  double carry = 0;
  void spend(double ns) {
    carry += ns;
    const uint64_t whole = static_cast<uint64_t>(carry);
    carry -= static_cast<double>(whole);
    if (whole) w.advance(whole);
  }
};

// --- 1. Line rate: the driver transmits (pktgen) or receives (a line-rate source) S-byte frames.
double tx_line_rate_mpps(uint32_t frame) {
  sim::World world;
  sim::SimNic nic(world, port(0));
  sim::Sink sink;
  sink.keep = false;
  nic.device().connect(&sink);
  nic::Mempool pool(nic, 2048);
  auto dev = nic::open_device(nic, dev_cfg());
  std::vector<nic::Packet> batch(32);
  Clock clock{world};
  const uint64_t t0 = world.now(), warm = 200'000, window = 2'000'000;
  uint64_t start_frames = 0;
  bool started = false;
  while (world.now() < t0 + warm + window) {
    for (auto& p : batch) {
      p = nic::Packet::alloc(pool, frame - 4);
      if (p) std::memset(p.data(), 0x02, 12);
    }
    dev->tx_batch(0, batch);
    for (auto& p : batch) p.reset();
    clock.spend(1000);
    if (!started && world.now() >= t0 + warm) {
      started = true;
      start_frames = sink.frames;
    }
  }
  return static_cast<double>(sink.frames - start_frames) / (window / 1e3);
}

double rx_line_rate_mpps(uint32_t frame) {
  sim::World world;
  sim::SimNic nic(world, port(0));
  sim::Sink sink;
  nic.device().connect(&sink);
  auto dev = nic::open_device(nic, dev_cfg());
  sim::TrafficSpec spec;
  spec.frame_size = frame - 4;
  std::memcpy(spec.dst_mac, nic.device().config().mac.data(), 6);
  sim::TrafficGen gen(world, &nic.device(), spec);
  gen.start(world.now());
  std::vector<nic::Packet> rx(32);
  const uint64_t t0 = world.now(), warm = 200'000, window = 2'000'000;
  uint64_t got = 0;
  while (world.now() < t0 + warm + window) {
    const size_t n = dev->rx_batch(0, rx);
    if (world.now() >= t0 + warm) got += n;
    for (size_t i = 0; i < n; ++i) rx[i].reset();
    world.advance(1000);
  }
  return static_cast<double>(got) / (window / 1e3);
}

// --- 2. Forwarding with a host model: per rx_batch+tx_batch pair `batch_ns`, per packet `pkt_ns` of CPU time.
struct HostModel {
  double pkt_ns = 0, batch_ns = 0, idle_ns = 10;  // idle_ns: one empty poll
};

struct FwdResult {
  double mpps = 0;            // forwarded, all directions
  double median_latency_us = 0;
  uint64_t dropped = 0;
};

// Port 0 (and port 1 if bidirectional) receive 64 B frames at line rate; the forwarder sends them out of the
// other port, where a sink records them.
FwdResult forward(uint32_t rx_ring, uint32_t batch, HostModel host, bool bidirectional, uint64_t window_ns,
                  uint64_t warm_ns = 0) {
  sim::World world;
  sim::SimNic a(world, port(0)), b(world, port(1));
  sim::Sink sink_a, sink_b;
  sink_a.keep = sink_b.keep = false;
  std::vector<double> lat;
  uint64_t gen_start = 0;
  const double interval_ns = sim::wire_time_ps(world.params(), 60) / 1000.0;
  uint64_t measure_from = UINT64_MAX;
  uint64_t out_frames = 0;
  auto on_out = [&](const sim::Bytes& f, uint64_t t) {
    if (t < measure_from) return;
    ++out_frames;
    uint32_t seq;
    std::memcpy(&seq, f.data() + 14, 4);
    lat.push_back((static_cast<double>(t) - (static_cast<double>(gen_start) + (seq + 1) * interval_ns)) / 1e3);
  };
  sink_b.on_frame = on_out;
  sink_a.on_frame = [&](const sim::Bytes&, uint64_t t) {
    if (t >= measure_from) ++out_frames;
  };
  a.device().connect(&sink_a);
  b.device().connect(&sink_b);
  auto pool_a = std::make_unique<nic::Mempool>(a, 2048);
  auto pool_b = std::make_unique<nic::Mempool>(b, 2048);
  auto da = nic::open_device(a, dev_cfg(rx_ring));
  auto db = nic::open_device(b, dev_cfg(rx_ring));
  std::vector<std::unique_ptr<sim::TrafficGen>> gens;
  for (sim::SimNic* n : {&a, &b}) {
    if (n == &b && !bidirectional) break;
    sim::TrafficSpec spec;
    std::memcpy(spec.dst_mac, n->device().config().mac.data(), 6);
    gens.push_back(std::make_unique<sim::TrafficGen>(world, &n->device(), spec));
  }
  gen_start = world.now();
  for (auto& g : gens) g->start(gen_start);
  std::vector<nic::Packet> bufs(batch);
  Clock clock{world};
  // Warm up long enough for the rx ring to fill under overload, then measure.
  const uint64_t warm = warm_ns ? warm_ns : 200'000 + static_cast<uint64_t>(rx_ring * 200.0);
  measure_from = gen_start + warm;
  // Each simulated port has its own IOMMU domain (and IOVA space), so a buffer received on one port cannot be
  // handed to the other port's tx ring as is: the forwarder copies into a buffer of the tx port's pool (its
  // cost is part of the host model's per-packet time).
  std::vector<nic::Packet> out(batch);
  auto fwd = [&](nic::Device& rx, nic::Device& tx) {
    const size_t n = rx.rx_batch(0, bufs);
    nic::Mempool& pool = &tx == db.get() ? *pool_b : *pool_a;
    size_t k = 0;
    for (; k < n; ++k) {
      out[k] = nic::Packet::alloc(pool, bufs[k].size());
      if (!out[k]) break;
      std::memcpy(out[k].data(), bufs[k].data(), bufs[k].size());
    }
    for (size_t i = 0; i < n; ++i) bufs[i].reset();
    const size_t sent = tx.tx_batch(0, std::span(out.data(), k));
    for (size_t i = sent; i < k; ++i) out[i].reset();
    clock.spend(n ? host.batch_ns + n * host.pkt_ns : host.idle_ns);
  };
  nic::DeviceStats sa, sb;
  while (world.now() < measure_from + window_ns) {
    fwd(*da, *db);
    if (bidirectional) fwd(*db, *da);
    if (world.now() < measure_from) {  // drop the warm-up's counts
      da->read_stats(sa);
      db->read_stats(sb);
      sa = sb = {};
    }
  }
  da->read_stats(sa);
  db->read_stats(sb);
  FwdResult r;
  r.mpps = static_cast<double>(out_frames) / (window_ns / 1e3);
  r.dropped = sa.rx_missed + sa.rx_no_desc + sb.rx_missed + sb.rx_no_desc;
  if (!lat.empty()) {
    std::nth_element(lat.begin(), lat.begin() + lat.size() / 2, lat.end());
    r.median_latency_us = lat[lat.size() / 2];
  }
  da->shutdown();
  db->shutdown();
  da.reset();
  db.reset();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  // calibrate [--csv FILE]: the markdown table on stdout; with --csv also series,x,model,published rows for
  // the plots (tools/plot/plot_calibration.sh).
  std::string csv;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--csv" && i + 1 < argc) {
      csv = argv[++i];
    } else {
      std::fprintf(stderr, "usage: calibrate [--csv FILE]\n  prints the simulator-vs-published table (markdown); "
                           "--csv also writes the plotted series\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  nic::set_log_level(nic::LogLevel::kWarn);
  const sim::Params params;

  // 1. Line rate.
  for (uint32_t s : {64u, 128u, 256u, 512u, 1024u, 1280u, 1518u}) {
    const double published = 10e9 / ((s + 20) * 8.0) / 1e6;
    add("tx line rate, " + std::to_string(s) + " B frames", tx_line_rate_mpps(s), published, "Mpps",
        "10e9 / ((S + 20) * 8) [facts]", "tx_line_rate", s);
    add("rx line rate, " + std::to_string(s) + " B frames", rx_line_rate_mpps(s), published, "Mpps",
        "10e9 / ((S + 20) * 8) [facts]", "rx_line_rate", s);
  }

  // 2. PCIe.
  {
    sim::Pcie pcie(params);
    uint64_t done = 0;
    for (int i = 0; i < 10000; ++i) done = pcie.write(0, 256);
    add("PCIe Gen2 x8 usable write bandwidth (256 B TLPs)", 10000.0 * 256 * 8 / ((done - pcie.latency_ps()) / 1e3),
        28.7, "Gbit/s", "~28.7 Gbit/s usable [facts]");
    sim::Pcie p2(params);
    add("PCIe read round trip, one 16 B descriptor", p2.read(0, 16) / 1e3, 1000, "ns",
        "2 x ~500 ns one-way [facts: simulator assumption]");
  }

  // 3. Latency under overload vs ring size. Host: ixy forwarding at 1.2 GHz, 11.25 Mpps at batch 32 [facts]
  //    -> 88.9 ns per packet, all of it per-packet work (host model, not the device's).
  {
    HostModel host{1e3 / 11.25, 0, 10};
    const double published[] = {10.7, 53, 427};
    const uint32_t rings[] = {64, 512, 4096};
    for (int i = 0; i < 3; ++i) {
      const FwdResult r = forward(rings[i], 32, host, false, 2'000'000);
      add("latency under overload, rx ring " + std::to_string(rings[i]) + " (median)", r.median_latency_us,
          published[i], "us", "ixy paper raw data [facts]; host 88.9 ns/pkt", "latency", rings[i]);
    }
  }

  // 4. Throughput vs batch size, bidirectional forwarding, 64 B at line rate on both ports.
  //    a) the device/PCIe limit: a host that costs nothing (only 10 ns per empty poll);
  //    b) with a host model fitted to the published batch 1 and batch 32 figures (3.3 GHz Xeon E3-1230 v2):
  //       per packet 33.7 ns, per rx+tx batch pair 86.3 ns; batch 8 is then a prediction.
  {
    const double published[] = {8.33, 25.98, 27.44};
    const uint32_t batches[] = {1, 8, 32};
    for (int i = 0; i < 3; ++i) {
      const FwdResult dev = forward(512, batches[i], HostModel{0, 0, 10}, true, 1'000'000);
      add("bidir fwd, batch " + std::to_string(batches[i]) + ": device/PCIe limit", dev.mpps, published[i], "Mpps",
          "ixy C, E3-1230 v2 3.3 GHz [facts] (CPU-bound)", "fwd_device_limit", batches[i]);
      const FwdResult host = forward(512, batches[i], HostModel{33.7, 86.3, 10}, true, 1'000'000);
      add("bidir fwd, batch " + std::to_string(batches[i]) + ": with host model" + (i == 1 ? " (prediction)" : " (fitted)"),
          host.mpps, published[i], "Mpps", "ixy C, E3-1230 v2 3.3 GHz [facts]", "fwd_host_model", batches[i]);
    }
  }

  // 5. The same device/PCIe limit in steady state: after 120 ms, when a deficit of the receive path has filled
  //    the 512 KB rx packet buffer (1 ms windows above end before it shows). Published: the wire's line rate.
  {
    const FwdResult steady = forward(512, 32, HostModel{0, 0, 10}, true, 20'000'000, 120'000'000);
    add("bidir fwd 64 B, batch 32: device/PCIe limit in steady state (after 120 ms)", steady.mpps, 29.76, "Mpps",
        "line rate, 2 ports: 10e9 / ((64 + 20) * 8) [facts]", "fwd_steady", 32);
    std::fprintf(stderr, "steady state: %.3f Mpps forwarded, %llu dropped in 20 ms (%.2f %% of offered)\n", steady.mpps,
                 static_cast<unsigned long long>(steady.dropped), 100.0 * static_cast<double>(steady.dropped) / (29.76e6 * 0.02));
  }

  std::printf("| figure | model | published | model/published | within ±15%% | source |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    const double ratio = r.m / r.p;
    std::printf("| %s | %s | %s | %.3f | %s | %s |\n", r.what.c_str(), r.model.c_str(), r.published.c_str(), ratio,
                std::fabs(ratio - 1) <= 0.15 ? "yes" : "**no**", r.source.c_str());
  }
  if (!csv.empty()) {
    FILE* out = std::fopen(csv.c_str(), "w");
    if (out == nullptr) {
      std::perror(csv.c_str());
      return 1;
    }
    std::fprintf(out, "series,x,model,published\n");
    std::vector<Row> by_series = rows;  // each series' points together, in x order: one unbroken line a curve
    std::stable_sort(by_series.begin(), by_series.end(), [](const Row& a, const Row& b) { return a.series < b.series; });
    for (const Row& r : by_series)
      if (!r.series.empty()) std::fprintf(out, "%s,%g,%.4f,%.4f\n", r.series.c_str(), r.x, r.m, r.p);
    std::fclose(out);
  }
  return 0;
}
