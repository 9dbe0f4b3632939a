// The rx descriptor scans (driver/ring/rx_scan.h): every vector kind gives the scalar scan's answer, count and
// lengths, on the same memory; and the ring-level contract of the lazy tx reclaim and the doorbell.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/mem/mempool.h"
#include "driver/ring/ring.h"
#include "driver/ring/rx_scan.h"
#include "sim/fakes/null_nic.h"

namespace {

using nic::rxscan::Kind;

constexpr uint32_t kMask = nic::rxd::kStatusDD | nic::rxd::kStatusEOP | nic::rxd::kErrorRxe;
constexpr uint32_t kValue = nic::rxd::kStatusDD | nic::rxd::kStatusEOP;
constexpr nic::rxscan::Want kWant{kMask, kValue, 2048};

std::vector<Kind> vector_kinds() {
  std::vector<Kind> out;
  for (Kind k : {Kind::kSse2, Kind::kAvx2})
    if (nic::rxscan::available(k)) out.push_back(k);
  return out;
}

struct Scan {
  uint32_t k;
  std::vector<uint32_t> lens;
};

Scan scan(Kind kind, const std::vector<nic::AdvRxDesc>& ring, uint32_t n, nic::rxscan::Want want = kWant) {
  std::vector<uint32_t> lens(n + 8, 0xDEAD);
  const uint32_t k = nic::rxscan::function(kind)(ring.data(), n, want, lens.data());
  lens.resize(k);
  return {k, lens};
}

nic::AdvRxDesc good(uint16_t len) {
  nic::AdvRxDesc d{};
  d.wb.status_error = kValue;
  d.wb.length = len;
  return d;
}

TEST(RxScan, ScalarCountsTheLeadingGoodDescriptorsAndTheirLengths) {
  std::vector<nic::AdvRxDesc> ring{good(60), good(1514), good(2048), good(2049), good(60)};
  const Scan s = scan(Kind::kScalar, ring, 5);
  EXPECT_EQ(s.k, 3u);  // 2049 > cap stops it
  EXPECT_EQ(s.lens, (std::vector<uint32_t>{60, 1514, 2048}));
  EXPECT_EQ(scan(Kind::kScalar, ring, 2).k, 2u);  // never past n
}

// Every way a descriptor can be not good, at every position of a group of 8 and of the 4-wide tail: the vector
// scans stop exactly where the scalar one does and report the same lengths.
TEST(RxScan, VectorScansStopWhereTheScalarScanStops) {
  const std::vector<Kind> kinds = vector_kinds();
  if (kinds.empty()) GTEST_SKIP() << "no vector scan in this build (ThreadSanitizer, or not x86-64)";
  struct Bad {
    const char* what;
    uint32_t status;
    uint16_t len;
  };
  const Bad bads[] = {{"no DD", nic::rxd::kStatusEOP, 60},
                      {"no EOP", nic::rxd::kStatusDD, 60},
                      {"frame error", kValue | nic::rxd::kErrorRxe, 60},
                      {"length 0", kValue, 0},
                      {"length cap+1", kValue, 2049},
                      {"length 65535", kValue, 65535}};
  for (uint32_t n : {1u, 3u, 4u, 7u, 8u, 13u, 16u, 31u, 32u, 64u}) {
    for (uint32_t at = 0; at <= n; ++at) {
      for (const Bad& bad : bads) {
        std::vector<nic::AdvRxDesc> ring;
        for (uint32_t i = 0; i < n; ++i) ring.push_back(good(static_cast<uint16_t>(60 + i)));
        if (at < n) ring[at].wb.status_error = bad.status, ring[at].wb.length = bad.len;
        const Scan want = scan(Kind::kScalar, ring, n);
        ASSERT_EQ(want.k, at) << bad.what;
        for (Kind k : kinds) {
          const Scan got = scan(k, ring, n);
          EXPECT_EQ(got.k, want.k) << nic::rxscan::name(k) << " n=" << n << " at=" << at << " " << bad.what;
          EXPECT_EQ(got.lens, want.lens) << nic::rxscan::name(k) << " n=" << n << " at=" << at;
        }
      }
    }
  }
}

// Random write-backs, mostly good: the same answers, and the other fields (RSS hash, VLAN) never matter.
TEST(RxScan, VectorScansAgreeWithScalarOnRandomWriteBacks) {
  std::mt19937 rng(2112);
  for (int round = 0; round < 20000; ++round) {
    const uint32_t n = 1 + rng() % 64;
    std::vector<nic::AdvRxDesc> ring(n);
    for (auto& d : ring) {
      d.wb.pkt_info = static_cast<uint32_t>(rng());
      d.wb.rss_or_csum = static_cast<uint32_t>(rng());
      d.wb.vlan = static_cast<uint16_t>(rng());
      const uint32_t r = rng() % 100;
      d.wb.status_error = static_cast<uint32_t>(r < 90 ? (kValue | (rng() & 0x000FFFFCu)) : rng());
      d.wb.length = static_cast<uint16_t>(r < 95 ? 1 + rng() % 2048 : rng());
    }
    const nic::rxscan::Want want{kMask, kValue, static_cast<uint32_t>(1 + rng() % 2048)};
    const Scan s = scan(Kind::kScalar, ring, n, want);
    for (Kind k : vector_kinds()) {
      const Scan v = scan(k, ring, n, want);
      ASSERT_EQ(v.k, s.k) << nic::rxscan::name(k) << " round " << round;
      ASSERT_EQ(v.lens, s.lens) << nic::rxscan::name(k) << " round " << round;
    }
  }
}

TEST(RxScan, PreferredIsTheWidestAvailable) {
  if (std::getenv("NIC_RX_SCAN")) GTEST_SKIP() << "NIC_RX_SCAN chooses";
  const Kind widest = nic::rxscan::available(Kind::kAvx2)   ? Kind::kAvx2
                      : nic::rxscan::available(Kind::kSse2) ? Kind::kSse2
                                                            : Kind::kScalar;
  EXPECT_EQ(nic::rxscan::preferred(), widest);
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
  EXPECT_TRUE(nic::rxscan::available(Kind::kSse2)) << "SSE2 is part of x86-64";
#endif
}

// The ring's receive path gives the same frames with every scan kind (the ring then looks at a bad descriptor
// on its own: drops it and goes on).
TEST(RxScan, RingDeliversTheSameFramesWithEveryScan) {
  for (Kind kind : {Kind::kScalar, Kind::kSse2, Kind::kAvx2}) {
    if (!nic::rxscan::available(kind)) continue;
    sim::NullNic dev("null");
    nic::Mempool pool(dev, 128);
    {
      nic::RxRing ring(dev, pool, 64, 0x01018);
      ring.set_scan(kind);
      ring.fill();
      auto* desc = static_cast<nic::AdvRxDesc*>(dev.to_virt(ring.ring_iova(), ring.ring_bytes()));
      for (uint32_t i = 0; i < 40; ++i) desc[i] = good(static_cast<uint16_t>(60 + i));
      desc[9].wb.status_error |= nic::rxd::kErrorRxe;  // dropped (rx_errors)
      desc[20].wb.length = 0;                          // dropped (bad_desc)
      std::vector<nic::Packet> out(64);
      const size_t n = ring.rx_batch(out);
      EXPECT_EQ(n, 38u) << nic::rxscan::name(kind);
      std::vector<uint32_t> sizes;
      for (size_t i = 0; i < n; ++i) sizes.push_back(out[i].size());
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < 40; ++i)
        if (i != 9 && i != 20) want.push_back(60 + i);
      EXPECT_EQ(sizes, want) << nic::rxscan::name(kind);
      EXPECT_EQ(ring.stats().rx_errors, 1u);
      EXPECT_EQ(ring.stats().bad_desc, 1u);
      EXPECT_EQ(ring.stats().packets, 38u);
      // The tail handed the device everything refilled: slots 0..39 posted again, RDT = 39.
      EXPECT_EQ(dev.read32(0x01018), 39u);
      out.clear();
    }
    EXPECT_EQ(pool.in_use(), 0u);
  }
}

// Lazy reclaim: small batches leave completed buffers on the ring until kReclaimAt are in flight; an empty
// batch gives back everything completed.
TEST(TxReclaim, SmallBatchesReclaimOnceTheThresholdIsInFlightAndAnEmptyBatchReclaimsAll) {
  sim::NullNic dev("null");
  nic::Mempool pool(dev, 256);
  {
    nic::TxRing ring(dev, 128, 0x06018);
    auto send_one = [&] {
      std::vector<nic::Packet> one;
      one.push_back(nic::Packet::alloc(pool, 60));
      return ring.tx_batch(one);
    };
    auto complete_all = [&] {
      auto* d = static_cast<nic::AdvTxDesc*>(dev.to_virt(ring.ring_iova(), ring.ring_bytes()));
      for (uint32_t i = 0; i < ring.size(); ++i)
        if (d[i].read.cmd_type_len & nic::txd::kCmdRs) d[i].wb.status = nic::txd::kStatusDD;
    };
    ASSERT_EQ(nic::TxRing::kReclaimAt, 64u);  // the threshold tools/bench/RESULTS.md measured
    for (uint32_t i = 0; i < nic::TxRing::kReclaimAt; ++i) {
      ASSERT_EQ(send_one(), 1u);
      complete_all();
    }
    EXPECT_EQ(ring.in_flight(), nic::TxRing::kReclaimAt);  // all completed, none reclaimed yet
    EXPECT_EQ(pool.in_use(), nic::TxRing::kReclaimAt);
    ASSERT_EQ(send_one(), 1u);  // at the threshold: reclaims first
    EXPECT_EQ(ring.in_flight(), 1u);
    EXPECT_EQ(pool.in_use(), 1u);
    complete_all();
    EXPECT_EQ(ring.tx_batch({}), 0u);
    EXPECT_EQ(ring.in_flight(), 0u);
    EXPECT_EQ(pool.in_use(), 0u);
  }
}

// The null device maps its registers: tails are plain stores into them, as into VFIO's BAR; a backend that
// does not (the default) gets write32 calls.
class CountingNic : public sim::NullNic {
 public:
  using NullNic::NullNic;
  int writes = 0;
  void write32(uint32_t off, uint32_t v) override { ++writes, NullNic::write32(off, v); }
};
class UnmappedNic : public CountingNic {
 public:
  using CountingNic::CountingNic;
  nic::Doorbell doorbell(uint32_t off) override { return nic::Doorbell(*this, off); }
};

TEST(Doorbell, MappedTailsAreStoresAndUnmappedOnesWrite32) {
  for (bool mapped : {true, false}) {
    std::unique_ptr<CountingNic> dev = mapped ? std::make_unique<CountingNic>("m") : std::make_unique<UnmappedNic>("u");
    nic::Mempool pool(*dev, 64);
    {
      nic::TxRing ring(*dev, 32, 0x06018);
      std::vector<nic::Packet> pkts;
      for (int i = 0; i < 5; ++i) pkts.push_back(nic::Packet::alloc(pool, 60));
      ASSERT_EQ(ring.tx_batch(pkts), 5u);
      EXPECT_EQ(dev->read32(0x06018), 5u);  // TDT, in the register either way
      EXPECT_EQ(dev->writes, mapped ? 0 : 1);
      ring.release_all();
    }
  }
}

}  // namespace
