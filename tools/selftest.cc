// selftest: brings a port up in MAC loopback (82599: HLREG0.LPBK, link forced up), sends N frames of several
// sizes, receives them back, and checks bytes, order, device counters, driver counters and buffer balance.
// Prints every check and PASS/FAIL per port; exit status 0 only if every port passed. The same binary runs
// on the simulator (default), on a real 82599ES (--ports 0000:03:00.0), and on QEMU's igb in CI.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/app.h"
#include "tools/packet_template.h"

namespace {

constexpr uint32_t kSizes[] = {60, 64, 128, 256, 512, 1024, 1514};

struct Checker {
  bool ok = true;
  void check(bool cond, const std::string& what) {
    std::printf("  [%s] %s\n", cond ? " ok " : "FAIL", what.c_str());
    ok = ok && cond;
  }
};

bool test_port(app::PortSet& ps, size_t i, nic::Mempool& pool, uint64_t count, uint32_t rx_ring_size) {
  nic::Device& dev = *ps.devices[i];
  Checker c;
  std::printf("%s (%s):\n", ps.names[i].c_str(), dev.driver_name().c_str());
  const nic::LinkStatus link = dev.link();
  c.check(link.up, "link up in MAC loopback (" + std::to_string(link.speed_mbps) + " Mbit/s)");
  const nic::MacAddr mac = dev.mac();
  nic::DeviceStats before;
  dev.read_stats(before);  // clear counters

  std::vector<nic::Packet> tx(32), rx(64);
  // A frame is received, or lost (a gap in the sequence numbers: the device dropped it), or reordered (a
  // number below one already seen). At most one rx ring's worth is in flight (the ring keeps one slot
  // empty), so a healthy port has room for every frame at any legal ring size and loses none.
  uint64_t sent = 0, received = 0, lost = 0, next_seq = 0, mismatched = 0, out_of_order = 0, expected_bytes = 0;
  const uint64_t window = rx_ring_size - 1;
  const uint64_t t0 = ps.now_ns();
  while (received + lost < count && ps.now_ns() - t0 < 2'000'000'000ull && !app::stop_requested()) {
    const uint64_t in_flight = sent - received - lost;
    const uint64_t room = in_flight < window ? window - in_flight : 0;
    size_t k = 0;
    for (; k < tx.size() && k < room && sent + k < count; ++k) {
      const uint32_t len = kSizes[(sent + k) % std::size(kSizes)];
      tx[k] = nic::Packet::alloc(pool, len);
      if (!tx[k]) break;
      const auto frame = app::udp_packet(mac, mac, len);
      std::memcpy(tx[k].data(), frame.data(), len);
      const uint32_t seq = static_cast<uint32_t>(sent + k);
      std::memcpy(tx[k].data() + app::kSeqOffset, &seq, 4);
    }
    const size_t took = dev.tx_batch(0, std::span(tx.data(), k));
    for (size_t j = 0; j < took; ++j) expected_bytes += kSizes[(sent + j) % std::size(kSizes)] + 4;
    sent += took;
    for (size_t j = took; j < k; ++j) tx[j].reset();
    if (ps.simulated()) ps.pump();
    else ps.backends[i]->delay_us(10);
    const size_t n = dev.rx_batch(0, rx);
    for (size_t j = 0; j < n; ++j) {
      uint32_t seq;
      std::memcpy(&seq, rx[j].data() + app::kSeqOffset, 4);
      if (seq >= next_seq) {
        lost += seq - next_seq;
        next_seq = seq + 1;
      } else {
        ++out_of_order;
      }
      const uint32_t len = kSizes[seq % std::size(kSizes)];
      auto want = app::udp_packet(mac, mac, len);
      std::memcpy(want.data() + app::kSeqOffset, &seq, 4);
      if (rx[j].size() != len || std::memcmp(rx[j].data(), want.data(), len) != 0) ++mismatched;
      rx[j].reset();
    }
    received += n;
  }
  c.check(sent == count, "sent " + std::to_string(sent) + " of " + std::to_string(count) + " frames");
  c.check(received == count, "received " + std::to_string(received) + " frames back");
  c.check(lost == 0, std::to_string(lost) + " frames lost (gaps in the sequence numbers)");
  c.check(mismatched == 0, std::to_string(mismatched) + " frames differ from what was sent");
  c.check(out_of_order == 0, std::to_string(out_of_order) + " frames out of order");

  // Let the last descriptors complete, then every tx buffer must be home.
  for (int spin = 0; spin < 1000 && pool.in_use() != 0; ++spin) {
    if (ps.simulated()) ps.pump();
    else ps.backends[i]->delay_us(10);
    dev.tx_batch(0, {});
  }
  nic::DeviceStats s;
  dev.read_stats(s);
  c.check(s.tx_packets == sent, "device counted " + std::to_string(s.tx_packets) + " tx packets (GPTC)");
  c.check(s.rx_packets == received, "device counted " + std::to_string(s.rx_packets) + " rx packets (GPRC)");
  c.check(s.tx_bytes == expected_bytes && s.rx_bytes == expected_bytes,
          "device octet counters " + std::to_string(s.tx_bytes) + " tx / " + std::to_string(s.rx_bytes) + " rx, expected " +
              std::to_string(expected_bytes));
  c.check(s.rx_missed == 0 && s.rx_no_desc == 0, "no frames dropped by the device");
  c.check(dev.rx_ring_stats(0).bad_desc == 0, "no malformed rx descriptors");
  c.check(pool.in_use() == 0, "every tx buffer returned to its pool (" + std::to_string(pool.in_use()) + " out)");
  // Every rx buffer not on the ring is back in the pool: the pool lends out exactly one ring's worth.
  const uint32_t rx_out = dev.rx_pool(0).in_use();
  c.check(rx_out == rx_ring_size, "rx buffers out of the pool: " + std::to_string(rx_out) + " (the ring holds " +
                                      std::to_string(rx_ring_size) + ")");
  dev.shutdown();
  std::printf("%s: %s\n", ps.names[i].c_str(), c.ok ? "PASS" : "FAIL");
  return c.ok;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags f("selftest", "selftest [--ports P[,P...]] [--count N]");
  app::add_port_flags(f, "sim");
  f.add("count", "10000", "frames to loop back per port");
  if (!f.parse(argc, argv)) return f.exit_code();
  return app::run_main([&] {
    const uint64_t count = f.u64("count");
    if (count == 0) throw nic::Error("--count must be at least 1");
    app::PortOptions opt = app::port_options_from(f);
    opt.device.loopback = true;
    opt.wiring = app::SimWiring::kSinkOnly;
    opt.sim_mode = app::SimMode::kVirtual;  // deterministic on the simulator
    auto ps = app::open_ports(app::split(f.str("ports"), ','), opt);
    app::install_signal_handlers();
    std::vector<std::unique_ptr<nic::Mempool>> pools;  // allocated before privileges are dropped
    // Destroyed first (declared last): on any exit the devices stop and their rings hand every buffer back
    // to these pools before the pools go.
    struct ShutdownGuard {
      app::PortSet& ps;
      ~ShutdownGuard() {
        ps.stop_sim();
        for (auto& d : ps.devices) d->shutdown();
      }
    } guard{*ps};
    for (auto& b : ps->backends) pools.push_back(std::make_unique<nic::Mempool>(*b, 1024));
    ps->finish_setup();
    bool all = true;
    for (size_t i = 0; i < ps->devices.size(); ++i) all = test_port(*ps, i, *pools[i], count, opt.device.rx_ring_size) && all;
    std::printf("selftest: %s\n", all ? "PASS" : "FAIL");
    return all ? 0 : 1;
  });
}
