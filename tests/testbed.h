// Test fixtures: simulated 82599 ports on one virtual clock, cabled back to back, plus helpers that make
// and check test frames.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "driver/device/device.h"
#include "driver/seam/log.h"
#include "sim/diag.h"
#include "sim/sim_backend.h"
#include "sim/world.h"

namespace testbed {

// Simulated ports in tests run in strict mode (sim/strict.h) unless a test asks otherwise: the driver must
// follow every datasheet rule the simulator knows.
inline constexpr bool kStrictByDefault = true;

inline sim::IxgbeConfig port_config(int i, bool strict = kStrictByDefault) {
  sim::IxgbeConfig c;
  c.name = "sim:" + std::to_string(i);
  c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, static_cast<uint8_t>(i)};
  c.strict = strict;
  return c;
}

// A fixture that fails the test if any simulated device in the process reported a diagnostic while it ran:
// with strict ports, "the driver broke no datasheet rule and no DMA faulted".
class NoDiagnostics : public ::testing::Test {
 protected:
  void SetUp() override { start_ = sim::diagnostics_reported().load(); }
  void TearDown() override {
    EXPECT_EQ(sim::diagnostics_reported().load() - start_, 0u)
        << "simulated devices reported diagnostics during this test (Ixgbe82599::diag().summary() names them)";
  }

 private:
  uint64_t start_ = 0;
};

// Two simulated ports cabled to each other.
struct CabledPair {
  sim::World world;
  sim::SimNic a{world, port_config(0)};
  sim::SimNic b{world, port_config(1)};
  explicit CabledPair(sim::Fidelity fidelity = sim::Fidelity::kTimed) : world({}, fidelity) {
    nic::set_log_level(nic::LogLevel::kWarn);
    sim::Ixgbe82599::cable(a.device(), b.device());
  }
};

// A 60..1514-byte Ethernet frame: broadcast-free unicast to `dst`, payload carrying `seq` and a pattern.
inline void make_frame(uint8_t* p, uint32_t len, const nic::MacAddr& dst, uint32_t seq) {
  std::memcpy(p, dst.data(), 6);
  const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
  std::memcpy(p + 6, src, 6);
  p[12] = 0x88;  // local experimental ethertype
  p[13] = 0xB5;
  std::memcpy(p + 14, &seq, 4);
  for (uint32_t i = 18; i < len; ++i) p[i] = static_cast<uint8_t>(seq * 7 + i);
}

inline std::vector<uint8_t> frame_bytes(uint32_t len, const nic::MacAddr& dst, uint32_t seq) {
  std::vector<uint8_t> f(len);
  make_frame(f.data(), len, dst, seq);
  return f;
}

// Names the fidelity in parameterized test names: Timed / Functional.
inline std::string fidelity_name(const ::testing::TestParamInfo<sim::Fidelity>& info) {
  return info.param == sim::Fidelity::kTimed ? "Timed" : "Functional";
}

}  // namespace testbed
