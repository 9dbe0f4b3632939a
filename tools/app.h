// Shared plumbing for the apps: command-line flags, opening ports on any backend, pumping the simulator,
// and ixy-style per-second statistics.
//
// A port is named on the command line: a PCI address (0000:03:00.0) means real hardware through VFIO;
// `sim` means a simulated 82599 in this process. Simulated ports are wired by the app (`SimWiring`).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/device/device.h"
#include "sim/pcap_tap.h"
#include "sim/runner.h"
#include "sim/sim_backend.h"
#include "sim/traffic.h"
#include "sim/world.h"

namespace app {

// Minimal flag parser: --name=value, --name value, --flag. Unknown flags and stray arguments are errors
// (exit 2): a bare word is refused with the flag it probably meant ("0000:03:00.0" -> --ports).
class Flags {
 public:
  Flags(std::string program, std::string synopsis) : program_(std::move(program)), synopsis_(std::move(synopsis)) {}
  void add(const std::string& name, std::string default_value, std::string help);
  void add_bool(const std::string& name, std::string help);
  // Returns false (after printing why, or the help text) when the program should exit; sets exit_code.
  bool parse(int argc, char** argv);
  int exit_code() const { return exit_code_; }
  std::string str(const std::string& name) const;
  // Decimal digits only (no sign, no spaces, no 0x; "010" is ten), within [min, max]; throws nic::Error
  // naming the flag, the value and the range otherwise.
  uint64_t u64(const std::string& name, uint64_t min = 0, uint64_t max = UINT64_MAX) const;
  uint32_t u32(const std::string& name, uint32_t min = 0, uint32_t max = UINT32_MAX) const {
    return static_cast<uint32_t>(u64(name, min, max));
  }
  bool on(const std::string& name) const;

 private:
  struct Flag {
    std::string value, help;
    bool is_bool;
  };
  std::string program_, synopsis_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> order_;
  int exit_code_ = 0;
};

// How simulated ports are connected, per app.
enum class SimWiring {
  kPairCabled,    // sim ports 0 and 1 cabled to each other
  kTrafficIn,     // each sim port: a line-rate traffic generator in, a sink on its tx
  kSinkOnly,      // each sim port: tx into a sink, nothing in
};

struct PortSet {
  explicit PortSet(sim::Fidelity fidelity = sim::Fidelity::kTimed) : world({}, fidelity) {}
  sim::World world;
  std::vector<std::unique_ptr<nic::Backend>> backends;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<nic::Device>> devices;
  std::vector<std::unique_ptr<sim::Sink>> sinks;
  std::vector<std::unique_ptr<sim::TrafficGen>> generators;
  std::unique_ptr<sim::PcapWriter> pcap;              // --pcap: every frame on the simulated wires
  std::vector<std::unique_ptr<sim::PcapTap>> taps;    // its capture points, one per wire direction
  std::unique_ptr<sim::Runner> runner;  // set when any port is simulated
  std::string drop_to;                  // --user: applied by finish_setup()

  // Drops root privileges if --user asked for it. Apps call it once every device is open and every
  // mempool they need is allocated (DMA mappings made later would count against the new user's limits).
  void finish_setup();

  // Devices may hold each other's buffers (forwarding): stop them all before destroying any. A device
  // thread stops first, so teardown is deterministic.
  ~PortSet() {
    stop_sim();
    for (auto& d : devices) d->shutdown();
  }
  // Stops the simulator's device thread (threaded mode); the world is then only touched by this thread.
  void stop_sim() {
    if (runner) runner->stop();
  }

  void pump() {
    if (runner) runner->pump();
  }
  uint64_t now_ns() { return backends.at(0)->now_ns(); }
  // Simulated ports: let frames already on the wire arrive (at most `limit_ns` of virtual time).
  void settle(uint64_t limit_ns = 10'000'000) {
    if (runner) runner->settle(limit_ns);
  }
};

struct PortOptions {
  nic::DeviceConfig device;
  SimWiring wiring = SimWiring::kPairCabled;
  sim::TrafficSpec traffic;
  sim::Runner::Mode sim_mode = sim::Runner::Mode::kQuantum;
  sim::Fidelity sim_model = sim::Fidelity::kFunctional;
  double sim_scale = 1.0;
  std::string drop_to;  // user[:group] or uid:gid to switch to after init (VFIO ports); empty = stay
  std::string pcap_path;  // simulated ports: capture both directions of every wire here; empty = none
};

// Opens every named port. Throws nic::Error with a one-line message on any failure.
std::unique_ptr<PortSet> open_ports(const std::vector<std::string>& specs, const PortOptions& opt);

// Per-port counters as ixy prints them.
struct PortCounters {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0, rx_missed = 0, rx_no_desc = 0,
           rx_crc_errors = 0;
  uint64_t rx_pace = 0;  // simulated ports: of rx_missed, the drops the simulation's pace caused (sim/runner.h)
};

// Prints "[name] RX: x Mpps, y Mbit/s (... missed)" lines for every port once per (device) second, after a
// "[clock]" line that says which clock the second is counted on (virtual time for simulated ports, the wall
// clock for hardware) and, for simulated ports, how fast the simulation ran against real time.
//
// With a JSON path ("-" = standard output), every printed second is also one JSON object on a line of its
// own, for scripts and dashboards:
//   {"second": 3, "clock": "virtual", "clock_seconds": 1.0, "wall_seconds": 0.93, "sim_speed": 1.07,
//    "ports": [{"name": "sim:0", "rx_packets": 14880952, "rx_bytes": ..., "tx_packets": ..., "tx_bytes": ...,
//               "drops": {"device_rx_missed": 0, "device_rx_no_desc": 0, "device_rx_crc_errors": 0,
//                         "driver_no_buf": 0, "driver_bad_desc": 0, "sim_pace": 0}}, ...]}
// sim_pace (simulated ports only) is the part of device_rx_missed + device_rx_no_desc that the simulation's
// pace caused: frames that arrived in virtual time standing for wall time the host spent simulating, when
// the driver could not run (sim/runner.h). The rest of the device's drops are the driver's: it was late.
// Counts are per second; print_totals() writes one more object with "final": true and the run's totals.
// clock is "virtual" for simulated ports ("sim_speed": virtual seconds per wall second), "wall" otherwise.
class StatsPrinter {
 public:
  explicit StatsPrinter(PortSet& ports, const std::string& json_path = "");  // throws nic::Error if unopenable
  ~StatsPrinter();
  StatsPrinter(const StatsPrinter&) = delete;
  StatsPrinter& operator=(const StatsPrinter&) = delete;
  // Call often; prints when a second has passed on the ports' clock. Returns true when it printed.
  bool maybe_print();
  void print_totals();
  const std::vector<PortCounters>& totals() const { return totals_; }

 private:
  nic::DeviceStats sample(size_t port);  // reads (and so clears) the device counters, adds them to totals
  uint64_t pace_drops(size_t port) const;  // lifetime, simulated ports; 0 for hardware
  void write_json(const std::vector<nic::DeviceStats>& per_port, double secs, double wall_secs, bool final);
  PortSet& ports_;
  std::FILE* json_ = nullptr;
  bool json_owned_ = false;
  std::vector<uint64_t> last_no_buf_, last_bad_desc_;  // driver ring counters at the last JSON line
  std::vector<uint64_t> last_pace_, pace_delta_;  // pace drops at the last sample, and in the last second
  uint64_t first_ns_, first_wall_ns_;  // for the final object's totals
  uint64_t last_ns_;
  uint64_t last_wall_ns_;
  uint64_t seconds_ = 0;
  std::vector<PortCounters> totals_, last_;
};

// Runs `body` and turns nic::Error into a one-line message and exit status 1.
int run_main(const std::function<int()>& body);

// Common flags every packet app takes.
void add_port_flags(Flags& f, const std::string& default_ports);
// --stats-json FILE for the apps that print per-second stats (StatsPrinter's json_path).
void add_stats_flags(Flags& f);
PortOptions port_options_from(const Flags& f);
// --sim-model's value: "timed" or "functional"; throws nic::Error naming the choices otherwise.
sim::Fidelity sim_model_from(const std::string& name);
std::vector<std::string> split(const std::string& s, char sep);

// Stop flag set by SIGINT/SIGTERM.
bool stop_requested();
void install_signal_handlers();

}  // namespace app
