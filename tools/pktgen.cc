// pktgen: sends 60-byte UDP packets as fast as the port takes them (ixy-pktgen semantics) and prints
// per-second Mpps and Mbit/s. Packets carry a sequence number so a receiver can check order and loss.
//
// Default: one simulated 82599 port whose wire ends in a counting sink.
//   pktgen --ports 0000:03:00.0 --count 1000000
#include <cstdio>
#include <cstring>
#include <vector>

#include "tools/app.h"
#include "tools/packet_template.h"

int main(int argc, char** argv) {
  app::Flags f("pktgen", "pktgen [--ports P] [--batch N] [--seconds S] [--count N] [--size B]");
  app::add_port_flags(f, "sim");
  app::add_stats_flags(f);
  f.add("batch", "64", "packets per tx batch (1..512)");
  f.add("seconds", "0", "stop after this many seconds of device time (0 = run until Ctrl-C)");
  f.add("count", "0", "stop after sending this many packets (0 = no limit)");
  f.add("size", "60", "frame size without FCS (60..1514)");
  f.add("dst-mac", "02:53:49:4d:00:01", "destination MAC address");
  if (!f.parse(argc, argv)) return f.exit_code();
  return app::run_main([&] {
    const uint64_t batch = f.u64("batch", 1, 512), seconds = f.u64("seconds"), count = f.u64("count");
    const uint64_t size = f.u64("size", 60, 1514);
    const nic::MacAddr dst = app::parse_mac(f.str("dst-mac"));  // checked before any device is touched
    auto ports = app::split(f.str("ports"), ',');
    if (ports.size() != 1) throw nic::Error("pktgen sends on exactly one port (--ports)");
    app::PortOptions opt = app::port_options_from(f);
    opt.wiring = app::SimWiring::kSinkOnly;
    auto ps = app::open_ports(ports, opt);
    app::install_signal_handlers();
    nic::Device& dev = *ps->devices[0];

    // One pool, every buffer pre-filled with the template once (buffers come back unchanged after tx).
    nic::Mempool pool(*ps->backends[0], 4096);
    const auto tmpl = app::udp_packet(dst, dev.mac(), static_cast<uint32_t>(size));
    {
      std::vector<nic::Packet> all;
      while (auto p = nic::Packet::alloc(pool, static_cast<uint32_t>(size))) {
        std::memcpy(p.data(), tmpl.data(), tmpl.size());
        all.push_back(std::move(p));
      }
    }
    ps->finish_setup();
    std::vector<nic::Packet> bufs(batch);
    app::StatsPrinter stats(*ps, f.str("stats-json"));
    const uint64_t t0 = ps->now_ns();
    uint64_t seq = 0;
    while (!app::stop_requested()) {
      size_t k = 0;
      for (; k < batch && (!count || seq + k < count); ++k) {
        bufs[k] = nic::Packet::alloc(pool, static_cast<uint32_t>(size));
        if (!bufs[k]) break;
        const uint32_t s = static_cast<uint32_t>(seq + k);
        std::memcpy(bufs[k].data() + app::kSeqOffset, &s, 4);
      }
      const size_t sent = dev.tx_batch(0, std::span(bufs.data(), k));
      for (size_t i = sent; i < k; ++i) bufs[i].reset();  // ring full: these go back to the pool
      seq += sent;
      ps->pump();
      stats.maybe_print();
      if (seconds && ps->now_ns() - t0 >= seconds * 1'000'000'000ull) break;
      if (count && seq >= count) break;
    }
    // Let the last frames leave and reclaim their buffers (bounded: 100 ms of device time).
    const uint64_t deadline = ps->now_ns() + 100'000'000;
    while (pool.in_use() != 0 && ps->now_ns() < deadline) {
      if (ps->simulated()) ps->pump();
      else ps->backends[0]->delay_us(10);
      dev.tx_batch(0, {});
    }
    ps->settle();
    ps->stop_sim();  // the sink below is read without the device thread running
    stats.print_totals();
    std::printf("sent %llu packets\n", static_cast<unsigned long long>(seq));
    if (const auto frames = ps->group ? ps->group->sink_frames() : std::nullopt)
      std::printf("simulated wire: %llu frames arrived at the sink\n", static_cast<unsigned long long>(*frames));
    // Descriptors the device never completed (link down?) still hold buffers of `pool`: stop the device,
    // which returns them, before the pool goes out of scope.
    dev.shutdown();
    return 0;
  });
}
