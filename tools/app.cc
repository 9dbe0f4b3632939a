#include "tools/app.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <cerrno>
#include <cstring>

#include "driver/seam/error.h"
#include "driver/seam/log.h"
#include "nlohmann/json.hpp"
#include "tools/open_backend.h"

namespace app {

// ---------------------------------------------------------------------------------------------------------
void Flags::add(const std::string& name, std::string default_value, std::string help) {
  flags_[name] = Flag{std::move(default_value), std::move(help), false};
  order_.push_back(name);
}
void Flags::add_bool(const std::string& name, std::string help) {
  flags_[name] = Flag{"", std::move(help), true};
  order_.push_back(name);
}

bool Flags::parse(int argc, char** argv) {
  add_bool("help", "print this help and exit");
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      // No tool takes positional arguments: a PCI address or "sim" was meant for --ports.
      const bool port_like = a == "sim" || a.find(':') != std::string::npos;
      std::fprintf(stderr, "%s: unexpected argument '%s'%s (try --help)\n", program_.c_str(), a.c_str(),
                   port_like && flags_.count("ports") ? ("; did you mean --ports " + a + "?").c_str() : "");
      exit_code_ = 2;
      return false;
    }
    a = a.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto it = flags_.find(a);
    if (it == flags_.end()) {
      std::fprintf(stderr, "%s: unknown flag --%s (try --help)\n", program_.c_str(), a.c_str());
      exit_code_ = 2;
      return false;
    }
    if (it->second.is_bool) {
      it->second.value = has_value ? value : "1";
    } else if (has_value) {
      it->second.value = value;
    } else if (i + 1 < argc) {
      it->second.value = argv[++i];
    } else {
      std::fprintf(stderr, "%s: flag --%s needs a value\n", program_.c_str(), a.c_str());
      exit_code_ = 2;
      return false;
    }
  }
  if (on("help")) {
    std::printf("usage: %s\n\nflags:\n", synopsis_.c_str());
    for (const std::string& n : order_) {
      const Flag& f = flags_[n];
      std::printf("  --%-14s %s%s\n", n.c_str(), f.help.c_str(),
                  f.is_bool || f.value.empty() ? "" : (" (default: " + f.value + ")").c_str());
    }
    exit_code_ = 0;
    return false;
  }
  return true;
}

std::string Flags::str(const std::string& name) const { return flags_.at(name).value; }
bool Flags::on(const std::string& name) const {
  const std::string& v = flags_.at(name).value;
  return !v.empty() && v != "0" && v != "false";
}
uint64_t Flags::u64(const std::string& name, uint64_t min, uint64_t max) const {
  const std::string& v = flags_.at(name).value;
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
    throw nic::Error("--" + name + ": '" + v + "' is not a decimal integer in " + range);
  uint64_t x = 0;
  for (const char c : v) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (x > (UINT64_MAX - digit) / 10) throw nic::Error("--" + name + ": " + v + " is out of range " + range);
    x = x * 10 + digit;
  }
  if (x < min || x > max) throw nic::Error("--" + name + ": " + v + " is out of range " + range);
  return x;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void add_stats_flags(Flags& f) {
  f.add("stats-json", "", "also write each second's stats as one JSON object per line to this file ('-' = stdout)");
}

void add_port_flags(Flags& f, const std::string& default_ports) {
  f.add("ports", default_ports,
        "comma-separated ports: a PCI address (VFIO, e.g. 0000:03:00.0) or 'sim' (simulated 82599)");
  f.add("rx-ring", "512", "rx descriptors per queue (power of two, 8..8192)");
  f.add("tx-ring", "512", "tx descriptors per queue (power of two, 8..8192)");
  f.add("link-timeout", "10000", "ms to wait for link at start (0 = don't wait)");
  f.add("sim-mode", "virtual",
        "simulated ports: 'threaded' (the device runs in its own thread, paced to the clock, as a card does), "
        "'realtime' (same pacing, simulated on the app's thread between polls) or 'virtual' (fixed 1 us steps "
        "as fast as the host runs; stats per virtual second)");
  f.add("sim-model", "functional",
        "simulated ports: 'timed' (cycle-approximate: PCIe, descriptor caches, packet buffers) or 'functional' "
        "(same registers, rings and counters, no time inside the device: fastest)");
  f.add("sim-scale", "1.0", "simulated ports, threaded/realtime: virtual seconds per wall second (e.g. 0.1)");
  f.add("user", "", "after init, drop root privileges to this user (name or uid:gid)");
  f.add("pcap", "", "simulated ports: write every frame on their wires, both directions, to this pcap file "
        "(nanosecond timestamps in virtual time)");
}

PortOptions port_options_from(const Flags& f) {
  PortOptions o;
  for (const char* ring : {"rx-ring", "tx-ring"})
    if (const uint64_t n = f.u64(ring); n > nic::kMaxRingSize || !nic::valid_ring_size(static_cast<uint32_t>(n)))
      throw nic::Error(std::string("--") + ring + " " + f.str(ring) + ": must be a power of two in 8..8192");
  o.device.rx_ring_size = f.u32("rx-ring");
  o.device.tx_ring_size = f.u32("tx-ring");
  o.device.link_timeout_ms = f.u32("link-timeout", 0, 3'600'000);
  const std::string mode = f.str("sim-mode");
  if (mode == "realtime") o.sim_mode = SimMode::kRealTime;
  else if (mode == "virtual") o.sim_mode = SimMode::kVirtual;
  else if (mode == "threaded") o.sim_mode = SimMode::kThreaded;
  else throw nic::Error("--sim-mode: '" + mode + "' is not one of threaded, realtime, virtual");
  const std::string model = f.str("sim-model");
  if (model == "timed") o.sim_model = SimModel::kTimed;
  else if (model == "functional") o.sim_model = SimModel::kFunctional;
  else throw nic::Error("--sim-model: '" + model + "' is not one of timed, functional");
  const std::string scale = f.str("sim-scale");
  char* end = nullptr;
  o.sim_scale = std::strtod(scale.c_str(), &end);
  if (scale.empty() || *end != '\0' || !(o.sim_scale > 0 && o.sim_scale <= 1000))
    throw nic::Error("--sim-scale: '" + scale + "' is not a number in (0, 1000]");
  o.drop_to = f.str("user");
  o.pcap_path = f.str("pcap");
  if (!o.drop_to.empty()) check_user(o.drop_to);  // a bad --user fails before any device is touched
  return o;
}

// ---------------------------------------------------------------------------------------------------------
namespace {
uint64_t wall_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}
}  // namespace

StatsPrinter::StatsPrinter(PortSet& ports, const std::string& json_path)
    : ports_(ports),
      last_no_buf_(ports.devices.size()),
      last_bad_desc_(ports.devices.size()),
      last_pace_(ports.devices.size()),
      pace_delta_(ports.devices.size()),
      first_ns_(ports.now_ns()),
      first_wall_ns_(wall_ns()),
      last_ns_(first_ns_),
      last_wall_ns_(first_wall_ns_),
      totals_(ports.devices.size()),
      last_(ports.devices.size()) {
  if (json_path == "-") {
    json_ = stdout;
  } else if (!json_path.empty()) {
    json_ = std::fopen(json_path.c_str(), "we");
    if (json_ == nullptr) throw nic::Error("--stats-json " + json_path + ": " + std::strerror(errno));
    json_owned_ = true;
  }
}

StatsPrinter::~StatsPrinter() {
  if (json_owned_) std::fclose(json_);
}

void StatsPrinter::write_json(const std::vector<nic::DeviceStats>& per_port, double secs, double wall_secs, bool final) {
  if (json_ == nullptr) return;
  nlohmann::json j;
  j["second"] = seconds_;
  j["clock"] = ports_.simulated() ? "virtual" : "wall";
  j["clock_seconds"] = secs;
  j["wall_seconds"] = wall_secs;
  if (ports_.simulated()) j["sim_speed"] = wall_secs > 0 ? secs / wall_secs : 0.0;
  if (final) j["final"] = true;
  j["ports"] = nlohmann::json::array();
  for (size_t i = 0; i < per_port.size(); ++i) {
    const nic::DeviceStats& s = per_port[i];
    uint64_t no_buf = 0, bad_desc = 0;  // the driver's own drops, summed over the port's rx queues
    for (uint16_t q = 0; q < ports_.devices[i]->rx_queues(); ++q) {
      no_buf += ports_.devices[i]->rx_ring_stats(q).no_buf;
      bad_desc += ports_.devices[i]->rx_ring_stats(q).bad_desc;
    }
    const uint64_t no_buf_delta = final ? no_buf : no_buf - last_no_buf_[i];
    const uint64_t bad_desc_delta = final ? bad_desc : bad_desc - last_bad_desc_[i];
    last_no_buf_[i] = no_buf;
    last_bad_desc_[i] = bad_desc;
    j["ports"].push_back({{"name", ports_.names[i]},
                          {"rx_packets", s.rx_packets},
                          {"rx_bytes", s.rx_bytes},
                          {"tx_packets", s.tx_packets},
                          {"tx_bytes", s.tx_bytes},
                          {"drops",
                           {{"device_rx_missed", s.rx_missed},
                            {"device_rx_no_desc", s.rx_no_desc},
                            {"device_rx_crc_errors", s.rx_crc_errors},
                            {"driver_no_buf", no_buf_delta},
                            {"driver_bad_desc", bad_desc_delta}}}});
    if (ports_.simulated()) j["ports"].back()["drops"]["sim_pace"] = final ? totals_[i].rx_pace : pace_delta_[i];
  }
  std::fprintf(json_, "%s\n", j.dump().c_str());
  std::fflush(json_);
}

uint64_t StatsPrinter::pace_drops(size_t i) const {
  return ports_.group ? ports_.group->pace_drops(*ports_.backends[i]) : 0;
}

nic::DeviceStats StatsPrinter::sample(size_t i) {
  nic::DeviceStats s;
  ports_.devices[i]->read_stats(s);
  PortCounters& t = totals_[i];
  // Read after the device's counters: a pace drop counted here is already in rx_missed/rx_no_desc.
  const uint64_t pace = pace_drops(i);
  pace_delta_[i] = pace - last_pace_[i];
  last_pace_[i] = pace;
  t.rx_pace += pace_delta_[i];
  t.rx_packets += s.rx_packets;
  t.tx_packets += s.tx_packets;
  t.rx_bytes += s.rx_bytes;
  t.tx_bytes += s.tx_bytes;
  t.rx_missed += s.rx_missed + s.rx_no_desc;
  t.rx_no_desc += s.rx_no_desc;
  t.rx_crc_errors += s.rx_crc_errors;
  return s;
}

bool StatsPrinter::maybe_print() {
  const uint64_t now = ports_.now_ns();
  if (now - last_ns_ < 1'000'000'000ull) return false;
  const double secs = static_cast<double>(now - last_ns_) / 1e9;
  last_ns_ = now;
  const uint64_t wall = wall_ns();
  const double wall_secs = static_cast<double>(wall - last_wall_ns_) / 1e9;
  last_wall_ns_ = wall;
  ++seconds_;
  if (!ports_.simulated()) {
    std::printf("[clock] wall second %llu\n", static_cast<unsigned long long>(seconds_));
  } else {
    const bool paced = ports_.group->paced();
    std::printf("[clock] virtual second %llu (%s): simulated at %.2fx real time (%.2f wall s)%s\n",
                static_cast<unsigned long long>(seconds_), paced ? "paced to the wall clock" : "as fast as the host runs",
                wall_secs > 0 ? secs / wall_secs : 0.0, wall_secs,
                paced && wall_secs > 0 && secs / wall_secs < 0.95
                    ? "; the simulation is behind the wall clock: drops below split into the pace's and the driver's "
                      "(for loss-free runs use --sim-mode virtual)"
                    : "");
  }
  std::vector<nic::DeviceStats> per_port;
  for (size_t i = 0; i < ports_.devices.size(); ++i) {
    const nic::DeviceStats s = per_port.emplace_back(sample(i));
    // ixy's figures: Mbit/s include the 20 bytes of preamble and inter-frame gap per frame.
    auto mbit = [&](uint64_t bytes, uint64_t pkts) { return (static_cast<double>(bytes) + pkts * 20.0) * 8 / 1e6 / secs; };
    const uint64_t dropped = s.rx_missed + s.rx_no_desc;
    char split[160] = "";
    if (ports_.simulated() && ports_.group->paced()) {
      const uint64_t pace = std::min(pace_delta_[i], dropped);
      std::snprintf(split, sizeof split, " (%.2f by the simulation's pace, %.2f by the driver: rx ring empty)",
                    static_cast<double>(pace) / 1e6 / secs, static_cast<double>(dropped - pace) / 1e6 / secs);
    }
    std::printf("[%s] RX: %.2f Mpps, %.0f Mbit/s, %.2f Mpps dropped%s\n", ports_.names[i].c_str(),
                static_cast<double>(s.rx_packets) / 1e6 / secs, mbit(s.rx_bytes, s.rx_packets),
                static_cast<double>(dropped) / 1e6 / secs, split);
    std::printf("[%s] TX: %.2f Mpps, %.0f Mbit/s\n", ports_.names[i].c_str(),
                static_cast<double>(s.tx_packets) / 1e6 / secs, mbit(s.tx_bytes, s.tx_packets));
  }
  std::fflush(stdout);
  write_json(per_port, secs, wall_secs, false);
  return true;
}

void StatsPrinter::print_totals() {
  std::vector<nic::DeviceStats> run;
  for (size_t i = 0; i < ports_.devices.size(); ++i) {
    sample(i);  // the last partial second
    const PortCounters& t = totals_[i];
    run.push_back({.rx_packets = t.rx_packets, .tx_packets = t.tx_packets, .rx_bytes = t.rx_bytes,
                   .tx_bytes = t.tx_bytes, .rx_missed = t.rx_missed - t.rx_no_desc, .rx_no_desc = t.rx_no_desc,
                   .rx_crc_errors = t.rx_crc_errors});
    char split[128] = "";
    if (ports_.simulated() && ports_.group->paced())
      std::snprintf(split, sizeof split, ": %llu by the simulation's pace, %llu by the driver",
                    static_cast<unsigned long long>(std::min(t.rx_pace, t.rx_missed)),
                    static_cast<unsigned long long>(t.rx_missed - std::min(t.rx_pace, t.rx_missed)));
    std::printf("[%s] total: rx %llu packets (%llu dropped by the device%s), tx %llu packets\n", ports_.names[i].c_str(),
                static_cast<unsigned long long>(t.rx_packets), static_cast<unsigned long long>(t.rx_missed), split,
                static_cast<unsigned long long>(t.tx_packets));
  }
  const uint64_t now = ports_.now_ns(), wall = wall_ns();
  write_json(run, static_cast<double>(now - first_ns_) / 1e9, static_cast<double>(wall - first_wall_ns_) / 1e9, true);
}

// ---------------------------------------------------------------------------------------------------------
namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

bool stop_requested() { return g_stop != 0; }
void install_signal_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

int run_main(const std::function<int()>& body) {
  try {
    return body();
  } catch (const nic::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace app
