// Driver → simulator → driver: real frames through two cabled simulated 82599 ports, compared byte for
// byte, with device counters, driver counters and mempool balances all agreeing.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "driver/device/device.h"
#include "sim/rss.h"
#include "sim/traffic.h"
#include "sim/world.h"
#include "tests/testbed.h"

namespace {

using testbed::CabledPair;

// Every test here runs on strict simulated ports and fails on any diagnostic (tests/testbed.h), once with the
// timed model and once with the functional one (sim/world.h): both must carry the same frames and counters.
class Integration : public testbed::NoDiagnostics, public ::testing::WithParamInterface<sim::Fidelity> {};

class TimedIntegration : public testbed::NoDiagnostics {};

INSTANTIATE_TEST_SUITE_P(Fidelity, Integration, ::testing::Values(sim::Fidelity::kTimed, sim::Fidelity::kFunctional),
                         testbed::fidelity_name);

constexpr nic::MacAddr kMacB{0x02, 0x53, 0x49, 0x4d, 0x00, 0x01};

nic::DeviceConfig fast_cfg() {
  nic::DeviceConfig c;
  c.link_timeout_ms = 1000;
  return c;
}

// Sends `n` frames of `len` bytes from `dev` in batches; returns how many the ring took.
size_t send_frames(nic::Device& dev, nic::Mempool& pool, uint32_t n, uint32_t len, uint32_t first_seq = 0) {
  size_t sent = 0;
  std::vector<nic::Packet> batch(32);
  while (sent < n) {
    const size_t k = std::min<size_t>(32, n - sent);
    for (size_t i = 0; i < k; ++i) {
      batch[i] = nic::Packet::alloc(pool, len);
      if (!batch[i]) return sent;
      testbed::make_frame(batch[i].data(), len, kMacB, first_seq + static_cast<uint32_t>(sent + i));
    }
    const size_t took = dev.tx_batch(0, std::span(batch.data(), k));
    sent += took;
    if (took < k) break;  // ring full; untaken handles free their buffers
  }
  return sent;
}

TEST_P(Integration, LinkComesUpOnBothCabledPorts) {
  CabledPair p(GetParam());
  auto a = nic::open_device(p.a, fast_cfg());
  auto b = nic::open_device(p.b, fast_cfg());
  EXPECT_TRUE(a->link().up);
  EXPECT_EQ(a->link().speed_mbps, 10000u);
  EXPECT_TRUE(b->link().up);
  EXPECT_EQ(a->mac(), (nic::MacAddr{0x02, 0x53, 0x49, 0x4d, 0x00, 0x00}));
  EXPECT_EQ(p.a.device().diag().total(), 0u) << p.a.device().diag().summary();
}

TEST_P(Integration, PacketsRoundTripByteForByteWithCountersAgreeing) {
  CabledPair p(GetParam());
  nic::Mempool tx_pool(p.a, 1024);
  auto a = nic::open_device(p.a, fast_cfg());
  auto b = nic::open_device(p.b, fast_cfg());
  constexpr uint32_t kFrames = 1000;
  const uint32_t sizes[] = {60, 64, 128, 511, 1514};
  std::map<uint32_t, std::vector<uint8_t>> expected;

  uint32_t seq = 0, received_b = 0, received_a = 0;
  std::vector<nic::Packet> rx(64);
  while (received_a < kFrames) {
    // pktgen on A
    if (seq < kFrames) {
      const uint32_t len = sizes[seq % 5];
      std::vector<nic::Packet> batch(16);
      size_t k = 0;
      for (; k < batch.size() && seq + k < kFrames; ++k) {
        batch[k] = nic::Packet::alloc(tx_pool, sizes[(seq + k) % 5]);
        ASSERT_TRUE(batch[k]);
        testbed::make_frame(batch[k].data(), batch[k].size(), kMacB, seq + static_cast<uint32_t>(k));
        expected[seq + static_cast<uint32_t>(k)] = testbed::frame_bytes(batch[k].size(), kMacB, seq + static_cast<uint32_t>(k));
      }
      seq += static_cast<uint32_t>(a->tx_batch(0, std::span(batch.data(), k)));
      (void)len;
    }
    p.world.advance(20'000);
    // fwd on B: everything received goes straight back
    size_t n = b->rx_batch(0, rx);
    for (size_t i = 0; i < n; ++i) {
      uint32_t s;
      std::memcpy(&s, rx[i].data() + 14, 4);
      ASSERT_EQ(rx[i].size(), expected.at(s).size());
      ASSERT_EQ(0, std::memcmp(rx[i].data(), expected.at(s).data(), rx[i].size())) << "frame " << s << " at B";
    }
    received_b += static_cast<uint32_t>(n);
    size_t back = b->tx_batch(0, std::span(rx.data(), n));
    ASSERT_EQ(back, n);
    p.world.advance(20'000);
    n = a->rx_batch(0, rx);
    for (size_t i = 0; i < n; ++i) {
      uint32_t s;
      std::memcpy(&s, rx[i].data() + 14, 4);
      EXPECT_EQ(s, received_a + i) << "order preserved";
      ASSERT_EQ(0, std::memcmp(rx[i].data(), expected.at(s).data(), rx[i].size()));
      rx[i].reset();
    }
    received_a += static_cast<uint32_t>(n);
    ASSERT_LT(p.world.now(), 1'000'000'000u) << "traffic stalled";
  }
  EXPECT_EQ(received_b, kFrames);

  // Device counters agree with what the driver saw.
  nic::DeviceStats sa, sb;
  a->read_stats(sa);
  b->read_stats(sb);
  uint64_t bytes = 0;
  for (auto& [s, f] : expected) bytes += f.size() + 4;  // GORC/GOTC count the FCS
  EXPECT_EQ(sa.tx_packets, kFrames);
  EXPECT_EQ(sb.rx_packets, kFrames);
  EXPECT_EQ(sb.tx_packets, kFrames);
  EXPECT_EQ(sa.rx_packets, kFrames);
  EXPECT_EQ(sa.tx_bytes, bytes);
  EXPECT_EQ(sb.rx_bytes, bytes);
  EXPECT_EQ(sa.rx_bytes, bytes);
  EXPECT_EQ(sa.rx_missed + sb.rx_missed + sa.rx_no_desc + sb.rx_no_desc, 0u);
  EXPECT_EQ(a->rx_ring_stats(0).packets, kFrames);
  EXPECT_EQ(a->tx_ring_stats(0).packets, kFrames);
  EXPECT_EQ(b->rx_ring_stats(0).packets, kFrames);
  // Counters cleared on read.
  nic::DeviceStats again;
  a->read_stats(again);
  EXPECT_EQ(again.tx_packets, 0u);

  // Every buffer accounted for: reclaim what the device finished, then only the posted rx buffers remain.
  a->tx_batch(0, {});
  b->tx_batch(0, {});
  EXPECT_EQ(tx_pool.in_use(), 0u);
  EXPECT_EQ(a->rx_pool(0).in_use(), 512u);  // exactly the ring's posted buffers
  EXPECT_EQ(b->rx_pool(0).in_use(), 512u);
  EXPECT_EQ(p.a.device().diag().total() + p.b.device().diag().total(), 0u)
      << p.a.device().diag().summary() << p.b.device().diag().summary();
}

// Forwarding between two ports of one process (tools/fwd): port A's rx buffers are transmitted by port B.
// Both ports share one DMA address space, as VFIO ports share one container, so B reads what A wrote.
TEST_P(Integration, ForwardingBetweenPortsCarriesTheBytes) {
  sim::World world({}, GetParam());
  sim::SimNic a(world, testbed::port_config(0)), b(world, testbed::port_config(1));
  sim::Sink out;
  b.device().connect(&out);
  a.device().connect(&out);  // cabled, so A's link comes up; A transmits nothing here
  auto da = nic::open_device(a, fast_cfg());
  auto db = nic::open_device(b, fast_cfg());
  sim::TrafficSpec spec;
  spec.count = 500;
  spec.frame_size = 128;
  sim::TrafficGen gen(world, &a.device(), spec);
  gen.start(world.now());
  std::vector<nic::Packet> bufs(32);
  for (int i = 0; i < 200 && out.frames < spec.count; ++i) {
    world.advance(5'000);
    const size_t n = da->rx_batch(0, bufs);
    ASSERT_EQ(db->tx_batch(0, std::span(bufs.data(), n)), n);
  }
  world.advance(100'000);
  ASSERT_EQ(out.kept.size(), spec.count);
  for (uint32_t s = 0; s < spec.count; ++s)
    ASSERT_EQ(out.kept[s], sim::TrafficGen::frame(spec, s)) << "frame " << s << " forwarded A -> B";
  EXPECT_EQ(a.device().diag().count("dma.iommu-fault") + b.device().diag().count("dma.iommu-fault"), 0u);
}

TEST_P(Integration, MacLoopbackReturnsFramesToTheSamePort) {
  sim::World world({}, GetParam());
  sim::SimNic nic0(world, testbed::port_config(0));  // no cable at all
  nic::DeviceConfig cfg = fast_cfg();
  cfg.loopback = true;
  nic::Mempool pool(nic0, 256);
  auto dev = nic::open_device(nic0, cfg);
  ASSERT_TRUE(dev->link().up);
  EXPECT_EQ(send_frames(*dev, pool, 100, 60), 100u);
  world.advance(100'000);
  std::vector<nic::Packet> rx(128);
  ASSERT_EQ(dev->rx_batch(0, rx), 100u);
  for (uint32_t i = 0; i < 100; ++i) {
    auto want = testbed::frame_bytes(60, kMacB, i);
    ASSERT_EQ(0, std::memcmp(rx[i].data(), want.data(), 60));
  }
}

TEST_P(Integration, ShortFramesArePaddedTo60Bytes) {
  sim::World world({}, GetParam());
  sim::SimNic nic0(world, testbed::port_config(0));
  sim::Sink sink;
  nic0.device().connect(&sink);
  nic::Mempool pool(nic0, 64);
  auto dev = nic::open_device(nic0, fast_cfg());
  EXPECT_EQ(send_frames(*dev, pool, 1, 42), 1u);
  world.advance(10'000);
  ASSERT_EQ(sink.kept.size(), 1u);
  EXPECT_EQ(sink.kept[0].size(), 60u);
}

TEST_F(TimedIntegration, WireTimeIsLineRate) {
  // 1000 back-to-back 64-byte frames (60 + FCS) take 1000 * 67.2 ns on the wire.
  sim::World world;  // timed: the functional model has no wire time
  sim::SimNic nic0(world, testbed::port_config(0));
  sim::Sink sink;
  uint64_t first = 0, last = 0;
  sink.keep = false;
  sink.on_frame = [&](const sim::Bytes&, uint64_t t) {
    if (!first) first = t;
    last = t;
  };
  nic0.device().connect(&sink);
  nic::DeviceConfig cfg = fast_cfg();
  cfg.tx_ring_size = 1024;
  nic::Mempool pool(nic0, 2048);
  auto dev = nic::open_device(nic0, cfg);
  ASSERT_EQ(send_frames(*dev, pool, 1000, 60), 1000u);
  world.advance(1'000'000);
  EXPECT_EQ(sink.frames, 1000u);
  // 999 inter-arrival gaps of 67.2 ns; arrivals are reported on the ns clock (rounded up).
  EXPECT_NEAR(static_cast<double>(last - first), 999 * 67.2, 1.0);
}

TEST_P(Integration, NoLinkTimesOutCleanlyAndReportsDown) {
  sim::World world({}, GetParam());
  sim::SimNic nic0(world, testbed::port_config(0));  // no cable
  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 2000;
  const uint64_t t0 = world.now();
  auto dev = nic::open_device(nic0, cfg);
  EXPECT_FALSE(dev->link().up);
  EXPECT_EQ(dev->link().speed_mbps, 0u);
  EXPECT_GE(world.now() - t0, 2'000'000'000u);
  EXPECT_LT(world.now() - t0, 2'100'000'000u);
}

TEST_P(Integration, CableUnpluggedTakesLinkDownAndFramesWait) {
  CabledPair p(GetParam());
  nic::Mempool pool(p.a, 64);
  auto a = nic::open_device(p.a, fast_cfg());
  auto b = nic::open_device(p.b, fast_cfg());
  p.a.device().connect(nullptr);
  EXPECT_FALSE(a->link().up);
  EXPECT_EQ(send_frames(*a, pool, 10, 60), 10u);
  p.world.advance(1'000'000);
  std::vector<nic::Packet> rx(16);
  EXPECT_EQ(b->rx_batch(0, rx), 0u);
  EXPECT_EQ(a->tx_ring_stats(0).packets, 10u);
}

TEST_P(Integration, FullRxRingDropsWithDropEnAndCountersExplainEveryFrame) {
  CabledPair p(GetParam());
  nic::DeviceConfig cfg = fast_cfg();
  cfg.rx_ring_size = 64;
  nic::Mempool pool(p.a, 1024);
  auto a = nic::open_device(p.a, fast_cfg());
  auto b = nic::open_device(p.b, cfg);
  EXPECT_EQ(send_frames(*a, pool, 200, 60), 200u);
  p.world.advance(1'000'000);  // B does not poll: 63 descriptors, then drops
  std::vector<nic::Packet> rx(256);
  const size_t got = b->rx_batch(0, rx);
  nic::DeviceStats sb;
  b->read_stats(sb);
  EXPECT_EQ(got, 63u);
  EXPECT_EQ(sb.rx_packets, 200u);          // GPRC: passed the filter into the packet buffer
  EXPECT_EQ(sb.rx_no_desc, 200u - got);    // QPRDC: dropped for lack of a descriptor
  EXPECT_EQ(got + sb.rx_no_desc, sb.rx_packets);
}

TEST_P(Integration, UnicastFilterDropsOtherMacsUnlessPromiscuous) {
  CabledPair p(GetParam());
  nic::DeviceConfig cfg = fast_cfg();
  cfg.promiscuous = false;
  nic::Mempool pool(p.a, 64);
  auto a = nic::open_device(p.a, fast_cfg());
  auto b = nic::open_device(p.b, cfg);
  std::vector<nic::Packet> tx(2);
  tx[0] = nic::Packet::alloc(pool, 60);
  testbed::make_frame(tx[0].data(), 60, kMacB, 1);  // to B's MAC: accepted
  tx[1] = nic::Packet::alloc(pool, 60);
  testbed::make_frame(tx[1].data(), 60, nic::MacAddr{0x02, 0, 0, 0, 0, 0x42}, 2);  // someone else
  ASSERT_EQ(a->tx_batch(0, tx), 2u);
  p.world.advance(100'000);
  std::vector<nic::Packet> rx(4);
  ASSERT_EQ(b->rx_batch(0, rx), 1u);
  EXPECT_EQ(p.b.device().counters().rx_filtered, 1u);
  b->set_promiscuous(true);
  EXPECT_EQ(p.b.device().diag().total(), 0u) << p.b.device().diag().summary();
  tx[0] = nic::Packet::alloc(pool, 60);
  testbed::make_frame(tx[0].data(), 60, nic::MacAddr{0x02, 0, 0, 0, 0, 0x42}, 3);
  ASSERT_EQ(a->tx_batch(0, std::span(tx.data(), 1)), 1u);
  p.world.advance(100'000);
  rx[0].reset();
  EXPECT_EQ(b->rx_batch(0, rx), 1u);
}

TEST_P(Integration, TeardownReturnsAllDmaMemory) {
  CabledPair p(GetParam());
  {
    nic::Mempool pool(p.a, 64);
    auto a = nic::open_device(p.a, fast_cfg());
    EXPECT_EQ(send_frames(*a, pool, 10, 60), 10u);
    // device destroyed with frames possibly in flight: ring buffers go back to their pools first
  }
  EXPECT_EQ(p.a.dma_regions(), 0u);
}

}  // namespace

namespace {

// Receive-side scaling: flows spread over the rx queues as the Toeplitz hash and the redirection table say,
// every frame of a flow on the same queue, and each queue's own ring and mempool carry its share.
TEST_P(Integration, RssSpreadsFlowsOverQueuesConsistently) {
  sim::World world({}, GetParam());
  sim::SimNic nic0(world, testbed::port_config(0));
  sim::Sink sink;
  nic0.device().connect(&sink);
  nic::DeviceConfig cfg;
  cfg.link_timeout_ms = 1000;
  cfg.rx_queues = 4;
  auto dev = nic::open_device(nic0, cfg);
  sim::TrafficSpec spec;
  spec.count = 2000;
  spec.flows = 64;
  spec.frame_size = 64;
  const auto port0 = testbed::port_config(0);
  std::copy(port0.mac.begin(), port0.mac.end(), spec.dst_mac);
  sim::TrafficGen gen(world, &nic0.device(), spec);
  gen.start(world.now());
  std::map<uint16_t, std::set<uint16_t>> queues_of_flow;  // UDP source port -> queues seen
  std::vector<uint64_t> per_queue(4, 0);
  std::vector<nic::Packet> bufs(64);
  uint64_t total = 0;
  for (int i = 0; i < 400 && total < spec.count; ++i) {
    world.advance(5'000);
    for (uint16_t q = 0; q < 4; ++q) {
      const size_t n = dev->rx_batch(q, bufs);
      for (size_t k = 0; k < n; ++k) {
        const uint16_t sport = static_cast<uint16_t>(bufs[k].data()[34] << 8 | bufs[k].data()[35]);
        queues_of_flow[sport].insert(q);
        uint32_t seq;
        std::memcpy(&seq, bufs[k].data() + 42, 4);
        ASSERT_EQ(std::vector<uint8_t>(bufs[k].data(), bufs[k].data() + bufs[k].size()), sim::TrafficGen::frame(spec, seq));
        EXPECT_EQ(&bufs[k].pool(), &dev->rx_pool(q)) << "each queue has its own pool";
        bufs[k].reset();
      }
      per_queue[q] += n;
      total += n;
    }
  }
  EXPECT_EQ(total, spec.count);
  EXPECT_EQ(queues_of_flow.size(), spec.flows);
  for (auto& [port, qs] : queues_of_flow) EXPECT_EQ(qs.size(), 1u) << "flow " << port << " split across queues";
  for (uint16_t q = 0; q < 4; ++q) EXPECT_GT(per_queue[q], spec.count / 16) << "queue " << q << " got too little";
  // The queue each flow landed on is the one the published hash predicts.
  static constexpr uint8_t kKey[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
                                       0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
                                       0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  for (auto& [port, qs] : queues_of_flow) {
    const auto frame = sim::TrafficGen::frame(spec, port - 1024);
    const auto hash = sim::rss_hash(kKey, {.ipv4 = true, .ipv4_tcp = true, .ipv4_udp = true}, frame);
    ASSERT_TRUE(hash);
    EXPECT_EQ(*qs.begin(), (*hash & 127) % 4) << "flow " << port;
  }
}

}  // namespace
