// Fault injection (Ixgbe82599::fault_*) against the driver: link loss, a wedged transmit engine, IOMMU faults,
// a device that resets itself, surprise removal, rx packet buffer and mempool exhaustion. After each: the
// driver recovered (or reported the device dead), every buffer is back where it belongs, and counters explain
// every frame sent: delivered, or dropped for a counted reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "driver/device/device.h"
#include "driver/ixgbe/regs.h"
#include "sim/traffic.h"
#include "tests/testbed.h"

namespace {

constexpr nic::MacAddr kMacB{0x02, 0x53, 0x49, 0x4d, 0x00, 0x01};

// Two strict ports A -> B, the driver on both; A sends from its own pool, B receives.
struct Rig {
  testbed::CabledPair p;
  nic::Mempool pool{p.a, 2048};
  std::unique_ptr<nic::Device> a, b;
  uint64_t sent = 0, delivered = 0;
  uint32_t seq = 0;
  std::vector<nic::Packet> rx{64};

  explicit Rig(sim::Fidelity fidelity, nic::DeviceConfig cfg = config()) : p(fidelity) {
    nic::set_log_level(nic::LogLevel::kError);
    a = nic::open_device(p.a, cfg);
    b = nic::open_device(p.b, cfg);
  }
  ~Rig() {
    for (auto& r : rx) r.reset();
    a->shutdown();
    b->shutdown();
  }
  static nic::DeviceConfig config() {
    nic::DeviceConfig c;
    c.link_timeout_ms = 1000;
    c.tx_hang_timeout_ms = 20;
    return c;
  }
  // Offers `n` frames to A (in batches of 32); returns how many A's ring took.
  size_t send(uint32_t n) {
    size_t took = 0;
    std::vector<nic::Packet> batch(32);
    while (n > 0) {
      const uint32_t k = std::min<uint32_t>(n, 32);
      for (uint32_t i = 0; i < k; ++i) {
        batch[i] = nic::Packet::alloc(pool, 60);
        if (!batch[i]) return took;
        testbed::make_frame(batch[i].data(), 60, kMacB, seq++);
      }
      const size_t t = a->tx_batch(0, std::span(batch.data(), k));
      took += t;
      for (auto& x : batch) x.reset();
      n -= k;
      if (t < k) break;
    }
    sent += took;
    return took;
  }
  // Runs `ns` of virtual time in 10 us steps, receiving at B, calling both watchdogs every ms.
  void run(uint64_t ns) {
    for (uint64_t t = 0; t < ns; t += 10'000) {
      p.world.advance(10'000);
      size_t n;
      while ((n = b->rx_batch(0, rx)) != 0) {
        delivered += n;
        for (size_t i = 0; i < n; ++i) rx[i].reset();
      }
      if (t % 1'000'000 == 0) {
        a->watchdog();
        b->watchdog();
      }
    }
  }
  // Every frame A's ring took: delivered at B, or dropped somewhere for a counted reason.
  uint64_t explained() {
    const auto& ca = p.a.device().counters();
    const auto& cb = p.b.device().counters();
    return delivered + cb.rx_no_desc + cb.rx_missed + cb.rx_link_down + cb.rx_disabled + cb.rx_queue_disabled +
           cb.rx_filtered + cb.rx_lost_reset + cb.rx_dma_drops + ca.tx_bad_frames + ca.tx_lost_reset +
           b->health().rx_discarded;
  }
  // Pools: A's tx pool fully back, each rx pool holding exactly its posted ring (or nothing when dead).
  void expect_balanced() {
    a->tx_batch(0, {});  // reclaim
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(a->rx_pool(0).in_use(), a->health().dead ? 0u : 512u);
    EXPECT_EQ(b->rx_pool(0).in_use(), b->health().dead ? 0u : 512u);
  }
};

// Each scenario runs with the timed model and with the functional one (sim/world.h): faults behave alike.
class Fault : public ::testing::TestWithParam<sim::Fidelity> {};
INSTANTIATE_TEST_SUITE_P(Fidelity, Fault, ::testing::Values(sim::Fidelity::kTimed, sim::Fidelity::kFunctional),
                         testbed::fidelity_name);

TEST_P(Fault, LinkLossMidTrafficThenTrafficResumesWithoutAReset) {
  Rig r(GetParam());
  r.send(100);
  r.p.world.advance(3'000);  // some frames on the wire
  r.p.a.device().fault_link_down(true);
  r.p.b.device().fault_link_down(true);
  EXPECT_EQ(r.a->watchdog(), nic::Health::kLinkDown);
  r.send(200);          // queued: they wait for the link
  r.run(100'000'000);   // far beyond the hang timeout: no link, so no hang
  EXPECT_EQ(r.a->health().tx_hangs, 0u);
  EXPECT_EQ(r.a->health().recoveries, 0u);
  EXPECT_FALSE(r.a->link().up);
  r.p.a.device().fault_link_down(false);
  r.p.b.device().fault_link_down(false);
  r.run(100'000'000);  // retrain (50 ms), then the queued frames go
  EXPECT_TRUE(r.a->link().up);
  EXPECT_EQ(r.a->health().link_changes, 2u);
  EXPECT_GT(r.delivered, 200u);
  EXPECT_EQ(r.explained(), r.sent) << "delivered " << r.delivered << " link-down drops "
                                   << r.p.b.device().counters().rx_link_down;
  r.expect_balanced();
}

TEST_P(Fault, StuckTxHeadIsDetectedResetAndRecovered) {
  Rig r(GetParam());
  r.send(50);
  r.run(1'000'000);
  EXPECT_EQ(r.delivered, 50u);
  r.p.a.device().fault_tx_hang(true);
  r.send(100);
  r.run(50'000'000);  // > 20 ms without a completion
  EXPECT_EQ(r.a->health().tx_hangs, 1u);
  EXPECT_EQ(r.a->health().recoveries, 1u);
  EXPECT_EQ(r.a->health().tx_discarded, 100u);  // none left the ring
  EXPECT_FALSE(r.p.a.device().tx_hung());       // the reset un-wedged it
  EXPECT_EQ(r.a->tx_ring_stats(0).packets, 150u) << "ring counters survive the recovery";
  r.run(100'000'000);  // link retrains after the reset
  EXPECT_EQ(r.send(100), 100u);
  r.run(2'000'000);
  EXPECT_EQ(r.delivered, 150u);
  EXPECT_EQ(r.explained(), r.sent);
  nic::DeviceStats s;
  r.a->read_stats(s);
  EXPECT_EQ(s.tx_packets, 150u) << "counters saved across the recovery's reset";
  r.expect_balanced();
  // The datasheet was followed throughout the recovery.
  EXPECT_EQ(r.p.a.device().diag().total() + r.p.b.device().diag().total(), 0u) << r.p.a.device().diag().summary();
}

TEST_P(Fault, IommuFaultsDropFramesCountedAndTrafficGoesOn) {
  Rig r(GetParam());
  for (int round = 0; round < 20; ++round) {
    if (round % 4 == 1) r.p.b.device().fault_dma(1);  // one DMA of the domain fails: rx buffer, fetch or write-back
    r.send(40);
    r.run(2'000'000);
  }
  r.run(150'000'000);  // let any hang be found and recovered, and the link return
  r.send(40);
  r.run(2'000'000);
  EXPECT_GE(r.p.a.device().counters().dma_faults + r.p.b.device().counters().dma_faults, 1u);
  EXPECT_GE(r.p.b.device().diag().count("dma.iommu-fault") + r.p.a.device().diag().count("dma.iommu-fault"), 1u);
  EXPECT_EQ(r.explained(), r.sent);
  r.expect_balanced();
}

// An IOMMU fault on one frame's write-back. The timed model has taken the frame's descriptor (RDH moved past
// it) and its data and write-back are on their way over PCIe when the fault comes: the buffer write is
// refused, the descriptor never gets DD, and a driver waiting for DD at that slot would wait forever. The
// driver's watchdog finds the slot (consumed by the device, no write-back, twice in a row) and gives it
// back to the device. (The functional model writes back at once: the fault lands on the next frame's
// buffer, which is dropped before any descriptor is taken.) Either way one frame is lost and counted, the
// slot stays in service (three ring-fulls of frames afterwards all arrive) and the pool holds the ring.
TEST_P(Fault, AFaultedWriteBackCostsOneFrameNotItsRxSlot) {
  Rig r(GetParam());
  r.send(100);
  r.run(2'000'000);
  ASSERT_EQ(r.delivered, 100u);
  // Straight onto B's wire (A's DMA would share the fault: one IOMMU domain), the fault injected once B has
  // taken the frame in.
  const bool timed = GetParam() == sim::Fidelity::kTimed;
  r.p.world.inject(&r.p.b.device(), testbed::frame_bytes(60, kMacB, 999'999), r.p.world.now());
  r.p.world.advance(1);
  r.p.b.device().fault_dma(1);
  // Functional: that frame is already written back; the fault goes to the next one's buffer.
  if (!timed) r.p.world.inject(&r.p.b.device(), testbed::frame_bytes(60, kMacB, 999'998), r.p.world.now());
  r.run(2'000'000);
  EXPECT_EQ(r.p.b.device().counters().dma_faults, 1u);
  EXPECT_EQ(r.p.b.device().counters().rx_dma_drops, 1u);
  for (int round = 0; round < 3 * 512 / 32; ++round) {
    r.send(32);
    r.run(200'000);
  }
  r.run(5'000'000);
  const uint64_t injected = timed ? 1 : 2;
  EXPECT_EQ(r.delivered, r.sent + injected - 1) << "every frame but the faulted one arrives, after it too";
  EXPECT_EQ(r.explained(), r.sent + injected) << "and the faulted one is counted as dropped";
  EXPECT_EQ(r.b->health().recoveries, 0u) << "no device reset needed";
  EXPECT_EQ(r.b->rx_ring_stats(0).lost_writebacks, GetParam() == sim::Fidelity::kTimed ? 1u : 0u);
  r.expect_balanced();
}

// The other side of the rule above: a slot whose write-back is merely on its way is left alone, however often
// the watchdog runs meanwhile, and its frame arrives.
TEST(FaultTimed, AWriteBackOnItsWayIsNotTakenForLost) {
  Rig r(sim::Fidelity::kTimed);
  r.p.world.inject(&r.p.b.device(), testbed::frame_bytes(60, kMacB, 7), r.p.world.now());
  r.p.world.advance(1);  // the device took the descriptor; data and write-back are crossing PCIe
  ASSERT_EQ(r.p.b.read32(nic::ixgbe::RDH.at(0)), 1u);
  ASSERT_EQ(r.b->rx_batch(0, r.rx), 0u) << "no DD yet";
  for (int i = 0; i < 5; ++i) r.b->watchdog();
  r.run(1'000'000);
  EXPECT_EQ(r.delivered, 1u);
  EXPECT_EQ(r.b->rx_ring_stats(0).lost_writebacks, 0u);
  r.expect_balanced();
}

TEST_P(Fault, DeviceResetUnderTrafficIsNoticedAndRecovered) {
  Rig r(GetParam());
  for (int round = 0; round < 10; ++round) {
    r.send(64);
    r.p.world.advance(5'000);
    if (round == 3) r.p.b.device().fault_reset();
    r.run(1'000'000);
  }
  EXPECT_EQ(r.b->health().device_resets, 1u);
  EXPECT_EQ(r.b->health().recoveries, 1u);
  r.run(100'000'000);  // link back
  const uint64_t before = r.delivered;
  EXPECT_EQ(r.send(64), 64u);
  r.run(2'000'000);
  EXPECT_EQ(r.delivered - before, 64u) << "traffic flows again";
  EXPECT_EQ(r.explained(), r.sent) << "delivered " << r.delivered;
  r.expect_balanced();
}

// One cable, two ends: when only the receiving end loses signal, the sender sees the link go down too and
// holds its frames instead of sending them into a dead link; they all arrive once it is back.
TEST_P(Fault, LinkLossAtOneEndStopsTheOtherEndSendingAndNothingIsLost) {
  Rig r(GetParam());
  r.send(100);
  r.p.world.advance(3'000);
  r.p.b.device().fault_link_down(true);
  r.run(1'000'000);
  const uint64_t on_the_wire = r.p.b.device().counters().rx_link_down;  // already serialized when it dropped
  EXPECT_FALSE(r.a->link().up) << "the far end sees the loss";
  EXPECT_EQ(r.a->watchdog(), nic::Health::kLinkDown);
  EXPECT_EQ(r.send(200), 200u);
  r.run(100'000'000);
  EXPECT_EQ(r.p.b.device().counters().rx_link_down, on_the_wire) << "nothing was sent into the dead link";
  EXPECT_EQ(r.a->health().tx_hangs, 0u) << "no link, no hang";
  r.p.b.device().fault_link_down(false);
  r.run(100'000'000);
  EXPECT_TRUE(r.a->link().up);
  EXPECT_EQ(r.a->health().link_changes, 2u);
  EXPECT_EQ(r.delivered, r.sent - on_the_wire) << "every held frame arrived after retraining";
  EXPECT_EQ(r.explained(), r.sent);
  r.expect_balanced();
}

// A port that resets itself takes the link down at both ends: its peer's frames wait in the peer's ring
// through the reset and the driver's recovery, and arrive afterwards; none is lost at the resetting port.
TEST_P(Fault, APeerResettingHoldsTheSendersFramesInsteadOfLosingThem) {
  Rig r(GetParam());
  r.p.b.device().fault_reset();
  EXPECT_FALSE(r.a->link().up);
  EXPECT_EQ(r.send(200), 200u);
  r.run(200'000'000);  // B's watchdog finds the reset and re-initializes; the link retrains
  EXPECT_EQ(r.b->health().recoveries, 1u);
  EXPECT_TRUE(r.a->link().up);
  EXPECT_EQ(r.delivered, 200u);
  EXPECT_EQ(r.p.b.device().counters().rx_link_down + r.p.b.device().counters().rx_disabled, 0u);
  r.expect_balanced();
}

TEST_P(Fault, SurpriseRemovalIsReportedDeadAndEveryBufferComesBack) {
  Rig r(GetParam());
  r.send(100);
  r.p.world.advance(2'000);
  r.p.a.device().fault_remove();
  EXPECT_EQ(r.a->watchdog(), nic::Health::kDead);
  EXPECT_TRUE(r.a->health().dead);
  nic::DeviceStats s;
  EXPECT_THROW(r.a->read_stats(s), nic::DeviceDead);
  EXPECT_EQ(r.send(10), 0u);  // rx/tx do nothing
  std::vector<nic::Packet> rx(8);
  EXPECT_EQ(r.a->rx_batch(0, rx), 0u);
  EXPECT_EQ(r.a->watchdog(), nic::Health::kDead);
  r.run(2'000'000);
  // Each frame arrived before the removal, died with the device, or was still on its way to the wire: the
  // link died with the device at both ends of the cable, so the receiver counts those as link-down drops.
  // The driver, which cannot tell frames sent but not confirmed from frames never sent, counts every
  // unconfirmed one as discarded.
  EXPECT_FALSE(r.b->link().up) << "the far end lost the link";
  EXPECT_EQ(r.delivered + r.p.a.device().counters().tx_lost_reset + r.p.b.device().counters().rx_link_down, 100u);
  EXPECT_GE(r.delivered + r.a->health().tx_discarded, 100u);
  r.expect_balanced();
}

TEST_P(Fault, RxPacketBufferExhaustionIsCountedAsMissed) {
  Rig r(GetParam());
  r.p.b.device().fault_rx_stall(true);
  sim::TrafficSpec spec;
  spec.count = 20'000;  // 1.3 MB: more than the 512 KB packet buffer holds
  std::copy(kMacB.begin(), kMacB.end(), spec.dst_mac);
  sim::TrafficGen gen(r.p.world, &r.p.b.device(), spec);
  gen.start(r.p.world.now());
  r.run(2'000'000);
  r.p.b.device().fault_rx_stall(false);
  r.run(2'000'000);
  nic::DeviceStats s;
  r.b->read_stats(s);
  EXPECT_GT(s.rx_missed, 0u);
  EXPECT_EQ(r.delivered + s.rx_missed + s.rx_no_desc, spec.count);
  r.expect_balanced();
}

TEST_P(Fault, MempoolExhaustionIsADropNotACrash) {
  Rig r(GetParam());
  // The app sits on every free buffer of B's pool: B cannot refill its ring.
  std::vector<nic::Packet> hoard;
  while (auto pkt = nic::Packet::alloc(r.b->rx_pool(0), 60)) hoard.push_back(std::move(pkt));
  r.send(300);  // 600 in all: more than B's 511 posted descriptors
  r.run(1'000'000);
  r.send(300);
  r.run(5'000'000);
  EXPECT_GT(r.b->rx_ring_stats(0).no_buf, 0u);
  EXPECT_EQ(r.delivered, 0u);
  // Nothing delivered without buffers; the device drops what finds no descriptor (QPRDC).
  hoard.clear();
  r.run(5'000'000);
  nic::DeviceStats s;
  r.b->read_stats(s);
  EXPECT_EQ(r.delivered, 511u);
  EXPECT_EQ(s.rx_no_desc, 600u - 511u);
  EXPECT_EQ(r.explained(), r.sent);
  r.expect_balanced();
}

// Recovery reuses what init allocated: with DMA allocation refused from the end of init on (as after dropping
// privileges on hardware), a tx hang on A and a device self-reset on B are both recovered, traffic flows again,
// every frame is explained and every pool balances.
TEST_P(Fault, RecoveryAllocatesNoDmaMemory) {
  Rig r(GetParam());
  r.p.a.seal_dma();
  r.p.b.seal_dma();
  const size_t regions_a = r.p.a.dma_regions(), regions_b = r.p.b.dma_regions();
  r.send(50);
  r.run(1'000'000);
  EXPECT_EQ(r.delivered, 50u);
  r.p.a.device().fault_tx_hang(true);
  r.send(100);
  r.run(50'000'000);
  EXPECT_EQ(r.a->health().tx_hangs, 1u);
  EXPECT_EQ(r.a->health().recoveries, 1u);
  EXPECT_FALSE(r.a->health().dead);
  r.run(100'000'000);  // link back after A's reset
  r.p.b.device().fault_reset();
  r.run(1'000'000);
  EXPECT_EQ(r.b->health().device_resets, 1u);
  EXPECT_EQ(r.b->health().recoveries, 1u);
  EXPECT_FALSE(r.b->health().dead);
  r.run(100'000'000);
  const uint64_t before = r.delivered;
  EXPECT_EQ(r.send(100), 100u);
  r.run(2'000'000);
  EXPECT_EQ(r.delivered - before, 100u) << "traffic flows again after both recoveries";
  EXPECT_EQ(r.explained(), r.sent);
  r.expect_balanced();
  EXPECT_EQ(r.p.a.dma_allocs_refused(), 0u) << "A's recovery asked for DMA memory";
  EXPECT_EQ(r.p.b.dma_allocs_refused(), 0u) << "B's recovery asked for DMA memory";
  EXPECT_EQ(r.p.a.dma_regions(), regions_a);
  EXPECT_EQ(r.p.b.dma_regions(), regions_b);
}

// Host addresses the driver follows: pools, their buffers' metadata, the devices. None may appear in memory
// the device can reach (an 8-byte value at any byte offset of any DMA region of either port).
void expect_no_host_pointers(Rig& r) {
  struct Range {
    uintptr_t lo, hi;  // [lo, hi)
    const char* what;
  };
  std::vector<Range> host;
  auto add_pool = [&](const nic::Mempool& pool, const char* what) {
    const auto meta = reinterpret_cast<uintptr_t>(pool.metadata().data());
    host.push_back({meta, meta + pool.metadata().size_bytes(), what});
    const auto self = reinterpret_cast<uintptr_t>(&pool);
    host.push_back({self, self + sizeof(nic::Mempool), what});
  };
  add_pool(r.pool, "A's tx pool");
  add_pool(r.a->rx_pool(0), "A's rx pool");
  add_pool(r.b->rx_pool(0), "B's rx pool");
  for (const nic::Device* d : {r.a.get(), r.b.get()})
    host.push_back({reinterpret_cast<uintptr_t>(d), reinterpret_cast<uintptr_t>(d) + sizeof(nic::Device), "a device"});
  uint64_t scanned = 0;
  for (sim::SimNic* nic : {&r.p.a, &r.p.b}) {
    for (const nic::DmaRegion& region : nic->regions()) {
      const auto* p = static_cast<const uint8_t*>(region.virt);
      for (size_t off = 0; off + 8 <= region.size; ++off, ++scanned) {
        uint64_t v;
        std::memcpy(&v, p + off, 8);
        for (const Range& h : host)
          ASSERT_FALSE(v >= h.lo && v < h.hi) << nic->name() << ": DMA region at IOVA 0x" << std::hex << region.iova
                                              << " holds a pointer into " << h.what << " at offset 0x" << off;
      }
    }
  }
  EXPECT_GT(scanned, 8u << 20) << "every pool's buffers and every ring were scanned";
}

TEST_P(Fault, DeviceReachableMemoryHoldsNoHostPointers) {
  Rig r(GetParam());
  expect_no_host_pointers(r);  // after init
  for (int round = 0; round < 8; ++round) {
    r.send(200);
    r.run(1'000'000);
  }
  EXPECT_EQ(r.delivered, 1600u);
  expect_no_host_pointers(r);  // after traffic (buffers in the app's hands, on rings, back in pools)
  r.expect_balanced();
}

// A device that writes garbage over DMA memory between bursts. `everything`: every region of both ports,
// descriptors included; otherwise only the packet pools (every byte of every buffer, in use or free).
void scribble(Rig& r, bool everything, int round, std::mt19937_64& rng) {
  std::vector<const void*> pools = {r.pool.dma_region().virt, r.a->rx_pool(0).dma_region().virt,
                                    r.b->rx_pool(0).dma_region().virt};
  for (sim::SimNic* nic : {&r.p.a, &r.p.b})
    for (const nic::DmaRegion& region : nic->regions()) {
      if (!everything && std::find(pools.begin(), pools.end(), region.virt) == pools.end()) continue;
      auto* p = static_cast<uint8_t*>(region.virt);
      if (round % 2 == 0) std::memset(p, 0xFF, region.size);
      else std::generate(p, p + region.size, [&] { return static_cast<uint8_t>(rng()); });
    }
}

// Packet bytes are all the device can change: with every pool buffer overwritten between bursts (0xFF or
// random), frames carry garbage but the driver's buffers stay intact; afterwards traffic flows, pools exact.
TEST_P(Fault, ScribblingOverEveryPacketBufferCannotCorruptTheDriver) {
  Rig r(GetParam());
  std::mt19937_64 rng(16);
  for (int round = 0; round < 12; ++round) {
    r.send(64);
    r.p.world.advance(3'000);
    scribble(r, false, round, rng);
    r.run(1'000'000);
  }
  r.expect_balanced();
  EXPECT_FALSE(r.a->health().dead);
  EXPECT_FALSE(r.b->health().dead);
  const uint64_t before = r.delivered;
  EXPECT_EQ(r.send(64), 64u);
  r.run(2'000'000);
  EXPECT_EQ(r.delivered - before, 64u) << "traffic flows once the scribbling stops";
  EXPECT_EQ(r.a->rx_ring_stats(0).packets + r.b->rx_ring_stats(0).packets, r.delivered);
  r.expect_balanced();
}

// The same over all DMA memory, descriptor rings included: the driver delivers or drops what the write-backs
// say and frees what the device claims done, each buffer once. No crash, no buffer lost or duplicated. (A ring
// the device has scribbled out of step with the driver may stall that queue until a reset: the driver cannot
// tell garbage DD bits from real ones, so traffic afterwards is not asserted here.)
TEST_P(Fault, ScribblingOverAllDmaMemoryKeepsEveryPoolExact) {
  Rig r(GetParam());
  std::mt19937_64 rng(16);
  for (int round = 0; round < 12; ++round) {
    r.send(64);
    r.p.world.advance(3'000);
    scribble(r, true, round, rng);
    r.run(1'000'000);
  }
  r.run(200'000'000);  // the watchdogs find what hung and recover it
  r.expect_balanced();
}

}  // namespace
