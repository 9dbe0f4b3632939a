// Shared plumbing for the apps: command-line flags, the port flags, ixy-style per-second statistics. Ports
// themselves (VFIO, or a kind some linked library provides, such as `sim`) are tools/ports.h.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "driver/device/device.h"
#include "tools/ports.h"

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
std::vector<std::string> split(const std::string& s, char sep);

// Stop flag set by SIGINT/SIGTERM.
bool stop_requested();
void install_signal_handlers();

}  // namespace app
