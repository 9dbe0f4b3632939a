// soak: two simulated 82599 ports (strict mode) on one duplex cable, traffic both ways over several queues for
// --seconds of wall time, with random faults from --seed, several at once: the cable pulled, signal lost at
// one end, a wedged transmit engine, rx DMA stalls, IOMMU faults, devices resetting themselves, an app
// hoarding every receive buffer, corrupted rx write-backs, receive driven by interrupts. The driver's
// watchdog runs every virtual ms.
//
// Every frame carries its sequence number (tools/soak/ledger.h) and the receiver reads each one back:
//   - a frame handed to a tx ring either arrives once, intact and in order within its flow, or is lost; the
//     lost ones are listed as sequence ranges with the faults active when they were sent, and their number
//     must equal the drops the devices and drivers counted by cause;
//   - a fault-free phase at the end must lose nothing: a driver that stops receiving after a recovery fails;
//   - then one port is removed from the bus under traffic: it must be reported dead, the other end must hold
//     its frames (link down, no hang, no recovery), and every buffer of every pool comes back at shutdown.
// Exit status 0 only when all of that holds and the driver broke no datasheet rule. Each wall second prints a
// progress line; --stats-json FILE writes one JSON object per second and the run's totals.
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/device/device.h"
#include "driver/seam/error.h"
#include "driver/ixgbe/regs.h"
#include "driver/seam/log.h"
#include "nlohmann/json.hpp"
#include "sim/sim_backend.h"
#include "sim/world.h"
#include "tools/app.h"
#include "tools/sim_ports.h"
#include "tools/soak/ledger.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kStepNs = 10'000;  // virtual time per loop iteration
constexpr uint64_t kMs = 1'000'000;
constexpr uint32_t kBatch = 32;  // frames offered per direction per step

enum Fault {
  kCablePulled,   // both ends lose signal
  kSignalLoss,    // one end's receiver loses signal (the other end sees the link go down too)
  kTxHang,        // ends when the watchdog recovered the port
  kRxStall,
  kIommu,         // the next 1..3 DMA accesses fault
  kReset,         // ends when the watchdog recovered the port
  kHoard,         // the app holds every rx buffer of one queue
  kCorruptWb,     // rx write-backs corrupted after the device wrote them (error bit, bad length, no EOP)
  kInterrupts,    // the receiving app sleeps on MSI-X interrupts instead of polling
  kFaultKinds
};
const char* const kFaultNames[] = {"cable pulled", "signal lost at one end", "tx hang",   "rx DMA stall",
                                   "IOMMU fault",  "device reset",           "rx buffers hoarded",
                                   "write-backs corrupted", "interrupt-driven rx"};

struct FaultRecord {
  int kind, port;
  uint64_t start_ns, end_ns = UINT64_MAX;
  // After its end, when both links were up again and every flow in both directions had delivered a frame
  // since: its effects (a retraining link, a tx or rx queue stalled by a refused descriptor fetch) are over.
  uint64_t settled_ns = UINT64_MAX;
  uint64_t delivered_at_end[2][soak::kMaxFlows] = {};
  uint64_t recoveries_at_start = 0, until_ns = 0;
  // kInterrupts: what the receiving app saw (it went to sleep `sleeps` times; each sleep ended by an
  // interrupt or by the 1 ms timeout).
  uint64_t sleeps = 0, irq_wakes = 0, timeout_wakes = 0, frames = 0;
};

struct Port {
  std::unique_ptr<sim::SimNic> nic;
  std::unique_ptr<nic::Mempool> app_pool;  // what this port sends from
  std::unique_ptr<nic::Device> dev;
  soak::Ledger ledger;  // frames sent by this port (to the other one)
  uint64_t offered = 0, no_buf = 0, ring_full = 0;
  uint64_t corrupted_wbs = 0;
  uint64_t delivered_by_flow[soak::kMaxFlows] = {};  // this port's frames that arrived, per flow
  // Interrupt-driven receive: the kInterrupts fault active on this port (index into Soak::faults), or -1.
  std::ptrdiff_t irq = -1;
  std::vector<int64_t> armed_at;  // per rx queue: virtual ns the app went to sleep, -1 awake
  std::vector<nic::Packet> hoard;
};

struct Soak {
  sim::World world;
  Port port[2];
  uint16_t queues;
  std::mt19937_64 rng;
  std::vector<FaultRecord> faults;  // every fault, in start order
  std::vector<size_t> active;       // indices into faults
  uint64_t injected[kFaultKinds] = {};
  uint64_t steps = 0;
  std::vector<int> bag;  // fault kinds still to come in this round
  nic::MacAddr mac[2];  // read once at init (a removed port reads all-ones)

  Soak(uint64_t seed, sim::Fidelity model, uint16_t q) : world({}, model), queues(q), rng(seed) {
    for (int i = 0; i < 2; ++i) {
      sim::IxgbeConfig c;
      c.name = "sim:" + std::to_string(i);
      c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, static_cast<uint8_t>(i)};
      c.strict = true;
      port[i].nic = std::make_unique<sim::SimNic>(world, c);
    }
    sim::Ixgbe82599::cable(model_of(0), model_of(1));
    nic::DeviceConfig cfg;
    cfg.rx_queues = cfg.tx_queues = q;
    cfg.link_timeout_ms = 1000;
    cfg.tx_hang_timeout_ms = 20;
    for (Port& p : port) p.app_pool = std::make_unique<nic::Mempool>(*p.nic, 4096);
    for (Port& p : port) {
      p.dev = nic::open_device(*p.nic, cfg);
      p.dev->enable_interrupts({.interval_us = 20});
      p.armed_at.assign(q, -1);
    }
    for (int i = 0; i < 2; ++i) mac[i] = dev(i).mac();
  }
  ~Soak() {
    for (Port& p : port) p.hoard.clear();
    for (Port& p : port) p.dev->shutdown();
  }
  sim::Ixgbe82599& model_of(int i) { return port[i].nic->device(); }
  uint32_t flows() const { return std::min<uint32_t>(soak::kMaxFlows, 4u * queues); }
  nic::Device& dev(int i) { return *port[i].dev; }
  uint64_t uniform(uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng); }
  bool dead(int i) { return dev(i).health().dead; }

  // Offers up to kBatch frames from port `from`, round-robin over flows; flow f goes out on tx queue f % q.
  void offer(int from) {
    Port& p = port[from];
    const nic::MacAddr &dst = mac[1 - from], &src = mac[from];
    std::vector<nic::Packet> batch[8];
    std::vector<uint32_t> seqs[8];
    for (uint32_t k = 0; k < kBatch; ++k) {
      ++p.offered;
      const uint32_t seq = p.ledger.next(), flow = seq % flows(), q = flow % queues;
      nic::Packet pkt = nic::Packet::alloc(*p.app_pool, soak::frame_length(seq));
      if (!pkt) {
        ++p.no_buf;
        break;
      }
      soak::encode(pkt.data(), dst, src, static_cast<uint8_t>(from), static_cast<uint8_t>(flow), seq);
      batch[q].push_back(std::move(pkt));
      seqs[q].push_back(seq);
    }
    for (uint16_t q = 0; q < queues; ++q) {
      const size_t took = dev(from).tx_batch(q, batch[q]);
      for (size_t i = 0; i < took; ++i) p.ledger.taken(seqs[q][i], world.now());
      p.ring_full += batch[q].size() - took;  // untaken handles go back to the pool here
    }
  }

  // The app at port `to` receives: polling every queue, or, while interrupt-driven, a queue only once its
  // interrupt fired (or 1 ms passed, as wait_rx(q, 1) would return).
  void receive(int to) {
    Port& p = port[to];
    nic::Packet rx[64];
    const nic::MacAddr &me = mac[to], &peer = mac[1 - to];
    for (uint16_t q = 0; q < queues; ++q) {
      if (p.irq >= 0 && !wake(p, q)) continue;
      size_t n;
      while ((n = dev(to).rx_batch(q, rx)) != 0) {
        for (size_t i = 0; i < n; ++i) {
          const soak::Decoded d = soak::decode(rx[i].data(), rx[i].size(), me, peer);
          const bool ok = d.ok && d.dir == 1 - to;
          port[1 - to].ledger.arrived(ok ? d : soak::Decoded{});
          if (ok) ++port[1 - to].delivered_by_flow[d.flow];
          rx[i].reset();
        }
        if (p.irq >= 0) faults[p.irq].frames += n;

      }
    }
  }
  bool wake(Port& p, uint16_t q) {
    const int64_t now = static_cast<int64_t>(world.now());
    nic::Device& d = *p.dev;
    if (p.armed_at[q] < 0) {
      if (d.arm_rx(q)) return true;  // a frame already waits: do not sleep
      p.armed_at[q] = now;
      ++faults[p.irq].sleeps;
      return false;
    }
    pollfd pfd{d.rx_interrupt_fd(q), POLLIN, 0};
    const bool fired = pfd.fd >= 0 && ::poll(&pfd, 1, 0) == 1;
    if (!fired && now - p.armed_at[q] < static_cast<int64_t>(kMs)) return false;
    d.disarm_rx(q);
    p.armed_at[q] = -1;
    ++(fired ? faults[p.irq].irq_wakes : faults[p.irq].timeout_wakes);
    return true;
  }
  void stop_interrupt_rx(Port& p) {
    for (uint16_t q = 0; q < queues; ++q)
      if (p.armed_at[q] >= 0) {
        p.dev->disarm_rx(q);
        p.armed_at[q] = -1;
      }
    p.irq = -1;
  }

  // Corrupts one write-back the device has written and the driver not yet read, on a random rx queue of
  // port `i`, in a way the driver can see (the device can always lie undetectably about a frame's bytes).
  void corrupt_writeback(int i) {
    using namespace nic::ixgbe;
    sim::Ixgbe82599& m = model_of(i);
    const uint32_t q = static_cast<uint32_t>(uniform(0, queues - 1));
    const uint64_t base = m.read32(RDBAL.at(q)) | static_cast<uint64_t>(m.read32(RDBAH.at(q))) << 32;
    const uint32_t n = m.read32(RDLEN.at(q)) / 16;
    auto* ring = reinterpret_cast<nic::AdvRxDesc*>(port[i].nic->iommu().translate(base, n * 16ull));
    if (!ring || n == 0) return;
    const uint32_t start = static_cast<uint32_t>(uniform(0, n - 1));
    for (uint32_t k = 0; k < n; ++k) {
      nic::AdvRxDesc& d = ring[(start + k) % n];
      const uint32_t st = d.wb.status_error;
      const bool written = st & nic::rxd::kStatusDD;
      const bool already = !(st & nic::rxd::kStatusEOP) || (st & nic::rxd::kErrorRxe) || d.wb.length == 0 ||
                           d.wb.length > 2048;
      if (!written || already) continue;
      switch (uniform(0, 3)) {
        case 0: d.wb.status_error = st | nic::rxd::kErrorRxe; break;
        case 1: d.wb.length = 0; break;
        case 2: d.wb.length = 0xFFFF; break;
        case 3: d.wb.status_error = st & ~nic::rxd::kStatusEOP; break;
      }
      ++port[i].corrupted_wbs;
      return;
    }
  }

  void step(bool sending) {
    world.advance(kStepNs);
    ++steps;
    for (int i = 0; i < 2; ++i) {
      // Towards an interrupt-driven receiver, traffic comes in bursts (one step in 50), so it sleeps between.
      const bool burst = port[1 - i].irq < 0 || steps % 50 == 0;
      if (sending && burst && !dead(i)) offer(i);
      for (size_t f : active)
        if (faults[f].kind == kCorruptWb && faults[f].port == i) corrupt_writeback(i);
    }
    for (int i = 0; i < 2; ++i)
      if (!dead(i)) receive(i);
    if (world.now() / kMs != (world.now() - kStepNs) / kMs)
      for (Port& p : port) p.dev->watchdog();
  }

  // --- Faults: several may be active at once (never two of a kind on one port).
  bool busy(int kind, int p) const {
    for (size_t f : active)
      if (faults[f].kind == kind && (faults[f].port == p || kind == kCablePulled)) return true;
    return false;
  }
  void start_fault(uint64_t now) {
    // Kinds come from a shuffled bag of all of them, so every kind happens once in each kFaultKinds faults.
    if (bag.empty()) {
      for (int k = 0; k < kFaultKinds; ++k) bag.push_back(k);
      std::shuffle(bag.begin(), bag.end(), rng);
    }
    const int kind = bag.back(), p = static_cast<int>(uniform(0, 1));
    if (busy(kind, p)) return;  // tried again at the next fault time
    bag.pop_back();
    FaultRecord r{kind, p, now};
    r.recoveries_at_start = dev(p).health().recoveries;
    sim::Ixgbe82599& m = model_of(p);
    switch (kind) {
      case kCablePulled:
        model_of(0).fault_link_down(true);
        model_of(1).fault_link_down(true);
        r.until_ns = now + uniform(2, 20) * kMs;
        break;
      case kSignalLoss:
        m.fault_link_down(true);
        r.until_ns = now + uniform(2, 20) * kMs;
        break;
      case kTxHang: m.fault_tx_hang(true); break;
      case kRxStall:
        m.fault_rx_stall(true);
        r.until_ns = now + uniform(1, 5) * kMs;
        break;
      case kIommu: m.fault_dma(static_cast<uint32_t>(uniform(1, 3))); break;
      case kReset: m.fault_reset(); break;
      case kHoard: {
        nic::Mempool& pool = dev(p).rx_pool(static_cast<uint16_t>(uniform(0, queues - 1)));
        while (auto pkt = nic::Packet::alloc(pool, 60)) port[p].hoard.push_back(std::move(pkt));
        r.until_ns = now + uniform(1, 10) * kMs;
        break;
      }
      case kCorruptWb: r.until_ns = now + uniform(1, 5) * kMs; break;
      case kInterrupts: r.until_ns = now + uniform(5, 30) * kMs; break;
    }
    ++injected[kind];
    faults.push_back(r);
    active.push_back(faults.size() - 1);
    if (kind == kInterrupts) port[p].irq = static_cast<std::ptrdiff_t>(faults.size() - 1);
  }
  // Ends the faults whose time is up (or whose recovery happened); `force` ends them all.
  void end_faults(uint64_t now, bool force) {
    for (size_t k = 0; k < active.size();) {
      FaultRecord& r = faults[active[k]];
      const bool recovered = dev(r.port).health().recoveries != r.recoveries_at_start || dead(r.port);
      bool done = force;
      switch (r.kind) {
        case kTxHang:
        case kReset: done |= recovered; break;
        case kIommu: done = true; break;
        default: done |= now >= r.until_ns; break;
      }
      if (!done) {
        ++k;
        continue;
      }
      sim::Ixgbe82599& m = model_of(r.port);
      switch (r.kind) {
        case kCablePulled:
          model_of(0).fault_link_down(false);
          model_of(1).fault_link_down(false);
          break;
        case kSignalLoss: m.fault_link_down(false); break;
        case kTxHang: m.fault_tx_hang(false); break;
        case kRxStall: m.fault_rx_stall(false); break;
        case kHoard: port[r.port].hoard.clear(); break;
        case kInterrupts: stop_interrupt_rx(port[r.port]); break;
        default: break;
      }
      r.end_ns = now;
      for (int i = 0; i < 2; ++i)
        std::copy(std::begin(port[i].delivered_by_flow), std::end(port[i].delivered_by_flow), r.delivered_at_end[i]);
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  bool links_up() { return dev(0).link().up && dev(1).link().up; }
  // Write-backs port i's rx rings rejected (an error bit, or a length or EOP they cannot take).
  uint64_t rejected_writebacks(int i) {
    uint64_t n = 0;
    for (uint16_t q = 0; q < queues; ++q) n += dev(i).rx_ring_stats(q).rx_errors + dev(i).rx_ring_stats(q).bad_desc;
    return n;
  }
  // Marks the faults that ended as settled once both links are up again.
  void settle(uint64_t now) {
    while (first_unsettled < faults.size() && faults[first_unsettled].settled_ns != UINT64_MAX) ++first_unsettled;
    if (first_unsettled == faults.size() || !links_up()) return;
    for (size_t i = first_unsettled; i < faults.size(); ++i) {
      FaultRecord& r = faults[i];
      if (r.end_ns == UINT64_MAX || r.settled_ns != UINT64_MAX) continue;
      bool flowing = true;
      for (int p = 0; p < 2; ++p)
        for (uint32_t f = 0; f < flows(); ++f) flowing &= port[p].delivered_by_flow[f] > r.delivered_at_end[p][f];
      if (flowing) r.settled_ns = now;
    }
  }
  size_t first_unsettled = 0;
};

// Where the frames from port `from` that never arrived went, by cause: lifetime counts of the devices, the
// simulator and the receiving driver. `key` names the cause in --stats-json.
struct Cause {
  const char* key;
  const char* why;
  uint64_t n;
};
std::vector<Cause> drop_causes(Soak& s, int from) {
  const int to = 1 - from;
  const auto& tx = s.model_of(from).counters();
  const auto& rx = s.model_of(to).counters();
  const nic::DeviceHealth h = s.dev(to).health();
  return {
      {"rx_no_desc", "no free rx descriptor (QPRDC, SRRCTL.DROP_EN)", rx.rx_no_desc},
      {"rx_missed", "rx packet buffer full (MPC)", rx.rx_missed},
      {"rx_link_down", "on the wire when the link went down", rx.rx_link_down},
      {"rx_disabled", "arrived while receive was off (receiver re-initializing)", rx.rx_disabled},
      {"rx_queue_disabled", "arrived while the rx queue was off", rx.rx_queue_disabled},
      {"rx_filtered", "filtered by the receiver", rx.rx_filtered},
      {"rx_lost_reset", "lost inside the receiver by a reset", rx.rx_lost_reset},
      {"rx_dma_drops", "dropped by the receiver on an IOMMU fault", rx.rx_dma_drops},
      {"tx_bad_frames", "not sent: IOMMU fault on the sender", tx.tx_bad_frames},
      {"tx_lost_reset", "abandoned on the sender's ring by a reset", tx.tx_lost_reset},
      {"driver_rx_discarded", "discarded by the receiving driver during recovery", h.rx_discarded},
      {"driver_bad_writeback", "dropped by the receiving driver: write-back with an error or bad length", s.rejected_writebacks(to)},
  };
}
uint64_t total(const std::vector<Cause>& c) {
  uint64_t n = 0;
  for (const Cause& x : c) n += x.n;
  return n;
}

// Per-second progress: one text line a wall second, and with --stats-json one JSON object (per direction:
// frames offered, sent, delivered, dropped by cause, in that second; per port the driver's health), then a
// final object with the run's totals.
class Progress {
 public:
  Progress(Soak& s, const std::string& json_path) : s_(s), t0_(Clock::now()), next_(t0_ + std::chrono::seconds(1)) {
    if (json_path == "-") {
      json_ = stdout;
    } else if (!json_path.empty()) {
      json_ = std::fopen(json_path.c_str(), "we");
      if (json_ == nullptr) throw nic::Error("--stats-json " + json_path + ": " + std::strerror(errno));
      owned_ = true;
    }
  }
  ~Progress() {
    if (owned_) std::fclose(json_);
  }
  void maybe_print() {
    if (Clock::now() < next_) return;
    next_ += std::chrono::seconds(1);
    emit(false);
  }
  void final() { emit(true); }

 private:
  struct Snapshot {
    uint64_t offered[2] = {}, taken[2] = {}, delivered[2] = {}, no_buf[2] = {}, ring_full[2] = {};
    std::vector<Cause> causes[2];
    uint64_t faults = 0;
  };
  Snapshot take() {
    Snapshot n;
    for (int i = 0; i < 2; ++i) {
      const Port& p = s_.port[i];
      n.offered[i] = p.offered, n.taken[i] = p.ledger.taken(), n.delivered[i] = p.ledger.delivered();
      n.no_buf[i] = p.no_buf, n.ring_full[i] = p.ring_full;
      n.causes[i] = drop_causes(s_, i);
    }
    n.faults = s_.faults.size();
    return n;
  }
  void emit(bool final) {
    const Snapshot now = take();
    const Snapshot& base = final ? zero_ : last_;
    ++second_;
    const double wall = std::chrono::duration<double>(Clock::now() - t0_).count();
    const double virt = static_cast<double>(s_.world.now()) / 1e9;
    nlohmann::json j;
    j["second"] = second_;
    j["clock"] = "wall";
    j["wall_seconds"] = final ? wall : 1.0;
    j["virtual_seconds"] = virt;
    if (final) j["final"] = true;
    j["faults_injected"] = now.faults - base.faults;
    uint64_t delivered = 0, dropped_all = 0;
    for (int from = 0; from < 2; ++from) {
      nlohmann::json drops = nlohmann::json::object();
      uint64_t dropped = 0;
      for (size_t k = 0; k < now.causes[from].size(); ++k) {
        const uint64_t n = now.causes[from][k].n - (base.causes[from].empty() ? 0 : base.causes[from][k].n);
        drops[now.causes[from][k].key] = n;
        dropped += n;
      }
      delivered += now.delivered[from] - base.delivered[from];
      dropped_all += dropped;
      j["directions"].push_back(
          {{"from", s_.port[from].nic->name()},
           {"to", s_.port[1 - from].nic->name()},
           {"offered", now.offered[from] - base.offered[from]},
           {"sent", now.taken[from] - base.taken[from]},
           {"delivered", now.delivered[from] - base.delivered[from]},
           {"not_sent", {{"app_mempool_empty", now.no_buf[from] - base.no_buf[from]},
                         {"tx_ring_full", now.ring_full[from] - base.ring_full[from]}}},
           {"drops", drops}});
    }
    for (int i = 0; i < 2; ++i) {
      const nic::DeviceHealth h = s_.dev(i).health();
      j["ports"].push_back({{"name", s_.port[i].nic->name()},
                            {"recoveries", h.recoveries},
                            {"tx_hangs", h.tx_hangs},
                            {"device_resets", h.device_resets},
                            {"link_changes", h.link_changes},
                            {"link_up", h.link_up},
                            {"dead", h.dead}});
    }
    if (!final)
      std::printf("[soak] wall second %llu, virtual %.3f s: %llu frames delivered, %llu dropped, %llu faults injected; "
                  "recoveries %llu/%llu\n",
                  static_cast<unsigned long long>(second_), virt, static_cast<unsigned long long>(delivered),
                  static_cast<unsigned long long>(dropped_all), static_cast<unsigned long long>(now.faults - base.faults),
                  static_cast<unsigned long long>(s_.dev(0).health().recoveries),
                  static_cast<unsigned long long>(s_.dev(1).health().recoveries));
    std::fflush(stdout);
    if (json_) {
      std::fprintf(json_, "%s\n", j.dump().c_str());
      std::fflush(json_);
    }
    last_ = now;
  }

  Soak& s_;
  Clock::time_point t0_, next_;
  std::FILE* json_ = nullptr;
  bool owned_ = false;
  uint64_t second_ = 0;
  Snapshot last_, zero_;
};

// Diagnostics the injected faults cause by design: refused DMA, and tail writes the driver makes to a device
// that reset itself (or vanished) before its watchdog noticed (the rings it writes to are gone, and so are the
// queue enables those tails would need).
bool expected_diag(const Soak& s, const std::string& rule) {
  if (rule == "dma.iommu-fault") return true;
  return (rule == "tdt.out-of-range" || rule == "rdt.out-of-range" || rule == "init.tdt-before-txq-enabled" ||
          rule == "init.rdt-before-rxq-enabled") &&
         s.injected[kReset] > 0;
}

// The faults whose effects (from start until settled) overlap [from_ns, to_ns].
std::string faults_during(const Soak& s, uint64_t from_ns, uint64_t to_ns) {
  std::string out;
  for (const FaultRecord& r : s.faults)
    if (r.start_ns <= to_ns && r.settled_ns >= from_ns) {
      // (IOMMU faults hit the next DMA accesses of the one domain both ports share, whichever port makes them.)
      const std::string where = r.kind == kIommu ? "shared domain" : r.kind == kCablePulled ? "both ends" : s.port[r.port].nic->name();
      const std::string one = std::string(kFaultNames[r.kind]) + " (" + where + ")";
      if (out.find(one) == std::string::npos) out += (out.empty() ? "" : ", ") + one;
    }
  return out.empty() ? "none" : out;
}

// The accounting of one direction: every frame taken is delivered or counted as a drop; the frames that did
// not arrive are listed. Returns the number of problems (0 = all accounted, nothing duplicated or damaged).
uint64_t report_direction(Soak& s, int from) {
  const Port& p = s.port[from];
  const soak::Ledger& l = p.ledger;
  const std::vector<Cause> causes = drop_causes(s, from);
  const uint64_t counted = total(causes);
  std::printf("%s -> %s: offered %llu, sent %llu, delivered %llu, lost %llu, drops counted %llu\n",
              p.nic->name().c_str(), s.port[1 - from].nic->name().c_str(), static_cast<unsigned long long>(p.offered),
              static_cast<unsigned long long>(l.taken()), static_cast<unsigned long long>(l.delivered()),
              static_cast<unsigned long long>(l.lost()), static_cast<unsigned long long>(counted));
  std::printf("  not sent: app mempool empty %llu, tx ring full %llu\n", static_cast<unsigned long long>(p.no_buf),
              static_cast<unsigned long long>(p.ring_full));
  for (const Cause& c : causes)
    if (c.n) std::printf("  dropped: %-70s %llu\n", c.why, static_cast<unsigned long long>(c.n));
  // The lost frames, as runs of sequence numbers; neighbouring runs lost under the same faults (sent while
  // those faults or their after-effects lasted, or within 2 ms before) are listed as one group.
  const std::vector<soak::Ledger::Range> ranges = l.lost_ranges();
  struct Group {
    uint32_t first, last;
    uint64_t from_ns, to_ns, frames = 0, runs = 0;
    std::string faults;
  };
  std::vector<Group> groups;
  uint64_t unexplained = 0;
  for (const auto& r : ranges) {
    const uint64_t n = l.lost_between(r.first, r.last);
    const std::string f = faults_during(s, r.sent_ns, r.sent_ns + 2 * kMs);
    if (f == "none") unexplained += n;
    if (groups.empty() || groups.back().faults != f) groups.push_back({r.first, r.last, r.sent_ns, r.sent_ns, 0, 0, f});
    Group& g = groups.back();
    g.last = r.last, g.to_ns = r.sent_ns, g.frames += n, ++g.runs;
  }
  std::printf("  lost frames: %zu runs of sequence numbers, in %zu groups by the faults they were sent under\n",
              ranges.size(), groups.size());
  for (size_t i = 0; i < groups.size() && i < 16; ++i) {
    const Group& g = groups[i];
    std::printf("    seq %u..%u sent %.3f..%.3f ms: %llu lost in %llu runs; faults: %s\n", g.first, g.last,
                static_cast<double>(g.from_ns) / 1e6, static_cast<double>(g.to_ns) / 1e6,
                static_cast<unsigned long long>(g.frames), static_cast<unsigned long long>(g.runs), g.faults.c_str());
  }
  if (groups.size() > 16) std::printf("    ... %zu more groups\n", groups.size() - 16);
  std::printf("  duplicates %llu, reordered within a flow %llu, damaged %llu, never sent %llu, lost with no fault "
              "near %llu\n",
              static_cast<unsigned long long>(l.duplicates()), static_cast<unsigned long long>(l.reordered()),
              static_cast<unsigned long long>(l.corrupt()), static_cast<unsigned long long>(l.phantom()),
              static_cast<unsigned long long>(unexplained));
  const int64_t unaccounted = static_cast<int64_t>(l.lost()) - static_cast<int64_t>(counted);
  std::printf("  lost unaccounted: %lld\n", static_cast<long long>(unaccounted));
  return static_cast<uint64_t>(unaccounted < 0 ? -unaccounted : unaccounted) + l.duplicates() + l.reordered() +
         l.corrupt() + l.phantom() + unexplained;
}

// The fault-free phase: links up, nothing active; every frame sent in it must arrive.
uint64_t lossless_phase(Soak& s, uint64_t ns) {
  uint32_t first[2], taken0[2];
  for (int i = 0; i < 2; ++i) first[i] = s.port[i].ledger.last_seq() + 1, taken0[i] = static_cast<uint32_t>(s.port[i].ledger.taken());
  for (uint64_t t = 0; t < ns; t += kStepNs) s.step(true);
  for (uint64_t t = 0; t < 5 * kMs; t += kStepNs) s.step(false);  // the last frames cross
  uint64_t lost = 0;
  for (int i = 0; i < 2; ++i) {
    const soak::Ledger& l = s.port[i].ledger;
    const uint64_t n = l.lost_between(first[i], l.last_seq()), sent = l.taken() - taken0[i];
    std::printf("fault-free phase %s -> %s: %llu sent, %llu lost%s\n", s.port[i].nic->name().c_str(),
                s.port[1 - i].nic->name().c_str(), static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(n), n || sent == 0 ? "  <-- FAIL" : "");
    lost += n + (sent == 0);
  }
  return lost;
}

// Surprise removal of port `gone` under traffic: reported dead by its first watchdog, rx/tx on it do nothing,
// the other end sees the link down and holds its frames (no hang, no recovery). Returns the problems found.
uint64_t removal_phase(Soak& s, int gone) {
  const int other = 1 - gone;
  for (uint64_t t = 0; t < 2 * kMs; t += kStepNs) s.step(true);
  const nic::DeviceHealth before = s.dev(other).health();
  s.model_of(gone).fault_remove();
  const bool dead_at_once = s.dev(gone).watchdog() == nic::Health::kDead;
  for (uint64_t t = 0; t < 100 * kMs; t += kStepNs) s.step(true);
  nic::Packet rx[8];
  std::vector<nic::Packet> tx;
  if (auto pkt = nic::Packet::alloc(*s.port[gone].app_pool, 60)) tx.push_back(std::move(pkt));
  const size_t rx_n = s.dev(gone).rx_batch(0, rx), tx_n = s.dev(gone).tx_batch(0, tx);
  const nic::DeviceHealth after = s.dev(other).health();
  const bool held = !s.dev(other).link().up && after.tx_hangs == before.tx_hangs && after.recoveries == before.recoveries;
  std::printf("surprise removal of %s under traffic: %s; rx/tx on it returned %zu/%zu; %s: link %s, %llu tx hangs, "
              "%llu recoveries since%s\n",
              s.port[gone].nic->name().c_str(), dead_at_once ? "reported dead by the first watchdog" : "NOT REPORTED DEAD",
              rx_n, tx_n, s.port[other].nic->name().c_str(), s.dev(other).link().up ? "UP" : "down",
              static_cast<unsigned long long>(after.tx_hangs - before.tx_hangs),
              static_cast<unsigned long long>(after.recoveries - before.recoveries), held ? "" : "  <-- FAIL");
  return !dead_at_once + (rx_n + tx_n != 0) + !held;
}

int soak_main(int argc, char** argv) {
  app::Flags f("soak", "soak [--seconds N] [--seed S] [--queues Q] [--fault-every-ms MS] [--sim-model timed|functional]");
  f.add("seconds", "10", "wall-clock seconds of traffic and faults (1..3600)");
  f.add("virtual-ms", "0", "stop after this many virtual milliseconds instead (0 = wall clock only); with it a "
                           "run is the same on every machine");
  f.add("seed", "1", "seed of the fault sequence (same seed, same faults in the same virtual-time order)");
  f.add("queues", "2", "rx and tx queues per port (1..4); flows are spread over them by RSS");
  f.add("fault-every-ms", "20", "mean virtual milliseconds between fault starts (several may overlap)");
  f.add("max-faults", "3", "at most this many faults active at once (1..8)");
  f.add("sim-model", "timed", "'timed' (cycle-approximate) or 'functional' (no time inside the devices)");
  f.add_bool("quiet", "do not log driver warnings (recoveries, link changes)");
  app::add_stats_flags(f);
  if (!f.parse(argc, argv)) return f.exit_code();
  const uint64_t seconds = f.u64("seconds", 1, 3600);
  const uint64_t every = f.u64("fault-every-ms", 1, 3'600'000);
  const uint64_t max_faults = f.u64("max-faults", 1, 8);
  const uint64_t virtual_ms = f.u64("virtual-ms", 0, 3'600'000);
  const uint16_t queues = static_cast<uint16_t>(f.u64("queues", 1, 4));
  nic::set_log_level(f.on("quiet") ? nic::LogLevel::kError : nic::LogLevel::kWarn);

  const std::string model = f.str("sim-model");
  Soak s(f.u64("seed"), app::sim_model_from(model), queues);
  std::printf("soak: 2 strict simulated 82599 ports on one cable (%s model), %u queues each, seed %llu, %llu s, a "
              "fault every ~%llu ms of virtual time, up to %llu at once\n",
              model.c_str(), queues, static_cast<unsigned long long>(f.u64("seed")),
              static_cast<unsigned long long>(seconds), static_cast<unsigned long long>(every),
              static_cast<unsigned long long>(max_faults));
  Progress progress(s, f.str("stats-json"));
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  uint64_t next_fault = s.world.now() + s.uniform(every / 2, every * 3 / 2) * kMs;
  uint64_t iter = 0;
  while (!app::stop_requested()) {
    if ((++iter & 255) == 0) {
      if (Clock::now() >= deadline) break;
      progress.maybe_print();
    }
    s.step(true);
    const uint64_t now = s.world.now();
    if (virtual_ms && now >= virtual_ms * kMs) break;
    s.end_faults(now, false);
    s.settle(now);
    // A new fault starts only while the link is up (several may then overlap: a reset during an rx stall,
    // a pulled cable while write-backs are being corrupted), so traffic flows between them.
    if (now >= next_fault && s.active.size() < max_faults && s.links_up() && !s.dead(0) && !s.dead(1)) {
      s.start_fault(now);
      next_fault = now + s.uniform(every / 2, every * 3 / 2) * kMs;
    }
  }
  // Faults off, nothing new offered: time for links to retrain, hangs to be found, wires to empty.
  s.end_faults(s.world.now(), true);
  for (uint64_t t = 0; t < 300 * kMs; t += kStepNs) {
    s.step(false);
    s.settle(s.world.now());
  }

  uint64_t n_faults = 0;
  std::string list;
  for (int k = 0; k < kFaultKinds; ++k) {
    n_faults += s.injected[k];
    list += std::string(k ? ", " : "") + kFaultNames[k] + " " + std::to_string(s.injected[k]);
  }
  std::printf("virtual time %.3f s\nfaults injected: %llu (%s)\n", static_cast<double>(s.world.now()) / 1e9,
              static_cast<unsigned long long>(n_faults), list.c_str());
  size_t overlapped = 0;
  for (size_t i = 0; i < s.faults.size(); ++i)
    for (size_t j = i + 1; j < s.faults.size() && s.faults[j].start_ns <= s.faults[i].end_ns; ++j) ++overlapped;
  std::printf("faults that overlapped another: %zu pairs\n", overlapped);
  uint64_t problems = 0;
  for (int from = 0; from < 2; ++from) problems += report_direction(s, from);
  for (int i = 0; i < 2; ++i) {
    const nic::DeviceHealth h = s.dev(i).health();
    const uint64_t corrupted_seen = s.rejected_writebacks(i);
    std::printf("driver %s: %llu recoveries (%llu tx hangs, %llu device resets found), %llu link changes, "
                "%llu tx packets discarded unconfirmed, %llu rx frames discarded; %llu write-backs corrupted, %llu "
                "rejected%s\n",
                s.port[i].nic->name().c_str(), static_cast<unsigned long long>(h.recoveries),
                static_cast<unsigned long long>(h.tx_hangs), static_cast<unsigned long long>(h.device_resets),
                static_cast<unsigned long long>(h.link_changes), static_cast<unsigned long long>(h.tx_discarded),
                static_cast<unsigned long long>(h.rx_discarded),
                static_cast<unsigned long long>(s.port[i].corrupted_wbs),
                static_cast<unsigned long long>(corrupted_seen), h.dead ? ", DEAD" : "");
    // Each corrupted write-back is rejected by the ring, unless a recovery discarded it first.
    if (corrupted_seen > s.port[i].corrupted_wbs || corrupted_seen + h.rx_discarded < s.port[i].corrupted_wbs) {
      std::printf("  corrupted write-backs not all rejected  <-- FAIL\n");
      ++problems;
    }
    for (const FaultRecord& r : s.faults)
      if (r.kind == kInterrupts && r.port == i && r.sleeps >= 8 && r.frames > 0 && r.irq_wakes == 0) {
        std::printf("  interrupt-driven rx at %.3f ms: %llu frames, %llu sleeps, no interrupt woke it  <-- FAIL\n",
                    static_cast<double>(r.start_ns) / 1e6, static_cast<unsigned long long>(r.frames),
                    static_cast<unsigned long long>(r.sleeps));
        ++problems;
      }
    uint64_t wakes = 0, timeouts = 0, phases = 0;
    for (const FaultRecord& r : s.faults)
      if (r.kind == kInterrupts && r.port == i) ++phases, wakes += r.irq_wakes, timeouts += r.timeout_wakes;
    std::printf("  interrupt-driven rx: %llu phases, %llu wake-ups by interrupt, %llu by timeout\n",
                static_cast<unsigned long long>(phases), static_cast<unsigned long long>(wakes),
                static_cast<unsigned long long>(timeouts));
    std::string expected, other;
    for (const auto& [rule, n] : s.model_of(i).diag().counts())
      (expected_diag(s, rule) ? expected : other) += " " + rule + "=" + std::to_string(n);
    std::printf("  diagnostics caused by injected faults:%s\n  other diagnostics (datasheet violations):%s\n",
                expected.empty() ? " none" : expected.c_str(), other.empty() ? " none" : other.c_str());
    problems += !other.empty();
  }
  progress.final();  // the run's totals, as the table above counts them
  const bool up = s.links_up() && !s.dead(0) && !s.dead(1);
  if (!up) std::printf("after the faults: links %s, %s  <-- FAIL\n", s.links_up() ? "up" : "DOWN", s.dead(0) || s.dead(1) ? "a port DEAD" : "ports alive");
  problems += !up;
  problems += lossless_phase(s, 50 * kMs);
  problems += removal_phase(s, static_cast<int>(s.uniform(0, 1)));

  // Buffers: after shutdown every buffer of every pool is back.
  for (Port& p : s.port) p.dev->shutdown();
  for (Port& p : s.port) p.hoard.clear();
  bool balanced = true;
  for (Port& p : s.port) {
    balanced &= p.app_pool->in_use() == 0;
    for (uint16_t q = 0; q < queues; ++q) balanced &= p.dev->rx_pool(q).in_use() == 0;
  }
  std::printf("mempools after shutdown: %s\n", balanced ? "every buffer back" : "BUFFERS MISSING");
  problems += !balanced;
  std::printf("%llu problems\n", static_cast<unsigned long long>(problems));
  return problems == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  app::install_signal_handlers();
  return app::run_main([&] { return soak_main(argc, argv); });
}
