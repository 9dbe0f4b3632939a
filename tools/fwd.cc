// fwd: forwards packets between two ports in both directions (ixy-fwd semantics), one queue each, and prints
// per-second Mpps and Mbit/s for every port. With one port, it sends every packet back where it came from.
//
// Default: two simulated 82599 ports, each fed at 10G line rate by a traffic generator on its wire.
//   fwd --ports 0000:03:00.0,0000:03:00.1     real hardware through VFIO
//   fwd --seconds 5                            run 5 (device) seconds, then print totals
#include <cstdio>
#include <vector>

#include "driver/log.h"
#include "tools/app.h"

namespace {

// Receives a batch on `rx` and sends it on `tx`; what tx does not take is dropped (and freed) right here.
uint64_t forward(nic::Device& rx, nic::Device& tx, std::vector<nic::Packet>& bufs) {
  const size_t n = rx.rx_batch(0, bufs);
  for (size_t i = 0; i < n; ++i) bufs[i].data()[1]++;  // touch the packet, as a real app would (ixy does this)
  const size_t sent = tx.tx_batch(0, std::span(bufs.data(), n));
  for (size_t i = sent; i < n; ++i) bufs[i].reset();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags f("fwd", "fwd [--ports P0,P1] [--batch N] [--seconds S] [--count N]");
  app::add_port_flags(f, "sim,sim");
  f.add("batch", "32", "packets per rx/tx batch (1..512)");
  f.add("seconds", "0", "stop after this many seconds of device time (0 = run until Ctrl-C)");
  f.add("count", "0", "stop after forwarding this many packets (0 = no limit)");
  f.add("frame-size", "60", "simulated ports: size of the generated frames, without FCS (60..1514)");
  if (!f.parse(argc, argv)) return f.exit_code();
  return app::run_main([&] {
    const uint64_t batch = f.u64("batch"), seconds = f.u64("seconds"), count = f.u64("count");
    const uint64_t frame = f.u64("frame-size");
    if (batch == 0 || batch > 512) throw nic::Error("--batch must be 1..512");
    if (frame < 60 || frame > 1514) throw nic::Error("--frame-size must be 60..1514");
    auto ports = app::split(f.str("ports"), ',');
    if (ports.size() != 1 && ports.size() != 2) throw nic::Error("fwd needs one or two ports (--ports)");
    app::PortOptions opt = app::port_options_from(f);
    opt.wiring = app::SimWiring::kTrafficIn;
    opt.traffic.frame_size = static_cast<uint32_t>(frame);
    auto ps = app::open_ports(ports, opt);
    ps->finish_setup();
    app::install_signal_handlers();
    nic::Device& a = *ps->devices[0];
    nic::Device& b = *ps->devices.back();
    std::vector<nic::Packet> bufs(batch);
    app::StatsPrinter stats(*ps);
    const uint64_t t0 = ps->now_ns();
    uint64_t forwarded = 0;
    while (!app::stop_requested()) {
      forwarded += forward(a, b, bufs);
      if (&a != &b) forwarded += forward(b, a, bufs);
      ps->pump();
      stats.maybe_print();
      if (seconds && ps->now_ns() - t0 >= seconds * 1'000'000'000ull) break;
      if (count && forwarded >= count) break;
    }
    stats.print_totals();
    std::printf("forwarded %llu packets\n", static_cast<unsigned long long>(forwarded));
    return 0;
  });
}
