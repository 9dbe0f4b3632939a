// nicsim_server: simulated 82599 ports as vfio-user PCI devices (sim/vfio_user), for QEMU's vfio-user-pci and
// any other vfio-user client: a guest's own driver (Linux ixgbe, DPDK) then drives the simulator.
//
//   nicsim_server --socket /tmp/p0.sock --socket /tmp/p1.sock        two ports, cabled to each other
//   nicsim_server --ports 2 --socket-dir /tmp/nicsim                  the same: /tmp/nicsim/port{0,1}.sock
//   qemu-system-x86_64 ... -object memory-backend-memfd,id=mem,size=1G,share=on -machine q35,memory-backend=mem
//     -device '{"driver":"vfio-user-pci","socket":{"path":"/tmp/p0.sock","type":"unix"}}'
//
// One client per socket (a second one is refused). One thread: a poll loop serves every socket and runs the
// simulated world in real time (sim/runner.h) between messages; the model is not thread-safe and needs no
// lock here. Prints a stats line per second while a client is connected, and on exit (SIGINT/SIGTERM, or once
// the last client disconnected unless --persist) each port's session counters, the model's diagnostics and
// the BAR0 registers the driver touched that the model does not have.
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "driver/seam/error.h"
#include "sim/pcap_tap.h"
#include "sim/runner.h"
#include "sim/traffic.h"
#include "sim/vfio_user/ixgbe_function.h"
#include "sim/vfio_user/session.h"
#include "sim/vfio_user/transport.h"
#include "sim/world.h"
#include "tools/app.h"
#include "tools/sim_ports.h"
#include "tools/packet_template.h"

namespace {

// SIGUSR1s received (--gen-on sigusr1): the loop starts one generator burst for each.
std::atomic<uint64_t> g_bursts_requested{0};

using Clock = std::chrono::steady_clock;

// One direction of a simulated cable, at the transmitting port: counts the frames that leave it (and
// captures them with --pcap), then hands them on unchanged.
class WireTap final : public sim::Endpoint {
 public:
  WireTap(sim::Endpoint* next, sim::PcapWriter* pcap) : next_(next), pcap_(pcap) {}
  void receive(sim::Bytes&& frame, uint64_t t) override {
    seen(frame, t);
    next_->receive(std::move(frame), t);
  }
  void receive_view(std::span<const uint8_t> frame, uint64_t t) override {
    seen(frame, t);
    next_->receive_view(frame, t);
  }
  uint64_t frames = 0, bytes = 0;

 private:
  void seen(std::span<const uint8_t> frame, uint64_t t) {
    ++frames;
    bytes += frame.size();
    if (pcap_) pcap_->write(frame, t);
  }
  sim::Endpoint* next_;
  sim::PcapWriter* pcap_;
};

// --wire netdev: a port's cable is a unix stream socket (its vfio-user socket's path + ".net") that QEMU joins
// as a network backend, `-netdev stream,id=N,server=off,addr.type=unix,addr.path=PATH`, so an emulated NIC
// (igb, e1000e) shares a link with the simulated 82599. Each frame travels as QEMU's stream netdev frames it:
// its length (4 bytes, big-endian), then its bytes. One peer at a time; frames sent with no peer are counted
// and lost, as on a cable with nothing at its end.
class NetdevWire final : public sim::Endpoint {
 public:
  NetdevWire(sim::World& world, sim::Endpoint* port) : world_(world), port_(port) {}
  ~NetdevWire() override { close_peer(); }
  void receive(sim::Bytes&& frame, uint64_t) override {
    send(frame);
    sim::frames::give(std::move(frame));
  }
  void receive_view(std::span<const uint8_t> frame, uint64_t) override { send(frame); }
  // The peer's frames, once poll() says the socket is readable; false when the peer has gone.
  bool service() {
    uint8_t chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return close_peer(), false;
    if (n < 0) return true;
    in_.insert(in_.end(), chunk, chunk + n);
    size_t at = 0;
    while (in_.size() - at >= 4) {
      const uint32_t len = static_cast<uint32_t>(in_[at]) << 24 | in_[at + 1] << 16 | in_[at + 2] << 8 | in_[at + 3];
      if (len > 65535) {  // not QEMU's framing: stop listening to this peer
        std::printf("nicsim_server: netdev peer sent a %u-byte frame length; dropping the connection\n", len);
        return close_peer(), false;
      }
      if (in_.size() - at - 4 < len) break;
      world_.inject(port_, sim::Bytes(in_.begin() + static_cast<ptrdiff_t>(at + 4),
                                      in_.begin() + static_cast<ptrdiff_t>(at + 4 + len)), world_.now());
      ++frames_in;
      at += 4 + len;
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<ptrdiff_t>(at));
    return true;
  }
  // Never blocks: QEMU may be waiting for this server's reply to a register read while its socket is full, so
  // what it has not read yet waits here (poll for POLLOUT while wants_write()); past kMaxQueued bytes frames are
  // lost and counted, as a backed-up link would lose them.
  bool wants_write() const { return fd >= 0 && !out_.empty(); }
  void flush() {
    while (fd >= 0 && !out_.empty()) {
      const ssize_t n = ::send(fd, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) return close_peer();
      out_.erase(out_.begin(), out_.begin() + n);
    }
  }
  void close_peer() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    in_.clear();
    out_.clear();
  }
  std::string path;
  int listen_fd = -1, fd = -1;
  uint64_t peers = 0, frames_in = 0, frames_out = 0, lost_no_peer = 0, lost_backlog = 0;

 private:
  static constexpr size_t kMaxQueued = 8u << 20;
  void send(std::span<const uint8_t> frame) {
    if (fd < 0) {
      ++lost_no_peer;
      return;
    }
    if (out_.size() + 4 + frame.size() > kMaxQueued) {
      ++lost_backlog;
      return;
    }
    const uint32_t len = static_cast<uint32_t>(frame.size());
    const uint8_t hdr[4] = {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16), static_cast<uint8_t>(len >> 8),
                            static_cast<uint8_t>(len)};
    out_.insert(out_.end(), hdr, hdr + 4);
    out_.insert(out_.end(), frame.begin(), frame.end());
    ++frames_out;
    flush();
  }
  sim::World& world_;
  sim::Endpoint* port_;
  std::vector<uint8_t> in_, out_;
};

struct Port {
  std::string path;
  std::unique_ptr<NetdevWire> netdev;  // --wire netdev
  std::unique_ptr<sim::TrafficGen> gen;  // --wire gen
  std::unique_ptr<WireTap> tx_wire;  // what this port puts on its cable (none with --wire none)
  std::unique_ptr<WireTap> rx_wire;  // --wire netdev: what the peer sends this port
  int listen_fd = -1;
  std::unique_ptr<vfio_user::IxgbeFunction> fn;
  std::unique_ptr<vfio_user::Session> session;
  std::unique_ptr<vfio_user::Connection> conn;
  uint64_t clients = 0;
  double service_s = 0;       // wall time spent handling this port's messages
  uint64_t serviced = 0;      // messages handled
  vfio_user::Session::Stats last{}, total{};  // at the last stats line; of every session so far
};

std::string port_stats(const Port& p, const vfio_user::Session::Stats& s, const vfio_user::Session::Stats& prev) {
  char line[256];
  std::snprintf(line, sizeof line, "%s: %llu msg (BAR reads %llu, writes %llu, config %llu) irq %llu, %zu DMA maps",
                p.fn->name().c_str(), static_cast<unsigned long long>(s.messages - prev.messages),
                static_cast<unsigned long long>(s.bar_reads - prev.bar_reads),
                static_cast<unsigned long long>(s.bar_writes - prev.bar_writes),
                static_cast<unsigned long long>(s.config_reads + s.config_writes - prev.config_reads - prev.config_writes),
                static_cast<unsigned long long>(s.interrupts - prev.interrupts), p.session ? p.session->dma().mappings() : size_t{0});
  return line;
}

void add_stats(vfio_user::Session::Stats& t, const vfio_user::Session::Stats& s) {
  t.messages += s.messages, t.errors += s.errors, t.no_reply += s.no_reply, t.fds_received += s.fds_received;
  t.fds_kept += s.fds_kept, t.region_reads += s.region_reads, t.region_writes += s.region_writes;
  t.bar_reads += s.bar_reads, t.bar_writes += s.bar_writes, t.config_reads += s.config_reads;
  t.config_writes += s.config_writes, t.write_multi += s.write_multi, t.dma_maps += s.dma_maps;
  t.dma_unmaps += s.dma_unmaps, t.irq_sets += s.irq_sets, t.interrupts += s.interrupts, t.resets += s.resets;
}

// Returns whether the client had negotiated (a vfio-user client, not a mere connect, e.g. another server's
// check whether this socket is in use).
bool end_session(Port& p, const std::string& why) {
  const bool real = p.session->negotiated();
  std::printf("nicsim_server: %s: client gone (%s); %llu messages, %llu errors%s%s\n", p.fn->name().c_str(), why.c_str(),
              static_cast<unsigned long long>(p.session->stats().messages),
              static_cast<unsigned long long>(p.session->stats().errors),
              p.session->last_error().empty() ? "" : "; last error: ", p.session->last_error().c_str());
  add_stats(p.total, p.session->stats());
  p.conn.reset();
  p.session.reset();  // unmaps the client's memory, closes its eventfds; the device keeps its state
  p.last = {};
  return real;
}

// --sfp's value, as app::sim_model_from() reads --sim-model's.
sim::SfpModule::Kind sfp_from(const std::string& name) {
  if (name == "da") return sim::SfpModule::Kind::kDirectAttach;
  if (name == "sr") return sim::SfpModule::Kind::kSr;
  if (name == "none") return sim::SfpModule::Kind::kEmpty;
  throw nic::Error("--sfp: '" + name + "' is not one of da, sr, none");
}

void report(Port& p) {
  const auto& s = p.total;
  std::printf("=== %s (%s): %llu client(s)\n", p.fn->name().c_str(), p.path.c_str(), static_cast<unsigned long long>(p.clients));
  std::printf("  messages %llu (errors %llu, no-reply %llu): BAR reads %llu, BAR writes %llu, config reads %llu, "
              "config writes %llu, write-multi %llu, DMA maps %llu, unmaps %llu, SET_IRQS %llu, interrupts %llu, "
              "resets %llu, fds %llu (kept %llu)\n",
              static_cast<unsigned long long>(s.messages), static_cast<unsigned long long>(s.errors),
              static_cast<unsigned long long>(s.no_reply), static_cast<unsigned long long>(s.bar_reads),
              static_cast<unsigned long long>(s.bar_writes), static_cast<unsigned long long>(s.config_reads),
              static_cast<unsigned long long>(s.config_writes), static_cast<unsigned long long>(s.write_multi),
              static_cast<unsigned long long>(s.dma_maps), static_cast<unsigned long long>(s.dma_unmaps),
              static_cast<unsigned long long>(s.irq_sets), static_cast<unsigned long long>(s.interrupts),
              static_cast<unsigned long long>(s.resets), static_cast<unsigned long long>(s.fds_received),
              static_cast<unsigned long long>(s.fds_kept));
  const sim::SfpModule& m = p.fn->model().sfp();
  std::printf("  SFP+ cage: %s; I2C: %llu START, %llu bytes read, %llu addresses not acknowledged\n", m.describe().c_str(),
              static_cast<unsigned long long>(m.stats().starts), static_cast<unsigned long long>(m.stats().bytes_read),
              static_cast<unsigned long long>(m.stats().nacked_addresses));
  if (p.serviced)
    std::printf("  server time per message: %.2f us (mean over %llu)\n", p.service_s * 1e6 / static_cast<double>(p.serviced),
                static_cast<unsigned long long>(p.serviced));
  std::printf("  function resets (FLR or DEVICE_RESET): %llu; sub-dword BAR0 writes: %llu\n",
              static_cast<unsigned long long>(p.fn->flrs()), static_cast<unsigned long long>(p.fn->subword_writes()));
  const auto& c = p.fn->model().counters();
  std::printf("  frames: model GPTC %llu, GPRC %llu (lifetime totals), tx checksum offloads %llu; onto the wire %s\n",
              static_cast<unsigned long long>(c.tx_good), static_cast<unsigned long long>(c.rx_good),
              static_cast<unsigned long long>(c.tx_checksum_offloads),
              p.tx_wire ? (std::to_string(p.tx_wire->frames) + " (" + std::to_string(p.tx_wire->bytes) + " bytes)").c_str()
                        : "- (no wire)");
  if (p.gen)  // every frame offered: taken (GPRC) or dropped before that, by cause; then what became of GPRC's
    std::printf("  generator: %llu frames offered; the model dropped %llu with receive disabled, %llu with the link "
                "down, %llu filtered, %llu with the packet buffer full (MPC); of those taken, %llu dropped for want of "
                "a descriptor (QPRDC), %llu on a disabled queue, %llu lost to a reset, %llu to DMA faults\n",
                static_cast<unsigned long long>(p.gen->sent()), static_cast<unsigned long long>(c.rx_disabled),
                static_cast<unsigned long long>(c.rx_link_down), static_cast<unsigned long long>(c.rx_filtered),
                static_cast<unsigned long long>(c.rx_missed), static_cast<unsigned long long>(c.rx_no_desc),
                static_cast<unsigned long long>(c.rx_queue_disabled), static_cast<unsigned long long>(c.rx_lost_reset),
                static_cast<unsigned long long>(c.rx_dma_drops));
  if (p.netdev)
    std::printf("  netdev %s: %llu peer(s), %llu frames in, %llu out, lost %llu with no peer, %llu to a backlog\n",
                p.netdev->path.c_str(), static_cast<unsigned long long>(p.netdev->peers),
                static_cast<unsigned long long>(p.netdev->frames_in), static_cast<unsigned long long>(p.netdev->frames_out),
                static_cast<unsigned long long>(p.netdev->lost_no_peer), static_cast<unsigned long long>(p.netdev->lost_backlog));
  const sim::Diagnostics& d = p.fn->model().diag();
  std::printf("  model diagnostics: %llu\n", static_cast<unsigned long long>(d.total()));
  for (const auto& [rule, n] : d.counts()) std::printf("    %-32s %llu\n", rule.c_str(), static_cast<unsigned long long>(n));
  for (const auto& [rule, v] : d.first())
    std::printf("    first [%s]%s %s @%llu ns\n", rule.c_str(), v.section.empty() ? "" : (" (§" + v.section + ")").c_str(),
                v.detail.c_str(), static_cast<unsigned long long>(v.t_ns));
  if (!p.fn->unknown().empty())
    std::printf("  BAR0 registers the driver touched that the model does not have (%zu):\n%s", p.fn->unknown().size(),
                p.fn->unknown_report().c_str());
}

int serve(const app::Flags& f, const std::vector<std::string>& sockets) {
  std::vector<std::string> paths = sockets;
  const uint32_t nports = f.u32("ports", 0, 64);
  if (nports) {
    if (!paths.empty()) throw nic::Error("--ports N --socket-dir D and --socket PATH exclude each other");
    const std::string dir = f.str("socket-dir");
    if (dir.empty()) throw nic::Error("--ports N needs --socket-dir D (sockets D/port0.sock ... D/port<N-1>.sock)");
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw nic::Error("--socket-dir " + dir + ": no such directory");
    for (uint32_t i = 0; i < nports; ++i) paths.push_back(dir + "/port" + std::to_string(i) + ".sock");
  }
  if (paths.empty()) throw nic::Error("no sockets: give --socket PATH (repeatable) or --ports N --socket-dir D (try --help)");
  std::string wire = f.str("wire");
  if (wire == "auto") wire = paths.size() % 2 ? "sink" : "pair";
  if (wire != "pair" && wire != "sink" && wire != "gen" && wire != "netdev" && wire != "none")
    throw nic::Error("--wire: '" + wire + "' is not one of auto, pair, sink, gen, netdev, none");
  const uint64_t gen_pps = f.u64("gen-pps", 1, 14'880'952);
  const uint32_t gen_size = f.u32("gen-size", 60, 1514);
  const uint64_t gen_count = f.u64("gen-count");
  const std::string gen_on = f.str("gen-on");
  if (gen_on != "start" && gen_on != "sigusr1") throw nic::Error("--gen-on: '" + gen_on + "' is not one of start, sigusr1");
  if (gen_on == "sigusr1" && gen_count == 0) throw nic::Error("--gen-on sigusr1 sends --gen-count frames per signal: give --gen-count N");
  if ((gen_count || gen_on != "start") && wire != "gen") throw nic::Error("--gen-count and --gen-on need --wire gen");
  if (wire == "pair" && paths.size() % 2) throw nic::Error("--wire pair cables ports two by two: give an even number of ports");
  const sim::Fidelity fidelity = app::sim_model_from(f.str("sim-model"));
  const uint64_t max_seconds = f.u64("max-seconds");
  const bool persist = f.on("persist"), quiet = f.on("quiet");
  const sim::SfpModule::Kind sfp = sfp_from(f.str("sfp"));
  nic::MacAddr mac_base;
  try {
    mac_base = app::parse_mac(f.str("mac-base"));
  } catch (const nic::Error& e) {
    throw nic::Error(std::string("--mac-base: ") + e.what());
  }
  if (static_cast<size_t>(mac_base[5]) + paths.size() > 256)
    throw nic::Error("--mac-base " + f.str("mac-base") + ": the last byte leaves no room for " + std::to_string(paths.size()) + " ports");

  sim::World world({}, fidelity);
  std::vector<Port> ports(paths.size());
  sim::Sink sink;
  sink.keep = false;
  vfio_user::IxgbeFunction::Options fo;
  if (f.on("log-unknown")) fo.log_unknown = stdout;
  for (size_t i = 0; i < ports.size(); ++i) {
    Port& p = ports[i];
    p.path = paths[i];
    sim::IxgbeConfig c;
    c.name = "port" + std::to_string(i);
    std::copy(mac_base.begin(), mac_base.end(), c.mac.begin());
    c.mac[5] = static_cast<uint8_t>(mac_base[5] + i);
    c.strict = f.on("strict");
    c.sfp = sfp;
    p.fn = std::make_unique<vfio_user::IxgbeFunction>(world, c, fo);
  }
  std::unique_ptr<sim::PcapWriter> pcap;
  if (!f.str("pcap").empty()) {
    if (wire == "none") throw nic::Error("--pcap captures the wires: it needs --wire pair, sink, gen or netdev");
    pcap = std::make_unique<sim::PcapWriter>(f.str("pcap"));
  }
  if (wire == "pair")
    for (size_t i = 0; i + 1 < ports.size(); i += 2) {
      Port &a = ports[i], &b = ports[i + 1];
      a.tx_wire = std::make_unique<WireTap>(&b.fn->model(), pcap.get());
      b.tx_wire = std::make_unique<WireTap>(&a.fn->model(), pcap.get());
      sim::Ixgbe82599::cable(a.fn->model(), b.fn->model(), a.tx_wire.get(), b.tx_wire.get());
    }
  if (wire == "sink")
    for (Port& p : ports) {
      p.tx_wire = std::make_unique<WireTap>(&sink, pcap.get());
      p.fn->model().connect(p.tx_wire.get());
    }
  if (wire == "gen")  // a traffic generator into each port (to its MAC), its transmit into a sink
    for (Port& p : ports) {
      p.tx_wire = std::make_unique<WireTap>(&sink, pcap.get());
      p.fn->model().connect(p.tx_wire.get());
      sim::TrafficSpec spec;
      spec.rate_pps = static_cast<double>(gen_pps);
      spec.frame_size = gen_size;
      // --gen-on start: --gen-count frames (0: no end) from now; sigusr1: none until the first signal.
      spec.count = gen_on == "sigusr1" ? 0 : gen_count ? gen_count : UINT64_MAX;
      std::copy(p.fn->model().config().mac.begin(), p.fn->model().config().mac.end(), spec.dst_mac);
      p.rx_wire = std::make_unique<WireTap>(&p.fn->model(), pcap.get());
      p.gen = std::make_unique<sim::TrafficGen>(world, p.rx_wire.get(), spec);
      if (spec.count) p.gen->start(world.now());
    }
  if (wire == "netdev")
    for (Port& p : ports) {
      // Frames from the peer pass a tap (captured) on their way to the port, as the port's own pass one out.
      p.rx_wire = std::make_unique<WireTap>(&p.fn->model(), pcap.get());
      p.netdev = std::make_unique<NetdevWire>(world, p.rx_wire.get());
      p.netdev->path = p.path + ".net";
      p.tx_wire = std::make_unique<WireTap>(p.netdev.get(), pcap.get());
      p.fn->model().connect(p.tx_wire.get());
    }
  auto unlink_all = [&] {
    for (Port& p : ports) {
      if (p.listen_fd >= 0) {
        ::close(p.listen_fd);
        p.listen_fd = -1;
        ::unlink(p.path.c_str());
      }
      if (p.netdev && p.netdev->listen_fd >= 0) {
        ::close(p.netdev->listen_fd);
        p.netdev->listen_fd = -1;
        ::unlink(p.netdev->path.c_str());
      }
    }
  };
  for (Port& p : ports) {
    std::string err;
    p.listen_fd = vfio_user::listen_unix(p.path, err);
    if (p.listen_fd >= 0 && p.netdev) p.netdev->listen_fd = vfio_user::listen_unix(p.netdev->path, err);
    if (p.listen_fd < 0 || (p.netdev && p.netdev->listen_fd < 0)) {
      unlink_all();
      throw nic::Error(err);
    }
  }
  app::install_signal_handlers();
  if (gen_on == "sigusr1") {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_bursts_requested.fetch_add(1, std::memory_order_relaxed); };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR1, &sa, nullptr);
  }
  uint64_t bursts = 0;
  std::printf("nicsim_server: %zu port(s), %s model%s, wire %s; listening on", ports.size(),
              fidelity == sim::Fidelity::kTimed ? "timed" : "functional", f.on("strict") ? ", strict" : "", wire.c_str());
  for (const Port& p : ports) std::printf(" %s", p.path.c_str());
  for (const Port& p : ports)
    if (p.netdev) std::printf(" %s (netdev)", p.netdev->path.c_str());
  std::printf("\n");
  std::fflush(stdout);

  sim::Runner runner(world, sim::Runner::Mode::kRealTime);
  const auto start = Clock::now();
  auto next_stats = start + std::chrono::seconds(1);
  bool served = false;
  std::string exit_reason = "signal";
  std::vector<pollfd> pfds;
  while (!app::stop_requested()) {
    pfds.clear();
    bool connected = false;
    for (const Port& p : ports) {
      pfds.push_back({p.listen_fd, POLLIN, 0});
      pfds.push_back({p.conn ? p.conn->fd() : -1, POLLIN, 0});
      pfds.push_back({p.netdev ? p.netdev->listen_fd : -1, POLLIN, 0});
      pfds.push_back({p.netdev ? p.netdev->fd : -1,
                      static_cast<short>(POLLIN | (p.netdev && p.netdev->wants_write() ? POLLOUT : 0)), 0});
      connected |= p.conn != nullptr;
    }
    // 1 ms ticks while a client is connected or a generator sends: the model's timers (link, reset, interrupt
    // moderation) and the generators run. Idle, 50 ms (the runner advances at most one bounded step per tick, so
    // virtual time then runs slow: nothing is there to see it).
    const bool sending = std::any_of(ports.begin(), ports.end(), [](const Port& p) { return p.gen && p.gen->running(); });
    const int n = ::poll(pfds.data(), pfds.size(), connected || sending ? 1 : 50);
    if (n < 0 && errno != EINTR) throw nic::Error(std::string("poll: ") + std::strerror(errno));
    runner.pump();
    // --gen-on sigusr1: each signal is one more burst of --gen-count frames into every port, from now.
    for (uint64_t want = g_bursts_requested.load(std::memory_order_relaxed); bursts < want; ++bursts) {
      for (Port& p : ports) p.gen->add_burst(gen_count, world.now());
      std::printf("nicsim_server: generator burst %llu: %llu frames into each port at %llu frames/s from virtual time %.3f s\n",
                  static_cast<unsigned long long>(bursts + 1), static_cast<unsigned long long>(gen_count),
                  static_cast<unsigned long long>(gen_pps), static_cast<double>(world.now()) * 1e-9);
    }
    for (size_t i = 0; i < ports.size(); ++i) {
      Port& p = ports[i];
      if (pfds[4 * i].revents & POLLIN) {
        const int fd = vfio_user::accept_client(p.listen_fd);
        if (fd >= 0 && p.conn) {
          std::printf("nicsim_server: %s: refusing a second client (one per socket)\n", p.fn->name().c_str());
          ::close(fd);
        } else if (fd >= 0) {
          p.session = std::make_unique<vfio_user::Session>(*p.fn);
          p.conn = std::make_unique<vfio_user::Connection>(fd, *p.session);
          ++p.clients;
          std::printf("nicsim_server: %s: client connected on %s\n", p.fn->name().c_str(), p.path.c_str());
        }
      }
      if (p.netdev && (pfds[4 * i + 2].revents & POLLIN)) {
        const int fd = vfio_user::accept_client(p.netdev->listen_fd);
        if (fd >= 0 && p.netdev->fd >= 0) {
          std::printf("nicsim_server: %s: refusing a second netdev peer\n", p.fn->name().c_str());
          ::close(fd);
        } else if (fd >= 0) {
          p.netdev->fd = fd;
          ++p.netdev->peers;
          std::printf("nicsim_server: %s: netdev peer connected on %s\n", p.fn->name().c_str(), p.netdev->path.c_str());
        }
      }
      if (p.netdev && p.netdev->fd >= 0 && (pfds[4 * i + 3].revents & POLLOUT)) p.netdev->flush();
      if (p.netdev && p.netdev->fd >= 0 && (pfds[4 * i + 3].revents & (POLLIN | POLLHUP | POLLERR)) && !p.netdev->service())
        std::printf("nicsim_server: %s: netdev peer gone\n", p.fn->name().c_str());
      if (p.conn && (pfds[4 * i + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        const uint64_t before = p.session->stats().messages;
        const auto t0 = Clock::now();
        const bool ok = p.conn->service(64);
        p.service_s += std::chrono::duration<double>(Clock::now() - t0).count();
        p.serviced += p.session->stats().messages - before;
        if (!ok) served |= end_session(p, p.conn->reason());
      }
    }
    std::fflush(stdout);
    const auto now = Clock::now();
    if (now >= next_stats) {
      next_stats += std::chrono::seconds(1);
      if (connected && !quiet) {
        std::string line = "[nicsim " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - start).count()) + "s]";
        for (Port& p : ports) {
          if (!p.session) continue;
          line += " " + port_stats(p, p.session->stats(), p.last) + ";";
          p.last = p.session->stats();
        }
        std::printf("%s\n", line.c_str());
      }
    }
    if (!persist && served && std::none_of(ports.begin(), ports.end(), [](const Port& p) { return p.conn != nullptr; })) {
      exit_reason = "every client disconnected";
      break;
    }
    if (max_seconds && now - start >= std::chrono::seconds(max_seconds)) {
      exit_reason = "--max-seconds " + std::to_string(max_seconds) + " reached";
      break;
    }
  }
  for (Port& p : ports)
    if (p.conn) end_session(p, "server stopping");
  std::printf("nicsim_server: stopping (%s) after %.1f s (virtual time %.3f s; %.3f s more skipped while the server "
              "stalled, on the drivers' clock)\n", exit_reason.c_str(),
              std::chrono::duration<double>(Clock::now() - start).count(), static_cast<double>(world.now()) * 1e-9,
              static_cast<double>(world.clock_ns() - world.now()) * 1e-9);
  for (Port& p : ports) report(p);
  if (pcap) {
    pcap->flush();
    std::printf("capture: %llu frames in %s\n", static_cast<unsigned long long>(pcap->frames()), f.str("pcap").c_str());
  }
  unlink_all();
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // --socket may repeat: take every occurrence here, and let Flags check the rest.
  std::vector<std::string> sockets;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) {
      sockets.push_back(argv[++i]);
    } else if (a.rfind("--socket=", 0) == 0) {
      sockets.push_back(a.substr(9));
    } else {
      rest.push_back(argv[i]);
    }
  }
  app::Flags f("nicsim_server",
               "nicsim_server --socket PATH [--socket PATH]... | --ports N --socket-dir D  [options]\n"
               "Serves simulated 82599 ports (8086:10fb) as vfio-user PCI devices, e.g. to QEMU's vfio-user-pci.");
  f.add("socket", "", "a vfio-user socket to serve, one port each (repeatable)");
  f.add("ports", "0", "number of ports, with --socket-dir");
  f.add("socket-dir", "", "directory for --ports N sockets: port0.sock, port1.sock, ...");
  f.add("sim-model", "timed", "timed (cycle-approximate) or functional");
  f.add("sfp", "da", "what sits in each port's SFP+ cage: da (passive direct-attach cable), sr (10GBASE-SR optic), none");
  f.add_bool("strict", "check every register write against the datasheet's rules (reported on exit)");
  f.add("wire", "auto",
        "pair (ports 0-1, 2-3, ... cabled to each other), sink (each port's tx into a sink), gen (as sink, and a "
        "traffic generator into each port at --gen-pps), netdev (each port's cable "
        "a unix stream socket at its socket path + .net for QEMU's -netdev stream,server=off,addr.type=unix,"
        "addr.path=...), none; auto: pair for an even number of ports, sink otherwise");
  f.add("mac-base", "02:53:49:4d:00:00", "port 0's MAC address (in its EEPROM); port i's adds i to the last byte");
  f.add("pcap", "", "write every frame on the simulated wires (both directions) to this pcap file");
  f.add("gen-pps", "100000", "--wire gen: frames per second into each port (at most 10G line rate for 64-byte frames)");
  f.add("gen-size", "60", "--wire gen: frame size in bytes without FCS (60..1514)");
  f.add("gen-count", "0", "--wire gen: frames into each port (0 = no end), or per burst with --gen-on sigusr1");
  f.add("gen-on", "start",
        "--wire gen: start (the generators run from the start) or sigusr1 (each SIGUSR1 to the server starts one "
        "burst of --gen-count frames into every port: a test's start button)");
  f.add_bool("log-unknown", "print each BAR0 register the model lacks when a driver first touches it");
  f.add_bool("persist", "keep serving when clients disconnect (default: exit once the last one has gone)");
  f.add("max-seconds", "0", "stop after this many seconds (0 = no limit)");
  f.add_bool("quiet", "no per-second stats lines");
  if (!f.parse(static_cast<int>(rest.size()), rest.data())) return f.exit_code();
  return app::run_main([&] { return serve(f, sockets); });
}
