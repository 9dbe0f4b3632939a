// The `sim` kind of port (tools/ports.h): simulated 82599s in this process, one virtual world for all of a
// run's `sim` ports. Linking //tools:sim_ports registers it; a program without it opens VFIO ports only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/pcap_tap.h"
#include "sim/runner.h"
#include "sim/sim_backend.h"
#include "sim/traffic.h"
#include "sim/world.h"
#include "tools/ports.h"

namespace app {

// --sim-model's value for programs that build a simulator themselves (soak, nicsim_server): "timed" or
// "functional"; throws nic::Error naming the choices otherwise.
sim::Fidelity sim_model_from(const std::string& name);
sim::Fidelity fidelity(SimModel model);

class SimPorts final : public PortGroup {
 public:
  explicit SimPorts(const PortOptions& opt);
  ~SimPorts() override;

  std::unique_ptr<nic::Backend> add_port() override;
  void connect() override;
  void start() override;
  void pump() override { runner_->pump(); }
  void settle(uint64_t limit_ns) override { runner_->settle(limit_ns); }
  void stop() override {
    if (runner_) runner_->stop();
  }
  bool paced() const override { return runner_->mode() != sim::Runner::Mode::kQuantum; }
  bool runs_itself() const override { return runner_->mode() == sim::Runner::Mode::kThreaded; }
  uint64_t pace_drops(const nic::Backend& port) const override;
  std::optional<uint64_t> sink_frames() const override;

  sim::World& world() { return world_; }
  // SimWiring::kTrafficIn: frames the generator into port `i` (of this group) has sent.
  uint64_t frames_generated(size_t i) const { return generators_.at(i)->sent(); }

 private:
  sim::Endpoint* wire_to(sim::Endpoint* dst);  // through a capture tap when --pcap

  PortOptions opt_;
  sim::World world_;
  std::vector<sim::SimNic*> nics_;  // the backends open_ports() owns, in port order
  std::vector<std::unique_ptr<sim::Sink>> sinks_;
  std::vector<std::unique_ptr<sim::TrafficGen>> generators_;
  std::unique_ptr<sim::PcapWriter> pcap_;            // --pcap: every frame on the simulated wires
  std::vector<std::unique_ptr<sim::PcapTap>> taps_;  // its capture points, one per wire direction
  std::unique_ptr<sim::Runner> runner_;
};

}  // namespace app
