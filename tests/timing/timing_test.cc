// One test per timing rule of the simulator (sim/params.h, the index in sim/ixgbe_model.h). Virtual time only:
// every expectation is computed from the parameters, never from the wall clock.
#include <gtest/gtest.h>

#include "sim/pcie.h"
#include "tests/timing/port.h"

namespace timing {
namespace {

constexpr uint64_t ceil_ns(uint64_t ps) { return (ps + 999) / 1000; }

// --- PCIe: bytes on the pipe per TLP, and latency.
TEST(Pcie, WritesSplitAtMaxPayloadAndPayTheirOverhead) {
  sim::Params p;
  sim::Pcie pcie(p);
  // 1000 B = 4 TLPs of <= 256 B: (1000 + 4 * 24) B * 250 ps, then one latency.
  EXPECT_EQ(pcie.write(0, 1000), (1000 + 4 * 24) * 250 + 500'000u);
  // A second write queues behind the first on the upstream pipe.
  EXPECT_EQ(pcie.write(0, 16), (1000 + 4 * 24 + 16 + 24) * 250 + 500'000u);
  EXPECT_EQ(pcie.upstream_bytes(), 1000u + 4 * 24 + 16 + 24);
}

TEST(Pcie, ReadsCostTwoLatenciesAndCompletionOverhead) {
  sim::Params p;
  sim::Pcie pcie(p);
  // 1514 B: one request (<= 512 B? no: 3 requests of <= 512 B), 24 completions of <= 64 B.
  const uint64_t up = 3 * 24 * 250, down = (1514 + 24 * 20) * 250;
  EXPECT_EQ(pcie.read(0, 1514), up + 500'000 + down + 500'000);
  EXPECT_EQ(pcie.downstream_bytes(), 1514u + 24 * 20);
}

TEST(Pcie, UsablePayloadBandwidthMatchesGen2x8) {
  sim::Params p;
  sim::Pcie pcie(p);
  uint64_t done = 0;
  for (int i = 0; i < 10000; ++i) done = pcie.write(0, 256);
  const double gbps = 10000.0 * 256 * 8 / ((done - 500'000) / 1000.0);
  EXPECT_NEAR(gbps, 29.26, 0.05);  // 32 Gbit/s * 256 / 280; facts: ~28.7 usable
}

// --- Wire: 1000 back-to-back 64-byte frames occupy 1000 * 67.2 ns = 67.2 us of wire time.
TEST(Wire, ThousandBackToBack64ByteFramesTake67_2Microseconds) {
  Port port({.tx_n = 1024, .txdctl_thresh = 36 | 8 << 8 | 4 << 16});
  port.send(1000, 60, 32);
  port.world.advance(1'000'000);
  ASSERT_EQ(port.arrivals.size(), 1000u);
  // The last frame ends 1000 * 67.2 ns after the first one started (arrivals are rounded up to the ns).
  const uint64_t first_start_ps = port.arrivals.front() * 1000 - 67'200;
  EXPECT_NEAR(static_cast<double>(port.arrivals.back() * 1000 - first_start_ps), 67'200'000.0, 1000.0);
  for (size_t i = 1; i < port.arrivals.size(); ++i)  // no gap: the engine keeps the wire busy
    ASSERT_LE(port.arrivals[i] - port.arrivals[i - 1], 68u) << "gap before frame " << i;
}

// --- Tx path: doorbell (one latency), descriptor fetch and data fetch (a round trip each), then the wire.
TEST(TxTiming, FirstFrameLeavesAfterDoorbellTwoReadsAndSerialization) {
  Port port;
  const sim::Params& p = port.world.params();
  const uint64_t t0_ps = port.world.now() * 1000;
  port.send(1, 60);
  const uint64_t doorbell = t0_ps + (4 + 24) * 250 + 500'000;
  const uint64_t desc = ceil_ns(doorbell + 24 * 250 + 500'000 + (16 + 20) * 250 + 500'000) * 1000;
  const uint64_t data = desc + 24 * 250 + 500'000 + (60 + 20) * 250 + 500'000;
  const uint64_t on_wire = data + sim::wire_time_ps(p, 60);
  port.world.advance(10'000);
  ASSERT_EQ(port.arrivals.size(), 1u);
  EXPECT_EQ(port.arrivals[0], ceil_ns(on_wire));
}

// --- Rx path: DD becomes visible exactly one PCIe latency after the data and write-back TLPs were sent.
TEST(RxTiming, PcieLatencyDelaysTheDdWriteBack) {
  Port port;
  port.wr(RDT.at(0), 63);
  port.world.advance(10'000);  // descriptors fetched into the on-chip cache
  const uint64_t t0 = port.world.now() + 100;
  port.inject(60, t0);
  const uint64_t expect = t0 + ceil_ns((60 + 24) * 250 + (16 + 24) * 250 + 500'000);  // 531 ns
  const uint64_t seen = port.run_until_true([&] { return port.rx_done(0); }, 10'000);
  EXPECT_EQ(seen, expect);
  EXPECT_EQ(port.rxd[0].wb.length, 60u);
  EXPECT_NE(port.rxd[0].wb.status_error & nic::rxd::kStatusEOP, 0u);
}

// --- Descriptor prefetch: with PTHRESH = 0 the rx cache (32) is refilled only when empty, so frame 33 waits
// for a fetch round trip; with PTHRESH = 16 the refill starts early and frame 33 sees no extra delay.
uint64_t ddlatency_of_frame_33(uint32_t rxdctl_thresh) {
  Port port({.rxdctl_thresh = rxdctl_thresh});
  port.wr(RDT.at(0), 63);
  port.world.advance(10'000);
  const uint64_t t0 = port.world.now() + 100, gap = 100;  // one frame every 100 ns: the engine keeps up
  for (uint32_t i = 0; i < 40; ++i) port.inject(60, t0 + i * gap, i);
  const uint64_t seen = port.run_until_true([&] { return port.rx_done(32); }, 100'000);
  return seen - (t0 + 32 * gap);
}

TEST(RxTiming, PthreshPrefetchHidesTheFetchRoundTrip) {
  const uint64_t plain = 531;  // see PcieLatencyDelaysTheDdWriteBack
  EXPECT_GT(ddlatency_of_frame_33(0), plain + 800);  // waited for most of a fetch round trip
  EXPECT_EQ(ddlatency_of_frame_33(16 | 1 << 8), plain);     // prefetched while frames 17..32 arrived
}

// --- Rx packet buffer: without DROP_EN frames wait for descriptors; once the buffer is full, MPC counts.
TEST(RxPacketBuffer, FullBufferDropsAndCountsMpc) {
  Port port({.drop_en = false, .rxpb_kb = 16});
  const uint64_t t0 = port.world.now() + 100;
  for (uint32_t i = 0; i < 30; ++i) port.inject(1514, t0 + i * 1231, i);  // 10G line rate for 1514 B
  port.world.advance(100'000);
  // 16 KB holds 10 frames of 1514 B; the other 20 are missed.
  EXPECT_EQ(port.dev.rx_fifo_frames(), 10u);
  EXPECT_EQ(port.rd(MPC.at(0)), 20u);
  EXPECT_EQ(port.rd(QPRDC.at(0)), 0u);
  // Descriptors arrive: the buffered frames are delivered, in order.
  port.wr(RDT.at(0), 63);
  port.world.advance(100'000);
  EXPECT_EQ(port.dev.rx_fifo_frames(), 0u);
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(port.rx_done(i));
    uint32_t seq;
    std::memcpy(&seq, static_cast<uint8_t*>(port.bufs.virt) + i * 2048 + 14, 4);
    EXPECT_EQ(seq, i);
  }
  EXPECT_FALSE(port.rx_done(10));
}

TEST(RxPacketBuffer, DropEnDropsAtOnceAndCountsQprdc) {
  Port port({.drop_en = true, .rxpb_kb = 16});
  const uint64_t t0 = port.world.now() + 100;
  for (uint32_t i = 0; i < 30; ++i) port.inject(1514, t0 + i * 1231, i);
  port.world.advance(100'000);
  EXPECT_EQ(port.dev.rx_fifo_frames(), 0u);
  EXPECT_EQ(port.rd(QPRDC.at(0)), 30u);
  EXPECT_EQ(port.rd(MPC.at(0)), 0u);
}

// --- Tx packet buffer: the engine runs ahead of the wire only as far as TXPBSIZE allows.
TEST(TxPacketBuffer, BoundsHowFarDataFetchRunsAheadOfTheWire) {
  Port port({.tx_n = 128, .txdctl_thresh = 36 | 8 << 8, .txpb_kb = 10});
  port.send(100, 1514, 100);
  port.world.advance(5'000);
  // By now at most ~1 frame is on the wire; the device may have fetched only what 10 KB holds (6 frames).
  EXPECT_LE(port.rd(TDH.at(0)), 1u + 10240 / 1514 + 1);
  port.world.advance(1'000'000);
  EXPECT_EQ(port.arrivals.size(), 100u);
  EXPECT_GT(port.dev.counters().tx_pb_full_waits, 0u);
  // Still line rate once going: 99 gaps of (1514 + 24) * 0.8 ns.
  EXPECT_NEAR(static_cast<double>(port.arrivals.back() - port.arrivals.front()), 99 * 1230.4, 2.0);
}

// --- WTHRESH: with 0 every RS descriptor is written back alone; with 8 they go back 8 at a time.
TEST(WriteBack, WthresholdBatchesTxWriteBacks) {
  Port plain({.txdctl_thresh = 0});
  plain.send(8, 60, 1);
  plain.world.advance(20'000);
  EXPECT_EQ(plain.dev.counters().writebacks, 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(plain.tx_done(i));

  Port batched({.txdctl_thresh = 8 << 16});
  batched.send(7, 60, 1);
  // 7 done descriptors are fewer than WTHRESH: nothing is written until the flush timer runs out.
  const uint64_t t7 = batched.run_until_true([&] { return batched.tx_done(0); }, 20'000);
  EXPECT_EQ(batched.dev.counters().writebacks, 1u);
  for (uint32_t i = 0; i < 7; ++i) EXPECT_TRUE(batched.tx_done(i));
  (void)t7;
  batched.send(8, 60, 1);
  batched.world.advance(20'000);
  EXPECT_EQ(batched.dev.counters().writebacks, 2u);  // one burst of 8
  for (uint32_t i = 7; i < 15; ++i) EXPECT_TRUE(batched.tx_done(i));
}

TEST(WriteBack, PartialBatchIsFlushedAfterTheFlushTime) {
  Port port({.txdctl_thresh = 8 << 16});
  const sim::Params& p = port.world.params();
  const uint64_t t0 = port.world.now();
  port.send(1, 60);
  const uint64_t seen = port.run_until_true([&] { return port.tx_done(0); }, 20'000);
  // Data on chip at doorbell + two reads; flushed wb_flush_ns later; one write TLP and a latency after that.
  const uint64_t doorbell = t0 * 1000 + (4 + 24) * 250 + 500'000;
  const uint64_t desc = ceil_ns(doorbell + 24 * 250 + 500'000 + (16 + 20) * 250 + 500'000) * 1000;
  const uint64_t data = ceil_ns(desc + 24 * 250 + 500'000 + (60 + 20) * 250 + 500'000);
  EXPECT_EQ(seen, data + p.wb_flush_ns + ceil_ns((16 + 24) * 250 + 500'000));
}

TEST(WriteBack, RxWthresholdHoldsDdUntilTheBatchIsFull) {
  Port port({.rxdctl_thresh = 4 << 16});
  port.wr(RDT.at(0), 63);
  port.world.advance(10'000);
  const uint64_t t0 = port.world.now() + 100;
  for (uint32_t i = 0; i < 4; ++i) port.inject(60, t0 + i * 68, i);
  port.run_until_true([&] { return port.rx_done(0); }, 20'000);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(port.rx_done(i)) << i;  // all four appear together
  EXPECT_EQ(port.dev.counters().writebacks, 1u);
}

// --- EITR: a vector fires at most once per ITR interval (2.048 us units); causes in between coalesce.
TEST(Interrupts, EitrSpacesInterruptsByTheInterval) {
  Port port({.rx_n = 1024});
  std::vector<uint64_t> fired;
  port.dev.on_interrupt = [&](uint32_t v, uint64_t t) {
    if (v == 0) fired.push_back(t);
  };
  port.wr(EITR.at(0), 10 << 3);  // 10 * 2.048 us = 20.48 us
  port.wr(EIMS.at(), 1);
  port.wr(RDT.at(0), 1023);
  port.world.advance(10'000);
  const uint64_t t0 = port.world.now() + 100;
  for (uint32_t i = 0; i < 1000; ++i) port.inject(60, t0 + i * 68, i);  // 68 us of frames
  port.world.advance(200'000);
  // At the first DD, then every 20.48 us while causes keep coming (frames for 68 us: 0, 20, 41, 61, 82 us).
  ASSERT_EQ(fired.size(), 5u);
  for (size_t i = 1; i < fired.size(); ++i) EXPECT_EQ(fired[i] - fired[i - 1], 20'480u);
  EXPECT_EQ(port.dev.interrupts(0), 5u);
  EXPECT_NE(port.rd(EICR.at()) & 1u, 0u);  // the cause bit
}

TEST(Interrupts, WithoutModerationEveryWriteBackFiresAndMaskedCausesWait) {
  Port port;
  port.wr(RDT.at(0), 63);
  port.world.advance(10'000);
  const uint64_t t0 = port.world.now() + 100;
  for (uint32_t i = 0; i < 5; ++i) port.inject(60, t0 + i * 1000, i);
  port.world.advance(20'000);
  EXPECT_EQ(port.dev.interrupts(0), 0u);  // masked (EIMS = 0): the cause is only recorded
  port.wr(EIMS.at(), 1);
  EXPECT_EQ(port.dev.interrupts(0), 1u);  // the pending cause fires once unmasked
  for (uint32_t i = 0; i < 5; ++i) port.inject(60, port.world.now() + 100 + i * 1000, i);
  port.world.advance(20'000);
  EXPECT_EQ(port.dev.interrupts(0), 6u);  // EITR = 0: one per write-back
  // A cause that software reads away from EICR while masked (EICR clears on read, GPIE.OCD = 0) is gone:
  // unmasking later does not fire it.
  port.wr(EIMC.at(), 1);
  port.inject(60, port.world.now() + 100, 9);
  port.world.advance(20'000);
  EXPECT_NE(port.rd(EICR.at()) & 1u, 0u);
  port.wr(EIMS.at(), 1);
  EXPECT_EQ(port.dev.interrupts(0), 6u);
}

}  // namespace
}  // namespace timing
