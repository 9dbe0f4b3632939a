// MSI-X receive interrupts on the simulated 82599 (deterministic unless a test says otherwise): the driver's
// register programming, an interrupt per received frame through the SimNic's eventfds, EITR moderation in
// virtual time, masked causes, the adaptive poll/interrupt mode of the apps, and eventfd teardown.
#include <dirent.h>
#include <poll.h>

#include <chrono>
#include <gtest/gtest.h>

#include "driver/ixgbe/regs.h"
#include "sim/device_thread.h"
#include "sim/traffic.h"
#include "tests/testbed.h"
#include "tools/app.h"
#include "tools/irq_mode.h"
#include "tools/sim_ports.h"

namespace {

using namespace nic::ixgbe;

size_t open_fds() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// One strict simulated port, its tx into a sink (so the link comes up), frames injected on its wire.
class Irq : public testbed::NoDiagnostics {
 protected:
  Irq() {
    nic::set_log_level(nic::LogLevel::kWarn);
    port.device().connect(&sink);
  }
  // The device opens after NoDiagnostics has taken its baseline, so a rule broken during init fails too.
  void SetUp() override {
    testbed::NoDiagnostics::SetUp();
    dev = nic::open_device(port, nic::DeviceConfig{});
  }
  // `count` frames to this port, one every `spacing_ns`, starting now.
  void send(uint64_t count, uint64_t spacing_ns) {
    sim::TrafficSpec spec;
    spec.count = count;
    spec.rate_pps = 1e9 / static_cast<double>(spacing_ns);
    const auto mac = port.device().config().mac;
    std::copy(mac.begin(), mac.end(), spec.dst_mac);
    gens.push_back(std::make_unique<sim::TrafficGen>(world, &port.device(), spec));
    gens.back()->start(world.now());
  }
  size_t drain() {
    std::vector<nic::Packet> b(64);
    size_t total = 0;
    for (size_t n; (n = dev->rx_batch(0, b)) != 0;) {
      total += n;
      for (size_t i = 0; i < n; ++i) b[i].reset();
    }
    return total;
  }
  uint32_t reg(const nic::reg::RegDef& r, uint32_t i = 0) { return port.device().read32(r.at(i)); }

  sim::World world;
  sim::Sink sink;
  sim::SimNic port{world, testbed::port_config(0)};
  std::unique_ptr<nic::Device> dev;
  std::vector<std::unique_ptr<sim::TrafficGen>> gens;
};

TEST_F(Irq, ProgramsMsixModeIvarEitrAutoClearAndMasksVectors) {
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 100});
  const uint32_t gpie = reg(GPIE);
  EXPECT_TRUE(gpie & gpie::kMsixMode.mask());
  EXPECT_TRUE(gpie & gpie::kPbaSupport.mask());
  EXPECT_TRUE(gpie & gpie::kEiame.mask());
  EXPECT_EQ(reg(IVAR, 0) & 0xFFu, 0x80u) << "rx queue 0 -> vector 0, INT_ALLOC_VAL";
  EXPECT_EQ(eitr::kInterval.get(reg(EITR, 0)), 49u) << "100 us in 2.048 us units (100.352 us)";
  EXPECT_EQ(reg(EIAC) & 1u, 1u);
  EXPECT_EQ(reg(EIAM) & 1u, 1u);
  EXPECT_EQ(reg(EIMS) & 1u, 0u) << "masked until the app waits";
  EXPECT_GE(dev->rx_interrupt_fd(0), 0);
  EXPECT_THROW(dev->enable_interrupts(nic::InterruptConfig{.interval_us = 1100}), nic::Error) << "> 511 units";
}

TEST_F(Irq, InterruptFiresOnRxAndWaitRxReturnsTrue) {
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 0});
  EXPECT_FALSE(dev->wait_rx(0, 0)) << "nothing received";
  ASSERT_FALSE(dev->arm_rx(0));
  send(1, 1000);
  world.advance(50'000);
  EXPECT_EQ(port.device().interrupts(0), 1u);
  EXPECT_TRUE(readable(dev->rx_interrupt_fd(0))) << "the model's interrupt wrote the eventfd";
  EXPECT_EQ(reg(EIMS) & 1u, 0u) << "auto-masked by the message (GPIE.EIAME, EIAM)";
  EXPECT_EQ(reg(EICR) & 1u, 0u) << "auto-cleared by the message (EIAC)";
  dev->disarm_rx(0);
  EXPECT_EQ(dev->rx_interrupts(0), 1u);
  EXPECT_FALSE(readable(dev->rx_interrupt_fd(0))) << "consumed";
  EXPECT_TRUE(dev->wait_rx(0, 0)) << "a frame waits: no sleep";
  EXPECT_EQ(drain(), 1u);
  EXPECT_FALSE(dev->wait_rx(0, 0));
  EXPECT_EQ(port.device().interrupts(0), 1u) << "arming after draining raised nothing stale";

  // The same through wait_rx alone: the frame is already in the ring before the wait.
  send(3, 1000);
  world.advance(50'000);
  EXPECT_TRUE(dev->wait_rx(0, 0));
  EXPECT_EQ(drain(), 3u);
  EXPECT_EQ(port.device().interrupts(0), 1u) << "masked while polling: no interrupt for those frames";
}

TEST_F(Irq, MaskedCausesDoNotFire) {
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 0});
  send(10, 2000);
  world.advance(100'000);
  EXPECT_EQ(port.device().interrupts(0), 0u);
  EXPECT_FALSE(readable(dev->rx_interrupt_fd(0)));
  EXPECT_EQ(drain(), 10u);
  // Unmasking clears the stale cause first: nothing fires for frames already taken.
  ASSERT_FALSE(dev->arm_rx(0));
  world.advance(100'000);
  EXPECT_EQ(port.device().interrupts(0), 0u);
  // Masked again (EIMC) by disarm: a new frame does not fire either.
  dev->disarm_rx(0);
  send(1, 1000);
  world.advance(50'000);
  EXPECT_EQ(port.device().interrupts(0), 0u);
  EXPECT_EQ(dev->rx_interrupts(0), 0u);
  // Armed: it fires.
  EXPECT_TRUE(dev->arm_rx(0)) << "the frame is in the ring";
  dev->disarm_rx(0);
  EXPECT_EQ(drain(), 1u);
}

// Frames every 5 us; the app re-arms right after each interrupt. Interrupts come no closer than the EITR
// interval (100 us -> 49 units = 100.352 us), or once per frame without moderation.
std::vector<uint64_t> interrupt_times(Irq* t, sim::World& world, nic::Device& dev, uint64_t run_ns) {
  std::vector<uint64_t> times;
  EXPECT_FALSE(dev.arm_rx(0));
  const uint64_t end = world.now() + run_ns;
  while (world.now() < end) {
    world.advance(1000);  // 1 us: the resolution of the measurement
    if (readable(dev.rx_interrupt_fd(0))) {
      times.push_back(world.now());
      dev.disarm_rx(0);
      std::vector<nic::Packet> b(64);
      for (size_t n; (n = dev.rx_batch(0, b)) != 0;)
        for (size_t i = 0; i < n; ++i) b[i].reset();
      dev.arm_rx(0);
    }
  }
  dev.disarm_rx(0);
  (void)t;
  return times;
}

TEST_F(Irq, EitrModerationSpacesInterrupts) {
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 100});
  send(400, 5000);  // 2 ms of frames
  const auto times = interrupt_times(this, world, *dev, 2'000'000);
  ASSERT_GE(times.size(), 18u);
  ASSERT_LE(times.size(), 21u);
  for (size_t i = 1; i < times.size(); ++i) {
    const uint64_t gap = times[i] - times[i - 1];
    EXPECT_GE(gap, 100'352u - 1000) << "interrupt " << i;  // 1 us measurement steps
    EXPECT_LE(gap, 100'352u + 1000) << "interrupt " << i;
  }
  EXPECT_EQ(dev->rx_interrupts(0), times.size());
}

TEST_F(Irq, NoModerationMeansOneInterruptPerFrame) {
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 0});
  send(100, 5000);
  const auto times = interrupt_times(this, world, *dev, 600'000);
  EXPECT_EQ(times.size(), 100u);
  for (size_t i = 1; i < times.size(); ++i) EXPECT_LE(times[i] - times[i - 1], 6000u);
}

TEST_F(Irq, TeardownClosesEventfds) {
  const size_t before = open_fds();
  dev->enable_interrupts(nic::InterruptConfig{});
  EXPECT_EQ(open_fds(), before + 1);
  dev->enable_interrupts(nic::InterruptConfig{});  // again: the old eventfd goes
  EXPECT_EQ(open_fds(), before + 1);
  dev.reset();
  EXPECT_EQ(open_fds(), before) << "the device's destruction closed the eventfds";
  // The backend alone, too (vectors given back on destruction).
  {
    sim::SimNic other(world, testbed::port_config(1));
    EXPECT_EQ(other.enable_msix(4).size(), 4u);
    EXPECT_EQ(open_fds(), before + 4);
    EXPECT_THROW(other.enable_msix(25), nic::Error);
  }
  EXPECT_EQ(open_fds(), before);
}

TEST_F(Irq, InterruptsSurviveRecovery) {
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 0});
  port.device().fault_reset();
  world.advance(20'000'000);
  EXPECT_EQ(dev->watchdog(), nic::Health::kRecovered);
  EXPECT_EQ(reg(IVAR, 0) & 0xFFu, 0x80u) << "re-programmed after the reset";
  for (int i = 0; i < 5000 && !dev->link().up; ++i) world.advance(1'000'000);  // the link retrains
  ASSERT_TRUE(dev->link().up);
  ASSERT_FALSE(dev->arm_rx(0));
  send(1, 1000);
  world.advance(50'000);
  EXPECT_TRUE(readable(dev->rx_interrupt_fd(0)));
  dev->disarm_rx(0);
  EXPECT_EQ(drain(), 1u);
}

// Threaded mode: the device thread fires the interrupt while the app really blocks in poll(2).
TEST(IrqThreaded, WaitRxBlocksUntilTheDeviceThreadSignals) {
  nic::set_log_level(nic::LogLevel::kWarn);
  sim::World world;
  sim::Sink sink;
  sim::SimNic port(world, testbed::port_config(0));
  port.device().connect(&sink);
  auto dev = nic::open_device(port, nic::DeviceConfig{});
  dev->enable_interrupts(nic::InterruptConfig{.interval_us = 10});
  sim::TrafficSpec spec;
  spec.count = 1;
  const auto mac = port.device().config().mac;
  std::copy(mac.begin(), mac.end(), spec.dst_mac);
  sim::TrafficGen gen(world, &port.device(), spec);
  sim::DeviceThread thread(world);
  {
    auto lock = thread.pause();
    gen.start(world.now() + 20'000'000);  // 20 ms (virtual, paced to the clock) from now
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(dev->wait_rx(0, 5000));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(5)) << "it slept";
  EXPECT_EQ(dev->rx_interrupts(0), 1u);
  std::vector<nic::Packet> b(4);
  EXPECT_EQ(dev->rx_batch(0, b), 1u);
}

// The apps' adaptive mode (tools/irq_mode.h), one simulated port echoing what it receives, virtual time.
struct Adaptive {
  uint64_t interrupts = 0, forwarded = 0, generated = 0;
  bool interrupt_mode = true;
};

Adaptive run_adaptive(double rate_pps, uint64_t warmup_ns, uint64_t run_ns) {
  app::PortOptions opt;
  opt.wiring = app::SimWiring::kTrafficIn;
  opt.sim_mode = app::SimMode::kVirtual;
  opt.traffic.rate_pps = rate_pps;
  opt.device.link_timeout_ms = 100;
  auto ps = app::open_ports({"sim"}, opt);
  nic::Device& d = *ps->devices[0];
  app::AdaptiveRx irq(*ps, {{&d, 0}}, app::AdaptiveRx::Options{});
  std::vector<nic::Packet> bufs(32);
  Adaptive out;
  auto run = [&](uint64_t ns) {
    const uint64_t end = ps->now_ns() + ns;
    while (ps->now_ns() < end) {
      const size_t n = d.rx_batch(0, bufs);
      const size_t sent = d.tx_batch(0, std::span(bufs.data(), n));
      for (size_t i = sent; i < n; ++i) bufs[i].reset();
      out.forwarded += n;
      ps->pump();
      irq.after_round(n);
    }
  };
  run(warmup_ns);
  const uint64_t irq0 = irq.interrupts(), fwd0 = out.forwarded;
  run(run_ns);
  out.interrupts = irq.interrupts() - irq0;
  out.forwarded -= fwd0;
  out.interrupt_mode = irq.interrupt_mode();
  out.generated = static_cast<app::SimPorts&>(*ps->group).frames_generated(0);
  return out;
}

TEST(IrqAdaptive, InterruptsAtLowRateNoneAtHighRate) {
  nic::set_log_level(nic::LogLevel::kWarn);
  // 50 kpps: one frame every 20 us, far below 1.2 Mpps. The loop sleeps; interrupts (moderated to one per
  // 100 us) wake it; nothing is lost.
  const Adaptive low = run_adaptive(50'000, 20'000'000, 20'000'000);
  EXPECT_TRUE(low.interrupt_mode);
  EXPECT_GE(low.interrupts, 150u);  // ~ one per EITR interval (200 in 20 ms)
  EXPECT_LE(low.interrupts, 201u);
  EXPECT_GE(low.forwarded, 999u);   // 1000 frames in 20 ms (give or take the boundary)
  // Line rate (14.88 Mpps): after the first 10 ms window the loop only polls, every vector stays masked.
  const Adaptive high = run_adaptive(0, 20'000'000, 20'000'000);
  EXPECT_FALSE(high.interrupt_mode);
  EXPECT_EQ(high.interrupts, 0u);
  EXPECT_GT(high.forwarded, 250'000u);
}

}  // namespace
