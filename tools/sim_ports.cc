#include "tools/sim_ports.h"

#include <algorithm>
#include <mutex>

#include "driver/seam/error.h"

namespace app {

sim::Fidelity sim_model_from(const std::string& name) {
  if (name == "timed") return sim::Fidelity::kTimed;
  if (name == "functional") return sim::Fidelity::kFunctional;
  throw nic::Error("--sim-model: '" + name + "' is not one of timed, functional");
}

sim::Fidelity fidelity(SimModel model) {
  return model == SimModel::kTimed ? sim::Fidelity::kTimed : sim::Fidelity::kFunctional;
}

SimPorts::SimPorts(const PortOptions& opt) : opt_(opt), world_({}, fidelity(opt.sim_model)) {}

SimPorts::~SimPorts() { stop(); }

std::unique_ptr<nic::Backend> SimPorts::add_port() {
  sim::IxgbeConfig c;
  c.name = "sim:" + std::to_string(nics_.size());
  c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, static_cast<uint8_t>(nics_.size())};
  auto nic = std::make_unique<sim::SimNic>(world_, c);
  nics_.push_back(nic.get());
  return nic;
}

// --pcap: a tap in front of every receiver on a simulated wire, so each frame is captured once, in the
// direction it travels.
sim::Endpoint* SimPorts::wire_to(sim::Endpoint* dst) {
  if (!pcap_) return dst;
  taps_.push_back(std::make_unique<sim::PcapTap>(*pcap_, dst));
  return taps_.back().get();
}

// Wires the ports before their devices are opened, so links come up during init.
void SimPorts::connect() {
  if (!opt_.pcap_path.empty()) pcap_ = std::make_unique<sim::PcapWriter>(opt_.pcap_path);
  switch (opt_.wiring) {
    case SimWiring::kPairCabled:
      if (nics_.size() == 2) {
        sim::Ixgbe82599::cable(nics_[0]->device(), nics_[1]->device(), wire_to(&nics_[1]->device()),
                               wire_to(&nics_[0]->device()));
        break;
      }
      [[fallthrough]];
    case SimWiring::kSinkOnly:
    case SimWiring::kTrafficIn:
      for (sim::SimNic* s : nics_) {
        sinks_.push_back(std::make_unique<sim::Sink>());
        sinks_.back()->keep = false;
        s->device().connect(wire_to(sinks_.back().get()));
      }
      break;
  }
  const sim::Runner::Mode mode = opt_.sim_mode == SimMode::kThreaded   ? sim::Runner::Mode::kThreaded
                                 : opt_.sim_mode == SimMode::kRealTime ? sim::Runner::Mode::kRealTime
                                                                       : sim::Runner::Mode::kQuantum;
  runner_ = std::make_unique<sim::Runner>(world_, mode, 1000, opt_.sim_scale);
}

void SimPorts::start() {
  if (opt_.wiring != SimWiring::kTrafficIn) return;
  for (sim::SimNic* s : nics_) {
    sim::TrafficSpec spec;
    spec.frame_size = opt_.traffic.frame_size;
    spec.flows = opt_.traffic.flows;
    spec.rate_pps = opt_.traffic.rate_pps;
    // The functional model: one event per microsecond of traffic instead of one per frame.
    if (opt_.sim_model == SimModel::kFunctional) spec.burst_ns = 1000;
    std::copy(s->device().config().mac.begin(), s->device().config().mac.end(), spec.dst_mac);
    generators_.push_back(std::make_unique<sim::TrafficGen>(world_, wire_to(&s->device()), spec));
    generators_.back()->start(world_.now());
  }
}

uint64_t SimPorts::pace_drops(const nic::Backend& port) const {
  for (sim::SimNic* s : nics_) {
    if (s != &port) continue;
    std::lock_guard lock(s->world().mutex());
    return s->device().counters().rx_pace_drops;
  }
  return 0;
}

std::optional<uint64_t> SimPorts::sink_frames() const {
  if (sinks_.empty()) return std::nullopt;
  return sinks_[0]->frames;
}

namespace {
const bool kRegistered = [] {
  register_port_kind("sim", [](const PortOptions& opt) { return std::make_unique<SimPorts>(opt); });
  return true;
}();
}  // namespace

}  // namespace app
