// --stats-json: the per-second JSON lines of app::StatsPrinter, parsed back with nlohmann/json and checked
// against the traffic that was offered (two simulated ports, 1514-byte frames at line rate, forwarded).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/app.h"
#include "tools/forward.h"

namespace {

std::string temp_path(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(StatsJsonTest, OneObjectPerSecondThenTotalsThatAddUp) {
  const std::string path = temp_path("stats.json");
  app::PortOptions opt;  // defaults: functional model, virtual time
  opt.wiring = app::SimWiring::kTrafficIn;
  opt.traffic.frame_size = 1514;
  uint64_t forwarded = 0;
  {
    auto ps = app::open_ports({"sim", "sim"}, opt);
    app::StatsPrinter stats(*ps, path);
    std::vector<nic::Packet> bufs(32);
    const uint64_t t0 = ps->now_ns();
    while (ps->now_ns() - t0 < 2'000'000'000ull + 500'000) {
      forwarded += app::forward(*ps->devices[0], *ps->devices[1], bufs);
      forwarded += app::forward(*ps->devices[1], *ps->devices[0], bufs);
      ps->pump();
      stats.maybe_print();
    }
    stats.print_totals();
  }
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));  // throws if not JSON
  ASSERT_EQ(lines.size(), 3u) << "two seconds and the final totals";
  // 10 Gbit/s of 1514-byte frames (+ 4 FCS + 20 preamble/IFG): 812,743 frames a second per port.
  uint64_t rx_sum[2] = {0, 0};
  for (size_t k = 0; k < 2; ++k) {
    const nlohmann::json& j = lines[k];
    EXPECT_EQ(j["second"], k + 1);
    EXPECT_EQ(j["clock"], "virtual");
    EXPECT_GT(j["sim_speed"].get<double>(), 0.0);
    EXPECT_FALSE(j.contains("final"));
    ASSERT_EQ(j["ports"].size(), 2u);
    for (size_t p = 0; p < 2; ++p) {
      const nlohmann::json& port = j["ports"][p];
      EXPECT_EQ(port["name"], "sim:" + std::to_string(p));
      EXPECT_NEAR(port["rx_packets"].get<double>(), 812743, 20) << j.dump();
      EXPECT_EQ(port["rx_bytes"].get<uint64_t>(), port["rx_packets"].get<uint64_t>() * 1518) << "bytes with FCS";
      EXPECT_NEAR(port["tx_packets"].get<double>(), 812743, 40);
      for (const char* drop : {"device_rx_missed", "device_rx_no_desc", "device_rx_crc_errors", "driver_no_buf",
                               "driver_bad_desc", "sim_pace"})
        EXPECT_EQ(port["drops"][drop], 0u) << drop;
      rx_sum[p] += port["rx_packets"].get<uint64_t>();
    }
  }
  const nlohmann::json& total = lines[2];
  EXPECT_EQ(total["final"], true);
  uint64_t tx_total = 0;
  for (size_t p = 0; p < 2; ++p) {
    const uint64_t rx = total["ports"][p]["rx_packets"].get<uint64_t>();
    EXPECT_GE(rx, rx_sum[p]) << "the totals include the seconds printed";
    EXPECT_LT(rx, rx_sum[p] + 1000) << "plus at most the last half millisecond";
    tx_total += total["ports"][p]["tx_packets"].get<uint64_t>();
  }
  EXPECT_EQ(tx_total, forwarded) << "what the device sent is what the driver forwarded";
}

// Paced to the wall clock (realtime mode, 64-byte frames at line rate): whatever this host's speed, the
// drops the simulation's pace caused are a part of the device's drops, per second and in the totals, and the
// text line splits them the same way.
TEST(StatsJsonTest, PaceDropsArePartOfTheDevicesDrops) {
  const std::string path = temp_path("paced.json");
  app::PortOptions opt;
  opt.wiring = app::SimWiring::kTrafficIn;
  opt.sim_mode = app::SimMode::kRealTime;
  opt.sim_scale = 0.5;
  {
    auto ps = app::open_ports({"sim", "sim"}, opt);
    app::StatsPrinter stats(*ps, path);
    std::vector<nic::Packet> bufs(32);
    const uint64_t t0 = ps->now_ns();
    while (ps->now_ns() - t0 < 1'000'000'000ull) {
      app::forward(*ps->devices[0], *ps->devices[1], bufs);
      app::forward(*ps->devices[1], *ps->devices[0], bufs);
      ps->pump();
      stats.maybe_print();
    }
    stats.print_totals();
  }
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_GE(lines.size(), 2u);
  for (const nlohmann::json& j : lines)
    for (const nlohmann::json& port : j["ports"]) {
      const nlohmann::json& d = port["drops"];
      ASSERT_TRUE(d.contains("sim_pace")) << j.dump();
      EXPECT_LE(d["sim_pace"].get<uint64_t>(), d["device_rx_missed"].get<uint64_t>() + d["device_rx_no_desc"].get<uint64_t>())
          << j.dump();
    }
  EXPECT_EQ(lines.back()["final"], true);
}

TEST(StatsJsonTest, UnwritablePathIsAClearError) {
  app::PortOptions opt;
  opt.wiring = app::SimWiring::kSinkOnly;
  auto ps = app::open_ports({"sim"}, opt);
  try {
    app::StatsPrinter stats(*ps, "/nonexistent-dir/stats.json");
    ADD_FAILURE() << "opened a file in a missing directory";
  } catch (const nic::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--stats-json /nonexistent-dir/stats.json: No such file"), std::string::npos)
        << e.what();
  }
}

}  // namespace
