// pcap: writes every frame a port receives to a pcap file, in the spirit of ixy-pcap. On a simulated port a
// line-rate traffic generator feeds the wire; on a real card (--ports 0000:03:00.0) whatever arrives is
// written. Timestamps: virtual time on simulated ports, the wall clock (CLOCK_REALTIME) on hardware, both in
// nanoseconds. Per-second stats as fwd and pktgen print them.
//   pcap --out rx.pcap --count 10000
//   pcap --ports 0000:03:00.0 --out rx.pcap --seconds 10 --user nobody
#include <time.h>

#include <cstdio>
#include <vector>

#include "sim/pcap_tap.h"
#include "tools/app.h"

int main(int argc, char** argv) {
  app::Flags f("pcap", "pcap --out FILE [--ports P] [--count N] [--seconds S]");
  app::add_port_flags(f, "sim");
  app::add_stats_flags(f);
  f.add("out", "", "pcap file to write (required)");
  f.add("count", "0", "stop after writing this many frames (0 = no limit)");
  f.add("seconds", "0", "stop after this many seconds of device time (0 = run until Ctrl-C)");
  f.add("batch", "32", "frames per rx batch (1..512)");
  if (!f.parse(argc, argv)) return f.exit_code();
  return app::run_main([&] {
    const uint64_t count = f.u64("count"), seconds = f.u64("seconds"), batch = f.u64("batch", 1, 512);
    if (f.str("out").empty()) throw nic::Error("--out FILE is required (the pcap file to write)");
    auto ports = app::split(f.str("ports"), ',');
    if (ports.size() != 1) throw nic::Error("pcap captures exactly one port (--ports)");
    app::PortOptions opt = app::port_options_from(f);
    opt.wiring = app::SimWiring::kTrafficIn;
    sim::PcapWriter out(f.str("out"));  // before the device: a bad path fails first
    auto ps = app::open_ports(ports, opt);
    ps->finish_setup();
    app::install_signal_handlers();
    nic::Device& dev = *ps->devices[0];
    const bool simulated = ps->simulated();
    auto stamp = [&]() -> uint64_t {
      if (simulated) return ps->now_ns();
      timespec ts{};
      ::clock_gettime(CLOCK_REALTIME, &ts);
      return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
    };
    std::vector<nic::Packet> bufs(batch);
    app::StatsPrinter stats(*ps, f.str("stats-json"));
    const uint64_t t0 = ps->now_ns();
    uint64_t written = 0;
    while (!app::stop_requested()) {
      const size_t want = count ? std::min<uint64_t>(batch, count - written) : batch;
      const size_t n = dev.rx_batch(0, std::span(bufs.data(), want));
      const uint64_t t = stamp();
      for (size_t i = 0; i < n; ++i) {
        out.write(bufs[i].bytes(), t);
        bufs[i].reset();
      }
      written += n;
      if (simulated) ps->pump();
      stats.maybe_print();
      if (count && written >= count) break;
      if (seconds && ps->now_ns() - t0 >= seconds * 1'000'000'000ull) break;
    }
    out.flush();
    ps->stop_sim();
    stats.print_totals();
    std::printf("wrote %llu frames to %s\n", static_cast<unsigned long long>(written), f.str("out").c_str());
    return 0;
  });
}
