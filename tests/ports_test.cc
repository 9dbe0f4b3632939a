// The app layer's port registry (tools/ports.h), linked without the simulator: a kind of port is whatever a
// linked library registers; `sim` without //tools:sim_ports is a clear error. The registered kind here is
// the null 82599 of the benchmarks (sim/fakes/null_nic.h: registers only, no simulator).
#include "tools/ports.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "driver/seam/error.h"
#include "driver/seam/log.h"
#include "driver/ixgbe/regs.h"
#include "sim/fakes/null_nic.h"

namespace {

std::vector<std::string> g_calls;  // what the registered group was asked, in order

class NullPorts final : public app::PortGroup {
 public:
  explicit NullPorts(const app::PortOptions& opt) { g_calls.push_back("open:" + std::to_string(opt.device.rx_ring_size)); }
  ~NullPorts() override { g_calls.push_back("destroyed"); }
  std::unique_ptr<nic::Backend> add_port() override {
    g_calls.push_back("add_port");
    auto nic = std::make_unique<sim::NullNic>("null:" + std::to_string(nics_.size()));
    nics_.push_back(nic.get());
    return nic;
  }
  // Records whether the driver has programmed port 0's rx ring yet (RDBAL(0) is 0 until init does).
  void connect() override { g_calls.push_back(std::string("connect:") + (initialized() ? "after init" : "before init")); }
  void start() override { g_calls.push_back(std::string("start:") + (initialized() ? "after init" : "before init")); }
  void pump() override { g_calls.push_back("pump"); }
  void settle(uint64_t) override { g_calls.push_back("settle"); }
  void stop() override { g_calls.push_back("stop"); }
  bool paced() const override { return false; }
  bool runs_itself() const override { return false; }
  uint64_t pace_drops(const nic::Backend&) const override { return 0; }
  std::optional<uint64_t> sink_frames() const override { return std::nullopt; }

 private:
  bool initialized() const { return nics_.at(0)->read32(nic::ixgbe::RDBAL.at(0)) != 0; }
  std::vector<sim::NullNic*> nics_;
};

const bool kRegistered = [] {
  app::register_port_kind("null", [](const app::PortOptions& opt) { return std::make_unique<NullPorts>(opt); });
  return true;
}();

class Ports : public ::testing::Test {
 protected:
  Ports() {
    nic::set_log_level(nic::LogLevel::kError);
    g_calls.clear();
    opt.device.link_timeout_ms = 0;
  }
  app::PortOptions opt;
};

TEST_F(Ports, ARegisteredKindIsOpenedThroughItsGroupInOrder) {
  ASSERT_TRUE(kRegistered);
  EXPECT_EQ(app::port_kinds(), "null") << "this test links no simulator";
  {
    auto ps = app::open_ports({"null", "null"}, opt);
    ASSERT_EQ(ps->devices.size(), 2u);
    EXPECT_EQ(ps->devices[0]->driver_name(), "ixgbe");
    EXPECT_EQ(ps->names, (std::vector<std::string>{"null:0", "null:1"}));
    EXPECT_TRUE(ps->simulated());
    EXPECT_EQ(g_calls, (std::vector<std::string>{"open:512", "add_port", "add_port", "connect:before init",
                                                 "start:after init"}))
        << "one group for both ports; wired before the devices open, started after";
    ps->pump();
    ps->settle();
  }
  // Teardown: the group stops first, the devices shut down, the group goes last (after the backends).
  EXPECT_EQ(g_calls.back(), "destroyed");
  EXPECT_EQ(g_calls[g_calls.size() - 2], "stop");
}

TEST_F(Ports, SimWithoutTheSimulatorLinkedIsAClearError) {
  EXPECT_THAT([&] { app::open_ports({"sim"}, opt); },
              testing::ThrowsMessage<nic::Error>(testing::HasSubstr("built without the simulator")));
}

TEST_F(Ports, CaptureNeedsPortsThatHaveWiresAndAnEmptyListIsAnError) {
  EXPECT_THROW(app::open_ports({}, opt), nic::Error);
  opt.pcap_path = "/tmp/ports_test.pcap";
  EXPECT_THAT([&] { app::open_ports({"0000:99:00.0"}, opt); },
              testing::ThrowsMessage<nic::Error>(testing::HasSubstr("--pcap captures simulated wires")));
}

}  // namespace
