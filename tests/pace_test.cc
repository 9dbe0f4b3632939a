// How the simulator tells its own pace from the driver's lateness (sim/runner.h, sim/sim_backend.h):
//   - a tail write posted by the driver (threaded mode's doorbell) but not yet taken in by the device counts
//     as on its way: a frame that finds the ring full waits for it in the packet buffer instead of being
//     dropped for want of a descriptor;
//   - a drop that happens while the world simulates time the host spent simulating (World::behind_pace())
//     is counted as the pace's (Counters::rx_pace_drops), any other as the driver's.
// Deterministic: the hook and the flag are set by hand, under both models.
#include <gtest/gtest.h>

#include "driver/device/device.h"
#include "driver/ixgbe/regs.h"
#include "sim/runner.h"
#include "tests/testbed.h"

namespace {

using testbed::CabledPair;

class Pace : public ::testing::TestWithParam<sim::Fidelity> {
 protected:
  static nic::DeviceConfig small_rings() {
    nic::DeviceConfig c;
    c.rx_ring_size = 64;  // 63 frames fill it (one slot stays empty)
    c.tx_ring_size = 64;
    return c;
  }
  // Fills port b's rx ring (the driver does not poll), then injects `extra` more frames.
  void fill_then(CabledPair& p, uint32_t extra) {
    for (uint32_t i = 0; i < 63 + extra; ++i)
      p.world.inject(&p.b.device(), testbed::frame_bytes(60, p.b.device().config().mac, i), p.world.now() + i * 100);
    p.world.run_idle(10'000'000);
  }
};

TEST_P(Pace, AFrameFindingTheRingFullIsDroppedWhenNoTailIsOnItsWay) {
  CabledPair p(GetParam());
  auto db = nic::open_device(p.b, small_rings());
  fill_then(p, 1);
  EXPECT_EQ(p.b.device().counters().rx_no_desc, 1u) << "SRRCTL.DROP_EN: dropped at once";
  EXPECT_EQ(p.b.device().rx_fifo_frames(), 0u);
  EXPECT_EQ(p.b.device().counters().rx_pace_drops, 0u) << "not while behind pace: the driver's drop";
}

TEST_P(Pace, AFrameWaitsInThePacketBufferForAPostedTail) {
  CabledPair p(GetParam());
  auto db = nic::open_device(p.b, small_rings());
  bool posted = true;
  p.b.device().rx_doorbell_posted = [&](uint32_t q) { return q == 0 && posted; };
  fill_then(p, 1);
  EXPECT_EQ(p.b.device().counters().rx_no_desc, 0u) << "the tail is on its way: not a drop";
  EXPECT_EQ(p.b.device().rx_fifo_frames(), 1u) << "waiting in the packet buffer";
  // The doorbell arrives: the driver's refill (its RDT write) delivers the waiting frame.
  posted = false;
  std::vector<nic::Packet> rx(64);
  uint32_t got = 0;
  for (int round = 0; round < 10 && got < 64; ++round) {
    const size_t n = db->rx_batch(0, rx);
    for (size_t i = 0; i < n; ++i) {
      uint32_t seq;
      std::memcpy(&seq, rx[i].data() + 14, 4);
      EXPECT_EQ(seq, got + i) << "in order, none lost";
      rx[i].reset();
    }
    got += static_cast<uint32_t>(n);
    p.world.run_idle(1'000'000);
  }
  EXPECT_EQ(got, 64u);
  EXPECT_EQ(p.b.device().counters().rx_no_desc + p.b.device().counters().rx_missed, 0u);
}

TEST_P(Pace, DropsWhileBehindPaceAreThePacesAndOnlyThose) {
  CabledPair p(GetParam());
  auto db = nic::open_device(p.b, small_rings());
  fill_then(p, 2);  // two of the driver's drops
  p.world.set_behind_pace(true);
  for (uint32_t i = 0; i < 3; ++i) p.world.inject(&p.b.device(), testbed::frame_bytes(60, p.b.device().config().mac, 100 + i), p.world.now());
  p.world.run_idle(1'000'000);
  p.world.set_behind_pace(false);
  p.world.inject(&p.b.device(), testbed::frame_bytes(60, p.b.device().config().mac, 200), p.world.now());
  p.world.run_idle(1'000'000);
  const auto& c = p.b.device().counters();
  EXPECT_EQ(c.rx_no_desc + c.rx_missed, 6u);
  EXPECT_EQ(c.rx_pace_drops, 3u);
}

// The realtime runner: of a step, the part standing for the previous step's simulation time runs behind
// pace. A step that took no simulation time (nothing happened) leaves nothing to the pace; with traffic
// the host's simulation time is never zero, so some virtual time (and no more than was stepped) is the pace's.
TEST_P(Pace, TheRealtimeRunnerSimulatesItsOwnTimeBehindPace) {
  CabledPair p(GetParam());
  auto db = nic::open_device(p.b, small_rings());
  struct Probe : sim::EventTarget {
    sim::World* world;
    uint64_t behind = 0, total = 0;
    void on_event(uint32_t, uint64_t) override {
      ++total;
      behind += world->behind_pace();
      world->schedule(world->now() + 1000, this, 0);  // every microsecond of virtual time
    }
  } probe;
  probe.world = &p.world;
  p.world.schedule(p.world.now() + 1000, &probe, 0);
  sim::Runner runner(p.world, sim::Runner::Mode::kRealTime);
  const uint64_t t0 = p.world.now();
  while (p.world.now() - t0 < 20'000'000) runner.pump();  // 20 ms of virtual time
  EXPECT_GT(probe.behind, 0u) << "the runner's own simulation time is simulated behind pace";
  EXPECT_LT(probe.behind, probe.total) << "and the driver's part is not";
  EXPECT_FALSE(p.world.behind_pace()) << "cleared after every step";
}

INSTANTIATE_TEST_SUITE_P(BothModels, Pace, ::testing::Values(sim::Fidelity::kTimed, sim::Fidelity::kFunctional),
                         testbed::fidelity_name);

}  // namespace
