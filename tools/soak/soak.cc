// soak: traffic both ways between two simulated 82599 ports (strict mode) for --seconds of wall time, with
// random faults from --seed: link flaps, a wedged transmit engine, rx DMA stalls, IOMMU faults, devices
// resetting themselves, an app hoarding every receive buffer. The driver's watchdog runs every virtual ms.
// At the end every frame handed to a tx ring is accounted for: delivered, or dropped for a named reason
// (device, simulator or driver counters). Prints "N lost unaccounted"; exit status 1 unless N is 0.
// Each wall second prints a progress line; --stats-json FILE writes one JSON object per second (Progress).
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "driver/device.h"
#include "driver/error.h"
#include "driver/log.h"
#include "sim/sim_backend.h"
#include "sim/world.h"
#include "nlohmann/json.hpp"
#include "tools/app.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kStepNs = 10'000;  // virtual time per loop iteration
constexpr uint64_t kMs = 1'000'000;

struct Direction {
  uint64_t offered = 0, no_buf = 0, ring_full = 0, taken = 0, delivered = 0;
};

enum Fault { kLinkFlap, kTxHang, kRxStall, kDma, kReset, kHoard, kFaultKinds };
const char* const kFaultNames[] = {"link flap", "tx hang", "rx DMA stall", "IOMMU fault", "device reset",
                                   "rx buffers hoarded"};

struct Soak {
  sim::World world;
  std::vector<std::unique_ptr<sim::SimNic>> nics;
  std::vector<std::unique_ptr<nic::Mempool>> app_pools;  // what each port sends from
  std::vector<std::unique_ptr<nic::Device>> devs;
  Direction dir[2];  // dir[i]: from port i to port 1 - i
  std::mt19937_64 rng;
  uint64_t injected[kFaultKinds] = {};
  uint32_t seq = 0;

  // The fault in progress (one at a time).
  int active = -1;
  int target = 0;
  uint64_t until = 0, recoveries_at_start = 0;
  std::vector<nic::Packet> hoard;

  Soak(uint64_t seed, sim::Fidelity model) : world({}, model), rng(seed) {
    for (int i = 0; i < 2; ++i) {
      sim::IxgbeConfig c;
      c.name = "sim:" + std::to_string(i);
      c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, static_cast<uint8_t>(i)};
      c.strict = true;
      nics.push_back(std::make_unique<sim::SimNic>(world, c));
    }
    sim::Ixgbe82599::cable(nics[0]->device(), nics[1]->device());
    nic::DeviceConfig cfg;
    cfg.link_timeout_ms = 1000;
    cfg.tx_hang_timeout_ms = 20;
    for (int i = 0; i < 2; ++i) app_pools.push_back(std::make_unique<nic::Mempool>(*nics[i], 4096));
    for (int i = 0; i < 2; ++i) devs.push_back(nic::open_device(*nics[i], cfg));
  }
  ~Soak() {
    hoard.clear();
    for (auto& d : devs) d->shutdown();
  }
  sim::Ixgbe82599& model(int i) { return nics[i]->device(); }
  uint64_t uniform(uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng); }

  void offer(int from, bool sending) {
    Direction& d = dir[from];
    nic::Device& tx = *devs[from];
    if (sending) {
      nic::Packet batch[32];
      const nic::MacAddr to = devs[1 - from]->mac();
      size_t k = 0;
      for (; k < 32; ++k) {
        ++d.offered;
        batch[k] = nic::Packet::alloc(*app_pools[from], 60);
        if (!batch[k]) {
          ++d.no_buf;
          break;
        }
        std::memcpy(batch[k].data(), to.data(), 6);
        std::memset(batch[k].data() + 6, 0, 54);
        batch[k].data()[12] = 0x88;
        batch[k].data()[13] = 0xB5;
        ++seq;
        std::memcpy(batch[k].data() + 14, &seq, 4);
      }
      const size_t took = tx.tx_batch(0, std::span(batch, k));
      d.taken += took;
      d.ring_full += k - took;  // untaken handles go back to the pool here
    }
    nic::Packet rx[64];
    size_t n;
    while ((n = devs[1 - from]->rx_batch(0, rx)) != 0) {
      dir[from].delivered += n;
      for (size_t i = 0; i < n; ++i) rx[i].reset();
    }
  }

  bool links_up() { return devs[0]->link().up && devs[1]->link().up; }
  uint64_t recoveries(int i) { return devs[i]->health().recoveries; }

  void start_fault(uint64_t now) {
    active = static_cast<int>(uniform(0, kFaultKinds - 1));
    target = static_cast<int>(uniform(0, 1));
    ++injected[active];
    recoveries_at_start = recoveries(target);
    switch (active) {
      case kLinkFlap:
        model(0).fault_link_down(true);
        model(1).fault_link_down(true);
        until = now + uniform(2, 20) * kMs;
        break;
      case kTxHang: model(target).fault_tx_hang(true); break;  // ends when the watchdog recovered it
      case kRxStall:
        model(target).fault_rx_stall(true);
        until = now + uniform(1, 5) * kMs;
        break;
      case kDma:
        model(target).fault_dma(static_cast<uint32_t>(uniform(1, 3)));
        until = now;
        break;
      case kReset: model(target).fault_reset(); break;  // ends when the watchdog recovered it
      case kHoard:
        while (auto p = nic::Packet::alloc(devs[target]->rx_pool(0), 60)) hoard.push_back(std::move(p));
        until = now + uniform(1, 10) * kMs;
        break;
    }
  }
  // Ends the active fault when its time is up (or its recovery happened); returns true if none is active.
  bool end_fault(uint64_t now, bool force) {
    if (active < 0) return true;
    const bool recovered = recoveries(target) != recoveries_at_start;
    switch (active) {
      case kLinkFlap:
        if (!force && now < until) return false;
        model(0).fault_link_down(false);
        model(1).fault_link_down(false);
        break;
      case kTxHang:
        if (!force && !recovered) return false;
        model(target).fault_tx_hang(false);
        break;
      case kReset:
        if (!force && !recovered) return false;
        break;
      case kRxStall:
        if (!force && now < until) return false;
        model(target).fault_rx_stall(false);
        break;
      case kDma:
        break;
      case kHoard:
        if (!force && now < until) return false;
        hoard.clear();
        break;
    }
    active = -1;
    return true;
  }

  void step(bool sending) {
    world.advance(kStepNs);
    offer(0, sending);
    offer(1, sending);
    if (world.now() / kMs != (world.now() - kStepNs) / kMs)
      for (auto& d : devs) d->watchdog();
  }
};

// Where the frames from port `from` to the other port that were not delivered went, by cause (lifetime
// counts of the devices, the simulator and the receiving driver). `key` names the cause in --stats-json.
struct Cause {
  const char* key;
  const char* why;
  uint64_t n;
};
std::vector<Cause> drop_causes(Soak& s, int from) {
  const int to = 1 - from;
  const auto& tx = s.model(from).counters();
  const auto& rx = s.model(to).counters();
  const nic::DeviceHealth h = s.devs[to]->health();
  return {
      {"rx_no_desc", "no free rx descriptor (QPRDC, SRRCTL.DROP_EN)", rx.rx_no_desc},
      {"rx_missed", "rx packet buffer full (MPC)", rx.rx_missed},
      {"rx_link_down", "arrived while the receiver's link was down", rx.rx_link_down},
      {"rx_disabled", "arrived while receive was off (receiver re-initializing)", rx.rx_disabled},
      {"rx_queue_disabled", "arrived while the rx queue was off", rx.rx_queue_disabled},
      {"rx_filtered", "filtered by the receiver", rx.rx_filtered},
      {"rx_lost_reset", "lost inside the receiver by a reset", rx.rx_lost_reset},
      {"rx_dma_drops", "dropped by the receiver on an IOMMU fault", rx.rx_dma_drops},
      {"tx_bad_frames", "not sent: IOMMU fault on the sender", tx.tx_bad_frames},
      {"tx_lost_reset", "abandoned on the sender's ring by a reset", tx.tx_lost_reset},
      {"driver_rx_discarded", "discarded by the receiving driver during recovery", h.rx_discarded},
  };
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
    const auto now = Clock::now();
    if (now < next_) return;
    next_ += std::chrono::seconds(1);
    emit(false);
  }
  void final() { emit(true); }

 private:
  struct Snapshot {
    Direction dir[2];
    std::vector<Cause> causes[2];
    uint64_t faults = 0;
  };
  Snapshot take() {
    Snapshot n;
    for (int i = 0; i < 2; ++i) {
      n.dir[i] = s_.dir[i];
      n.causes[i] = drop_causes(s_, i);
    }
    for (uint64_t k : s_.injected) n.faults += k;
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
      const Direction &d = now.dir[from], &b = base.dir[from];
      nlohmann::json drops = nlohmann::json::object();
      uint64_t dropped = 0;
      for (size_t k = 0; k < now.causes[from].size(); ++k) {
        const uint64_t n = now.causes[from][k].n - (base.causes[from].empty() ? 0 : base.causes[from][k].n);
        drops[now.causes[from][k].key] = n;
        dropped += n;
      }
      delivered += d.delivered - b.delivered;
      dropped_all += dropped;
      j["directions"].push_back({{"from", s_.nics[from]->name()},
                                 {"to", s_.nics[1 - from]->name()},
                                 {"offered", d.offered - b.offered},
                                 {"sent", d.taken - b.taken},
                                 {"delivered", d.delivered - b.delivered},
                                 {"not_sent", {{"app_mempool_empty", d.no_buf - b.no_buf}, {"tx_ring_full", d.ring_full - b.ring_full}}},
                                 {"drops", drops}});
    }
    for (int i = 0; i < 2; ++i) {
      const nic::DeviceHealth h = s_.devs[i]->health();
      j["ports"].push_back({{"name", s_.nics[i]->name()},
                            {"recoveries", h.recoveries},
                            {"tx_hangs", h.tx_hangs},
                            {"device_resets", h.device_resets},
                            {"link_changes", h.link_changes},
                            {"link_up", s_.devs[i]->link().up},
                            {"dead", h.dead}});
    }
    if (!final)
      std::printf("[soak] wall second %llu, virtual %.3f s: %llu frames delivered, %llu dropped, %llu faults injected; "
                  "recoveries %llu/%llu\n",
                  static_cast<unsigned long long>(second_), virt, static_cast<unsigned long long>(delivered),
                  static_cast<unsigned long long>(dropped_all), static_cast<unsigned long long>(now.faults - base.faults),
                  static_cast<unsigned long long>(s_.devs[0]->health().recoveries),
                  static_cast<unsigned long long>(s_.devs[1]->health().recoveries));
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
// that reset itself before its watchdog notices (the rings it writes to are gone: TDT/RDT >= length 0).
bool expected_diag(const Soak& s, const std::string& rule) {
  if (rule == "dma.iommu-fault") return true;
  return (rule == "tdt.out-of-range" || rule == "rdt.out-of-range") && s.injected[kReset] > 0;
}

int soak_main(int argc, char** argv) {
  app::Flags f("soak", "soak [--seconds N] [--seed S] [--fault-every-ms MS] [--sim-model timed|functional]");
  f.add("seconds", "10", "wall-clock seconds of traffic and faults (1..3600)");
  f.add("seed", "1", "seed of the fault sequence (same seed, same faults in the same virtual-time order)");
  f.add("fault-every-ms", "40", "mean virtual milliseconds between faults (one at a time)");
  f.add("sim-model", "timed", "'timed' (cycle-approximate) or 'functional' (no time inside the devices)");
  f.add_bool("quiet", "do not log driver warnings (recoveries, link changes)");
  app::add_stats_flags(f);
  if (!f.parse(argc, argv)) return f.exit_code();
  const uint64_t seconds = f.u64("seconds", 1, 3600);
  const uint64_t every = f.u64("fault-every-ms", 1, 3'600'000);
  nic::set_log_level(f.on("quiet") ? nic::LogLevel::kError : nic::LogLevel::kWarn);

  const std::string model = f.str("sim-model");
  Soak s(f.u64("seed"), app::sim_model_from(model));
  std::printf("soak: 2 strict simulated 82599 ports cabled back to back (%s model), seed %llu, %llu s, a fault "
              "every ~%llu ms of virtual time\n",
              model.c_str(), static_cast<unsigned long long>(f.u64("seed")), static_cast<unsigned long long>(seconds),
              static_cast<unsigned long long>(every));
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
    if (s.end_fault(now, false) && now >= next_fault && s.links_up() && !s.devs[0]->health().dead &&
        !s.devs[1]->health().dead) {
      s.start_fault(now);
      next_fault = now + s.uniform(every / 2, every * 3 / 2) * kMs;
    }
  }
  // Drain: faults off, nothing new offered, time for links to retrain, hangs to be found, wires to empty.
  s.end_fault(s.world.now(), true);
  for (uint64_t t = 0; t < 300 * kMs; t += kStepNs) s.step(false);

  uint64_t faults = 0;
  std::string list;
  for (int k = 0; k < kFaultKinds; ++k) {
    faults += s.injected[k];
    list += std::string(k ? ", " : "") + kFaultNames[k] + " " + std::to_string(s.injected[k]);
  }
  std::printf("virtual time %.3f s\nfaults injected: %llu (%s)\n", static_cast<double>(s.world.now()) / 1e9,
              static_cast<unsigned long long>(faults), list.c_str());

  int64_t lost_total = 0;
  for (int from = 0; from < 2; ++from) {
    const int to = 1 - from;
    const Direction& d = s.dir[from];
    const std::vector<Cause> after = drop_causes(s, from);
    uint64_t dropped = 0;
    for (const Cause& c : after) dropped += c.n;
    const int64_t lost = static_cast<int64_t>(d.taken) - static_cast<int64_t>(d.delivered + dropped);
    lost_total += lost < 0 ? -lost : lost;
    const std::string a = s.nics[from]->name(), b = s.nics[to]->name();
    std::printf("%s -> %s: offered %llu, sent %llu (tx ring counted %llu), delivered %llu, dropped %llu\n", a.c_str(),
                b.c_str(), static_cast<unsigned long long>(d.offered), static_cast<unsigned long long>(d.taken),
                static_cast<unsigned long long>(s.devs[from]->tx_ring_stats(0).packets),
                static_cast<unsigned long long>(d.delivered), static_cast<unsigned long long>(dropped));
    std::printf("  not sent: app mempool empty %llu, tx ring full %llu\n", static_cast<unsigned long long>(d.no_buf),
                static_cast<unsigned long long>(d.ring_full));
    for (const Cause& c : after)
      if (c.n) std::printf("  dropped: %-58s %llu\n", c.why, static_cast<unsigned long long>(c.n));
    std::printf("  lost unaccounted: %lld\n", static_cast<long long>(lost));
  }
  for (int i = 0; i < 2; ++i) {
    const nic::DeviceHealth h = s.devs[i]->health();
    std::printf("driver %s: %llu recoveries (%llu tx hangs, %llu device resets found), %llu link changes, "
                "%llu tx packets discarded unconfirmed, %llu rx frames discarded, rx refills short of buffers %llu%s\n",
                s.nics[i]->name().c_str(), static_cast<unsigned long long>(h.recoveries),
                static_cast<unsigned long long>(h.tx_hangs), static_cast<unsigned long long>(h.device_resets),
                static_cast<unsigned long long>(h.link_changes), static_cast<unsigned long long>(h.tx_discarded),
                static_cast<unsigned long long>(h.rx_discarded),
                static_cast<unsigned long long>(s.devs[i]->rx_ring_stats(0).no_buf), h.dead ? ", DEAD" : "");
    std::string expected, other;
    for (const auto& [rule, n] : s.model(i).diag().counts())
      (expected_diag(s, rule) ? expected : other) += " " + rule + "=" + std::to_string(n);
    std::printf("  diagnostics caused by injected faults:%s\n  other diagnostics (datasheet violations):%s\n",
                expected.empty() ? " none" : expected.c_str(), other.empty() ? " none" : other.c_str());
  }
  progress.final();  // the run's totals, as the table above counts them (before shutdown)
  bool violations = false;
  for (int i = 0; i < 2; ++i)
    for (const auto& [rule, n] : s.model(i).diag().counts()) violations |= !expected_diag(s, rule);
  // Buffers: after shutdown every buffer of every pool is back.
  for (auto& d : s.devs) d->shutdown();
  s.hoard.clear();
  bool balanced = true;
  for (int i = 0; i < 2; ++i)
    balanced &= s.app_pools[i]->in_use() == 0 && s.devs[i]->rx_pool(0).in_use() == 0;
  std::printf("mempools after shutdown: %s\n", balanced ? "every buffer back" : "BUFFERS MISSING");
  std::printf("%lld lost unaccounted\n", static_cast<long long>(lost_total));
  return lost_total == 0 && balanced && !violations ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  app::install_signal_handlers();
  return app::run_main([&] { return soak_main(argc, argv); });
}
