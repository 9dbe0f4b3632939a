// Threaded mode: the device runs in its own thread while the driver runs in the test's. No assertion depends
// on wall-clock timing; wall time only bounds how long a test waits before it gives up.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "driver/device/device.h"
#include "driver/ixgbe/regs.h"
#include "driver/seam/log.h"
#include "sim/device_thread.h"
#include "sim/runner.h"
#include "sim/sim_backend.h"
#include "sim/traffic.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr nic::MacAddr kMac1{0x02, 0x53, 0x49, 0x4d, 0x00, 0x01};

sim::IxgbeConfig cfg(uint8_t i) {
  sim::IxgbeConfig c;
  c.name = "sim:" + std::to_string(i);
  c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, i};
  c.strict = true;  // the driver breaks no datasheet rule (sim/strict.h); the tests assert zero diagnostics
  return c;
}

nic::DeviceConfig dev_cfg() {
  nic::DeviceConfig c;
  c.link_timeout_ms = 1000;
  return c;
}

// Frames from A reach B through two device models run by the device thread; contents and counts agree.
TEST(Threaded, FramesFlowBetweenTwoPortsWhileTheDeviceRunsOnItsOwn) {
  nic::set_log_level(nic::LogLevel::kWarn);
  sim::World world;
  sim::SimNic a(world, cfg(0)), b(world, cfg(1));
  sim::Ixgbe82599::cable(a.device(), b.device());
  nic::Mempool pool(a, 1024);                 // before the devices: their rings hold its buffers
  auto da = nic::open_device(a, dev_cfg());  // init in deterministic mode
  auto db = nic::open_device(b, dev_cfg());
  constexpr uint32_t kFrames = 2000;
  uint32_t sent = 0, got = 0, lost = 0;  // lost: sequence numbers skipped so far (frames arrive in order)
  std::vector<uint8_t> seen(kFrames, 0);  // per sequence number, how often it arrived
  uint32_t last_seq = 0;
  bool in_order = true;
  std::vector<nic::Packet> rx(64);
  {
    sim::DeviceThread thread(world, {.scale = 0.05});
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (got + lost < kFrames && Clock::now() < deadline) {
      if (sent < kFrames) {
        std::vector<nic::Packet> batch(32);
        size_t k = 0;
        for (; k < batch.size() && sent + k < kFrames; ++k) {
          batch[k] = nic::Packet::alloc(pool, 60);
          ASSERT_TRUE(batch[k]);
          std::memcpy(batch[k].data(), kMac1.data(), 6);
          const uint32_t seq = sent + static_cast<uint32_t>(k);
          std::memcpy(batch[k].data() + 14, &seq, 4);
        }
        sent += static_cast<uint32_t>(da->tx_batch(0, std::span(batch.data(), k)));
      }
      const size_t n = db->rx_batch(0, rx);
      for (size_t i = 0; i < n; ++i) {
        uint32_t seq;
        std::memcpy(&seq, rx[i].data() + 14, 4);
        ASSERT_LT(seq, kFrames);
        in_order &= got + i == 0 || seq > last_seq;
        last_seq = seq;
        ++seen[seq];
        lost = seq + 1 - (got + static_cast<uint32_t>(i) + 1);
        rx[i].reset();
      }
      got += static_cast<uint32_t>(n);
      if (sent == kFrames && n == 0) {
        // Everything sent: done once the receiver's device has accounted for every frame (delivered to us or
        // counted as dropped), so drops at the tail end the loop too.
        const auto hold = thread.pause();
        const auto& c = b.device().counters();
        if (got + c.rx_no_desc + c.rx_missed >= kFrames) break;
      }
      std::this_thread::yield();
    }
  }  // the thread stops here; the world is deterministic again
  // Which frames never arrived, from their sequence numbers alone: the device's drop counters must explain
  // exactly these (a count of what arrived would be the same equation as the first check below).
  uint32_t missing = 0, duplicated = 0;
  for (uint8_t n : seen) {
    missing += n == 0;
    duplicated += n > 1;
  }
  EXPECT_TRUE(in_order) << "frames arrive in the order sent";
  EXPECT_EQ(duplicated, 0u);
  EXPECT_FALSE(world.threaded());
  nic::DeviceStats sa, sb;
  da->read_stats(sa);
  db->read_stats(sb);
  EXPECT_EQ(sa.tx_packets, kFrames);
  EXPECT_EQ(sb.rx_packets, kFrames);  // every frame reached B's packet buffer...
  // ...and each one was either delivered or dropped by the device for lack of a descriptor (a slow driver).
  EXPECT_EQ(got + sb.rx_no_desc + sb.rx_missed, kFrames) << "got " << got;
  EXPECT_EQ(missing, sb.rx_no_desc + sb.rx_missed) << "the frames missing by sequence number are the ones dropped";
  EXPECT_EQ(a.device().diag().total() + b.device().diag().total(), 0u) << a.device().diag().summary();
}

// A driver that never polls: the device, running on its own, fills the ring and then drops what arrives,
// counting it, as the card does. (How much is dropped depends on wall time; that it is counted does not.)
TEST(Threaded, ADriverThatDoesNotPollLosesFramesAndTheDeviceCountsThem) {
  sim::World world;
  sim::SimNic a(world, cfg(0));
  sim::Sink sink;
  a.device().connect(&sink);
  nic::DeviceConfig c = dev_cfg();
  c.rx_ring_size = 64;
  auto dev = nic::open_device(a, c);
  sim::TrafficSpec spec;
  spec.count = 1000;
  std::copy(kMac1.begin(), kMac1.end(), spec.dst_mac);
  spec.dst_mac[5] = 0;
  sim::TrafficGen gen(world, &a.device(), spec);
  sim::Runner runner(world, sim::Runner::Mode::kThreaded, 1000, 0.01);
  {
    auto hold = std::lock_guard(world.mutex());
    gen.start(world.now());
  }
  runner.pump();  // starts the device thread
  ASSERT_NE(runner.device_thread(), nullptr);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    {
      std::lock_guard hold(world.mutex());
      if (gen.sent() == spec.count) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  runner.settle(1'000'000);
  runner.stop();
  nic::DeviceStats s;
  dev->read_stats(s);
  EXPECT_EQ(s.rx_packets, 1000u);
  EXPECT_EQ(s.rx_no_desc, 1000u - 63u);  // 63 descriptors posted, the rest dropped (SRRCTL.DROP_EN)
  std::vector<nic::Packet> rx(128);
  EXPECT_EQ(dev->rx_batch(0, rx), 63u);
}

// Threaded mode's doorbell is posted: a tail write returns while another thread holds the world's lock (the
// device thread in the middle of a step), the device has not seen it yet, and takes it in once the lock is
// free; then the frame goes out. Before the doorbells a tail write waited for the lock (and ran the engine).
TEST(Threaded, ATailWriteIsPostedWithoutTheWorldsLockAndReachesTheDeviceLater) {
  sim::World world;
  sim::SimNic a(world, cfg(0));
  sim::Sink sink;
  a.device().connect(&sink);
  nic::Mempool pool(a, 64);
  auto dev = nic::open_device(a, dev_cfg());
  const uint32_t tdt = nic::ixgbe::TDT.at(0);
  sim::DeviceThread thread(world, {.scale = 0.05});
  std::atomic<bool> locked{false}, posted{false};
  uint32_t tdt_while_held = ~0u;
  bool timed_out = false;
  std::thread holder([&] {
    std::lock_guard hold(world.mutex());
    locked = true;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!posted && Clock::now() < deadline) std::this_thread::yield();
    timed_out = !posted;
    tdt_while_held = a.device().read32(tdt);  // the model itself: what the device has seen
  });
  while (!locked) std::this_thread::yield();
  std::vector<nic::Packet> batch(1);
  batch[0] = nic::Packet::alloc(pool, 60);
  std::memcpy(batch[0].data(), kMac1.data(), 6);
  EXPECT_EQ(dev->tx_batch(0, batch), 1u);  // would block here (until the holder gives up) if it took the lock
  posted = true;
  holder.join();
  EXPECT_FALSE(timed_out) << "tx_batch waited for the world's lock";
  EXPECT_EQ(tdt_while_held, 0u) << "a posted tail reaches the device only when the device next runs";
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  uint64_t frames = 0;
  while (frames == 0 && Clock::now() < deadline) {
    {
      const auto hold = thread.pause();
      frames = sink.frames;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(frames, 1u);
  const auto hold = thread.pause();
  EXPECT_EQ(a.device().read32(tdt), 1u);
}

}  // namespace
