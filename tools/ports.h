// Ports as the apps open them, whatever backs them. A port is named on the command line: a PCI address
// (0000:03:00.0) means real hardware through VFIO; any other name is a kind of port some library linked
// into the program provides: `sim` (a simulated 82599 in this process) is registered by //tools:sim_ports
// (tools/sim_ports.cc). The app layer knows no simulator: it sees a PortGroup, the part of the ports that is
// not their devices (for `sim`: the virtual world, its wires, captures and traffic, and what runs it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "driver/device/device.h"

namespace app {

// How simulated ports are connected, per app.
enum class SimWiring {
  kPairCabled,  // sim ports 0 and 1 cabled to each other
  kTrafficIn,   // each sim port: a line-rate traffic generator in, a sink on its tx
  kSinkOnly,    // each sim port: tx into a sink, nothing in
};
// What runs simulated ports (--sim-mode): their own device thread paced to the wall clock, the app's thread
// between polls with the same pacing, or fixed 1 us steps of virtual time as fast as the host runs.
enum class SimMode { kThreaded, kRealTime, kVirtual };
enum class SimModel { kTimed, kFunctional };  // --sim-model: cycle-approximate or functional
struct SimTraffic {                           // kTrafficIn: line-rate frames into every simulated port
  uint32_t frame_size = 60;                   // bytes without FCS
  uint32_t flows = 0;                         // 0: raw frames; N: IPv4/UDP frames of N flows (for RSS)
  double rate_pps = 0;                        // per port; 0 = 10G line rate for the frame size
};

struct PortOptions {
  nic::DeviceConfig device;
  SimWiring wiring = SimWiring::kPairCabled;
  SimTraffic traffic;
  SimMode sim_mode = SimMode::kVirtual;
  SimModel sim_model = SimModel::kFunctional;
  double sim_scale = 1.0;
  std::string drop_to;    // user[:group] or uid:gid to switch to after init (VFIO ports); empty = stay
  std::string pcap_path;  // simulated ports: capture both directions of every wire here; empty = none
};

// The ports of one kind, opened together (for `sim`: one virtual world), in the order open_ports() calls:
// add_port() per port, connect(), the devices are opened on the backends, start().
class PortGroup {
 public:
  virtual ~PortGroup() = default;
  // One more port of this kind (command-line order), before any device is opened.
  virtual std::unique_ptr<nic::Backend> add_port() = 0;
  // After the last add_port(), before the devices are opened (links come up during init): wires, captures,
  // and whatever runs the ports.
  virtual void connect() = 0;
  // After the devices are opened: traffic sources start.
  virtual void start() = 0;
  // The app's loop lets the ports run (e.g. advances virtual time); a no-op where they run by themselves.
  virtual void pump() = 0;
  // Let frames already on the wire arrive (at most `limit_ns` of the group's time).
  virtual void settle(uint64_t limit_ns) = 0;
  // Stops whatever runs the ports on its own (a device thread), before the devices shut down.
  virtual void stop() = 0;
  // The group's clock is its own (virtual time); paced(): paced to the wall clock; runs_itself(): the ports
  // run on a thread of their own, so pump() is not needed for them to make progress.
  virtual bool paced() const = 0;
  virtual bool runs_itself() const = 0;
  // Of the port's receive drops, those the group's pace caused (virtual time standing for wall time the host
  // spent simulating); 0 for a port that is not the group's.
  virtual uint64_t pace_drops(const nic::Backend& port) const = 0;
  // Frames that arrived at the group's sinks (SimWiring::kSinkOnly/kTrafficIn); none without sinks.
  virtual std::optional<uint64_t> sink_frames() const = 0;
};

// A library that provides a kind of port registers it once, at static-initialization time, where it is
// linked (tools/sim_ports.cc does it for `sim`).
using PortGroupFactory = std::function<std::unique_ptr<PortGroup>(const PortOptions&)>;
void register_port_kind(const std::string& kind, PortGroupFactory factory);
// The kinds this program can open besides PCI addresses, comma-separated ("" when none).
std::string port_kinds();

struct PortSet {
  std::unique_ptr<PortGroup> group;  // the ports that are not VFIO ones, when any (one kind per run)
  std::vector<std::unique_ptr<nic::Backend>> backends;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<nic::Device>> devices;  // destroyed first, the group last
  std::string drop_to;  // --user: applied by finish_setup()

  // Drops root privileges if --user asked for it. Apps call it once every device is open and every
  // mempool they need is allocated (DMA mappings made later would count against the new user's limits).
  void finish_setup();

  // Devices may hold each other's buffers (forwarding): stop them all before destroying any. A device
  // thread stops first, so teardown is deterministic.
  ~PortSet() {
    stop_sim();
    for (auto& d : devices) d->shutdown();
  }
  bool simulated() const { return group != nullptr; }
  // Stops the group's own thread (threaded simulation); the ports are then only touched by this thread.
  void stop_sim() {
    if (group) group->stop();
  }
  void pump() {
    if (group) group->pump();
  }
  uint64_t now_ns() { return backends.at(0)->now_ns(); }
  // Simulated ports: let frames already on the wire arrive (at most `limit_ns` of virtual time).
  void settle(uint64_t limit_ns = 10'000'000) {
    if (group) group->settle(limit_ns);
  }
};

// Opens every named port. Throws nic::Error with a one-line message on any failure.
std::unique_ptr<PortSet> open_ports(const std::vector<std::string>& specs, const PortOptions& opt);

}  // namespace app
