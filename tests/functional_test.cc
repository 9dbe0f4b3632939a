// The functional model (sim::Fidelity::kFunctional, sim/ixgbe_functional.cc): doorbells run the engines at
// once, and the same traffic produces the same bytes and the same counters as the timed model. The other
// suites (integration_test, fault_test) run every scenario under both models as well.
#include <gtest/gtest.h>

#include <vector>

#include "driver/device/device.h"
#include "driver/ixgbe/regs.h"
#include "fuzz/sim_ops.h"
#include "sim/crc32.h"
#include "sim/traffic.h"
#include "tests/testbed.h"

namespace {

using sim::Fidelity;

constexpr nic::MacAddr kMacB{0x02, 0x53, 0x49, 0x4d, 0x00, 0x01};

nic::DeviceConfig fast_cfg() {
  nic::DeviceConfig c;
  c.link_timeout_ms = 1000;
  return c;
}

class Functional : public testbed::NoDiagnostics {};

TEST_F(Functional, TailWriteTransmitsBeforeAnyTimePasses) {
  sim::World world({}, Fidelity::kFunctional);
  sim::SimNic nic0(world, testbed::port_config(0));
  sim::Sink sink;
  nic0.device().connect(&sink);
  nic::Mempool pool(nic0, 64);
  auto dev = nic::open_device(nic0, fast_cfg());
  std::vector<nic::Packet> tx(8);
  for (uint32_t i = 0; i < tx.size(); ++i) {
    tx[i] = nic::Packet::alloc(pool, 100);
    testbed::make_frame(tx[i].data(), 100, kMacB, i);
  }
  const uint64_t t0 = world.now();
  ASSERT_EQ(dev->tx_batch(0, tx), 8u);
  EXPECT_EQ(world.now(), t0);
  ASSERT_EQ(sink.kept.size(), 8u) << "the TDT write itself sent every frame";
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(sink.kept[i], testbed::frame_bytes(100, kMacB, i));
  dev->tx_batch(0, {});  // reclaim: DD was written with the transmit
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(Functional, FramesWaitInThePacketBufferUntilTheTailWriteGivesDescriptors) {
  testbed::CabledPair p(Fidelity::kFunctional);
  nic::DeviceConfig cfg = fast_cfg();
  cfg.rx_ring_size = 64;
  nic::Mempool pool(p.a, 256);
  auto a = nic::open_device(p.a, fast_cfg());
  auto b = nic::open_device(p.b, cfg);
  // Without SRRCTL.DROP_EN (the driver sets it) a frame finding no descriptor waits in the packet buffer. (A
  // test's own register write, not the driver's: not held to the strict rules.)
  p.b.device().set_strict(false);
  p.b.write32(nic::ixgbe::SRRCTL.at(0), p.b.read32(nic::ixgbe::SRRCTL.at(0)) & ~nic::ixgbe::srrctl::kDropEnable.mask());
  std::vector<nic::Packet> tx(100);
  for (uint32_t i = 0; i < tx.size(); ++i) {
    tx[i] = nic::Packet::alloc(pool, 60);
    testbed::make_frame(tx[i].data(), 60, kMacB, i);
  }
  ASSERT_EQ(a->tx_batch(0, tx), 100u);
  EXPECT_EQ(p.b.device().rx_fifo_frames(), 100u - 63u) << "63 descriptors were posted; the rest wait";
  std::vector<nic::Packet> rx(128);
  uint32_t seq = 0;
  for (int round = 0; round < 3 && seq < 100; ++round) {
    const size_t n = b->rx_batch(0, rx);  // its RDT write lets waiting frames in, with no time passing
    for (size_t i = 0; i < n; ++i, ++seq) {
      ASSERT_EQ(std::vector<uint8_t>(rx[i].data(), rx[i].data() + rx[i].size()), testbed::frame_bytes(60, kMacB, seq));
      rx[i].reset();
    }
  }
  EXPECT_EQ(seq, 100u);
  EXPECT_EQ(p.b.device().rx_fifo_frames(), 0u);
  nic::DeviceStats s;
  b->read_stats(s);
  EXPECT_EQ(s.rx_missed + s.rx_no_desc, 0u);
  a->tx_batch(0, {});  // reclaim: every buffer sent is back
  EXPECT_EQ(pool.in_use(), 0u);
}

// What one run of a mixed workload leaves behind, for comparing the two models.
struct Outcome {
  std::vector<sim::Bytes> wire;       // what port B transmitted
  nic::DeviceStats a, b;              // device statistics through the driver
  std::vector<uint32_t> qprc;         // port A's per-queue receive counts
  std::vector<uint32_t> qbrc;         // ... and octets (QBRC_L)
  sim::Ixgbe82599::Counters ca, cb;   // the model's own counters

  static Outcome run(Fidelity fidelity) {
    Outcome o;
    sim::World world({}, fidelity);
    sim::SimNic a(world, testbed::port_config(0)), b(world, testbed::port_config(1));
    sim::Sink out;
    a.device().connect(&out);
    b.device().connect(&out);
    nic::DeviceConfig cfg = fast_cfg();
    cfg.rx_queues = cfg.tx_queues = 4;
    auto da = nic::open_device(a, cfg);
    auto db = nic::open_device(b, cfg);
    std::vector<nic::Packet> bufs(64);
    // Flows of three frame sizes through A (RSS over 4 queues), forwarded by B.
    for (uint32_t size : {60u, 300u, 1514u}) {
      sim::TrafficSpec spec;
      spec.count = 600;
      spec.flows = 32;
      spec.frame_size = size;
      std::copy(a.device().config().mac.begin(), a.device().config().mac.end(), spec.dst_mac);
      sim::TrafficGen gen(world, &a.device(), spec);
      gen.start(world.now());
      for (int i = 0; i < 2000 && gen.sent() < spec.count; ++i) {
        world.advance(2'000);
        for (uint16_t q = 0; q < 4; ++q) {
          const size_t n = da->rx_batch(q, bufs);
          EXPECT_EQ(db->tx_batch(q, std::span(bufs.data(), n)), n);
        }
      }
      world.advance(1'000'000);
      for (uint16_t q = 0; q < 4; ++q) {  // the last frames
        const size_t n = da->rx_batch(q, bufs);
        EXPECT_EQ(db->tx_batch(q, std::span(bufs.data(), n)), n);
      }
      world.advance(1'000'000);
    }
    o.wire = out.kept;
    for (uint32_t q = 0; q < 4; ++q) o.qprc.push_back(a.device().read32(nic::ixgbe::QPRC.at(q)));
    for (uint32_t q = 0; q < 4; ++q) o.qbrc.push_back(a.device().read32(nic::ixgbe::QBRC_L.at(q)));
    da->read_stats(o.a);
    db->read_stats(o.b);
    // Every buffer is back: A's pools hold only what its rx rings have posted (B's tx rings reclaimed).
    for (uint16_t q = 0; q < 4; ++q) {
      db->tx_batch(q, {});
      EXPECT_EQ(da->rx_pool(q).in_use(), cfg.rx_ring_size) << "queue " << q;  // a buffer in every slot
    }
    o.ca = a.device().counters();
    o.cb = b.device().counters();
    da->shutdown();
    db->shutdown();
    return o;
  }
};

TEST_F(Functional, SameTrafficSameBytesAndCountersAsTheTimedModel) {
  const Outcome timed = Outcome::run(Fidelity::kTimed);
  const Outcome functional = Outcome::run(Fidelity::kFunctional);
  ASSERT_EQ(timed.wire.size(), 1800u);
  // RSS spreads flows over four queues and each is forwarded on its own tx queue, so the order on B's wire
  // may interleave differently; the frames themselves must be the same.
  auto sorted = [](std::vector<sim::Bytes> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(functional.wire), sorted(timed.wire));
  EXPECT_EQ(functional.qprc, timed.qprc);
  EXPECT_EQ(functional.qbrc, timed.qbrc);
  EXPECT_NE(timed.qbrc, std::vector<uint32_t>(4, 0u)) << "the queues counted octets";
  for (auto [f, t] : {std::pair{functional.a, timed.a}, std::pair{functional.b, timed.b}}) {
    EXPECT_EQ(f.rx_packets, t.rx_packets);
    EXPECT_EQ(f.tx_packets, t.tx_packets);
    EXPECT_EQ(f.rx_bytes, t.rx_bytes);
    EXPECT_EQ(f.tx_bytes, t.tx_bytes);
    EXPECT_EQ(f.rx_missed, t.rx_missed);
    EXPECT_EQ(f.rx_no_desc, t.rx_no_desc);
  }
  EXPECT_EQ(functional.a.rx_packets, 1800u);
  EXPECT_EQ(functional.b.tx_packets, 1800u);
  EXPECT_EQ(functional.ca.rx_filtered + functional.cb.rx_filtered, 0u);
  // The timed model did its timing work; the functional one did none.
  EXPECT_GT(timed.ca.desc_fetches, 0u);
  EXPECT_EQ(functional.ca.desc_fetches + functional.cb.desc_fetches, 0u);
  EXPECT_EQ(functional.ca.writebacks + functional.cb.writebacks, 0u);
}

TEST(FunctionalDiagnostics, StrictRulesStillApply) {
  // The rule table checks software's register writes in both models: an out-of-range tail is reported.
  sim::World world({}, Fidelity::kFunctional);
  sim::SimNic nic0(world, testbed::port_config(0));
  sim::Sink sink;
  nic0.device().connect(&sink);
  auto dev = nic::open_device(nic0, fast_cfg());
  nic0.write32(nic::ixgbe::TDT.at(0), 4096);  // the ring has 512 descriptors
  EXPECT_EQ(nic0.device().diag().count("tdt.out-of-range"), 1u);
  nic0.write32(nic::ixgbe::TDT.at(0), 0);
  dev->shutdown();
}

TEST(TrafficBursts, FramesComeInWindowsNeverEarlyAndAtMostOneWindowLate) {
  sim::World world({}, Fidelity::kFunctional);
  sim::Sink sink;
  sink.keep = false;
  uint64_t worst_late = 0, events = 0, last_now = UINT64_MAX;
  sink.on_frame = [&](const sim::Bytes&, uint64_t t) {
    ASSERT_GE(world.now(), t) << "a frame arrived before its time";
    worst_late = std::max(worst_late, world.now() - t);
    if (world.now() != last_now) ++events, last_now = world.now();
  };
  sim::TrafficSpec spec;
  spec.count = 14'880;  // 1 ms at line rate
  spec.burst_ns = 1000;
  sim::TrafficGen gen(world, &sink, spec);
  gen.start(0);
  world.advance(2'000'000);
  EXPECT_EQ(sink.frames, spec.count);
  EXPECT_LE(worst_late, 1001u);
  EXPECT_GE(worst_late, 900u);
  EXPECT_LT(events, 1100u) << "one delivery per window, not one per frame";
}

}  // namespace

// Hostile ring contents and injected faults, under both models (fuzz/sim_ops.h bring_up(): rx and tx queue 0
// running with 8-entry rings inside one 64 KB DMA region: rx ring at 0, tx ring at 1 KB, rx buffers of 1 KB
// at 8 KB, four tx descriptors prepared at 16 KB).
class Hostile : public ::testing::TestWithParam<Fidelity> {
 protected:
  sim::World world{{}, GetParam()};
  sim::SimNic nic{world};
  sim::Sink sink;
  nic::DmaRegion mem;
  nic::AdvRxDesc* rx = nullptr;
  nic::AdvTxDesc* tx = nullptr;
  void SetUp() override {
    nic.device().connect(&sink);
    mem = nic.dma_alloc(64 * 1024, 4096);
    fuzz::bring_up(nic, mem);
    rx = static_cast<nic::AdvRxDesc*>(mem.virt);
    tx = reinterpret_cast<nic::AdvTxDesc*>(static_cast<uint8_t*>(mem.virt) + 1024);
  }
  void TearDown() override { nic.dma_free(mem); }
};
INSTANTIATE_TEST_SUITE_P(Fidelity, Hostile, ::testing::Values(Fidelity::kTimed, Fidelity::kFunctional),
                         testbed::fidelity_name);

// A frame longer than one buffer takes as many descriptors as it needs (§7.1.6.2): each write-back holds its
// own buffer's share, EOP only on the last, and the bytes across the buffers are the frame's.
std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> f(n);
  for (size_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  return f;
}
void expect_spans(const nic::AdvRxDesc* rx, const uint8_t* buffers, const std::vector<uint8_t>& want,
                  std::initializer_list<uint16_t> lengths) {
  size_t i = 0, off = 0;
  for (uint16_t len : lengths) {
    const bool last = i + 1 == lengths.size();
    EXPECT_EQ(rx[i].wb.status_error & (nic::rxd::kStatusDD | nic::rxd::kStatusEOP),
              nic::rxd::kStatusDD | (last ? nic::rxd::kStatusEOP : 0u))
        << "descriptor " << i;
    EXPECT_EQ(rx[i].wb.length, len) << "descriptor " << i;
    EXPECT_EQ(std::vector<uint8_t>(buffers + i * 1024, buffers + i * 1024 + len),
              std::vector<uint8_t>(want.begin() + static_cast<ptrdiff_t>(off), want.begin() + static_cast<ptrdiff_t>(off + len)))
        << "descriptor " << i;
    off += len;
    ++i;
  }
  EXPECT_EQ(off, want.size());
}

TEST_P(Hostile, AFrameLongerThanABufferSpansDescriptorsWithEopOnTheLastOnly) {
  const std::vector<uint8_t> frame = pattern(1500);
  world.inject(&nic.device(), frame, world.now());
  world.advance(100'000);
  const auto* buffers = static_cast<const uint8_t*>(mem.virt) + 8192;
  expect_spans(rx, buffers, frame, {1024, 476});
  EXPECT_EQ(nic.read32(nic::ixgbe::RDH.at(0)), 2u) << "two descriptors used";
  EXPECT_EQ(nic.read32(nic::ixgbe::QPRC.at(0)), 1u) << "one frame";
  EXPECT_EQ(rx[2].wb.status_error & nic::rxd::kStatusDD, 0u) << "nothing beyond";
}

TEST_P(Hostile, WithTheCrcKeptItsFourBytesEndTheLastBuffer) {
  using namespace nic::ixgbe;
  // Both strip bits off (§8.2.3.8.8: HLREG0.RXCRCSTRP and RDRXCTL.CRCSTRIP must agree); FCTRL and the strip
  // bits may change only with receive off.
  nic.write32(RXCTRL.at(), 0);
  nic.write32(HLREG0.at(), nic.read32(HLREG0.at()) & ~hlreg0::kRxCrcStrip.mask());
  nic.write32(RDRXCTL.at(), nic.read32(RDRXCTL.at()) & ~rdrxctl::kCrcStrip.mask());
  nic.write32(RXCTRL.at(), rxctrl::kRxEnable.mask());
  const std::vector<uint8_t> frame = pattern(1514);  // + 4 CRC bytes: 1518, the largest non-jumbo frame
  world.inject(&nic.device(), frame, world.now());
  world.advance(100'000);
  std::vector<uint8_t> want = frame;
  const uint8_t check[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  ASSERT_EQ(sim::crc32(check, 9), 0xCBF43926u) << "the CRC-32 check value (IEEE 802.3)";
  const uint32_t fcs = sim::crc32(frame.data(), frame.size());
  for (int i = 0; i < 4; ++i) want.push_back(static_cast<uint8_t>(fcs >> (8 * i)));  // the FCS, as sent
  expect_spans(rx, static_cast<const uint8_t*>(mem.virt) + 8192, want, {1024, 494});
  EXPECT_EQ(nic.device().diag().count("rdrxctl.crcstrip-mismatch"), 0u);
}

TEST_P(Hostile, ABufferOverTheRingItselfIsWrittenOnlyWhereTheIommuAllows) {
  // Buffer 0 covers descriptors 1..7 and the first tx descriptor: a two-buffer frame (1500 bytes, 1 KB
  // buffers) writes its first 1024 bytes over the ring it is being received on. The device had already
  // fetched descriptor 1 (its buffer at 9 KB), so the rest goes there; then both write-backs land.
  rx[0].read.pkt_addr = mem.iova + 16;
  const uint8_t* m = static_cast<const uint8_t*>(mem.virt);
  const std::vector<uint8_t> before(m, m + 64 * 1024);
  world.inject(&nic.device(), sim::Bytes(1500, 0xFF), world.now());
  world.advance(100'000);
  EXPECT_EQ(nic.device().counters().dma_faults, 0u) << "every write was to mapped memory";
  EXPECT_EQ(rx[0].wb.status_error & (nic::rxd::kStatusDD | nic::rxd::kStatusEOP), nic::rxd::kStatusDD);
  EXPECT_EQ(rx[0].wb.length, 1024u) << "the first buffer's share";
  EXPECT_EQ(rx[1].wb.status_error & (nic::rxd::kStatusDD | nic::rxd::kStatusEOP), nic::rxd::kStatusDD | nic::rxd::kStatusEOP);
  EXPECT_EQ(rx[1].wb.length, 476u) << "the rest, EOP on the last descriptor only";
  // Exactly these bytes changed: the two write-backs [0, 32), buffer 0's data [16, 1040) (under descriptor
  // 1's write-back where they overlap) and buffer 1's 476 bytes at 9 KB; all of the data is the frame's.
  const auto changed_ok = [](size_t i) { return i < 1040 || (i >= 9216 && i < 9216 + 476); };
  size_t outside = 0, not_frame = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (!changed_ok(i)) outside += m[i] != before[i];
    else if (i >= 32) not_frame += m[i] != 0xFF;
  }
  EXPECT_EQ(outside, 0u) << "bytes changed outside the frame's two buffers and write-backs";
  EXPECT_EQ(not_frame, 0u) << "buffer bytes that are not the frame's";
}

TEST_P(Hostile, AnInjectedFaultCostsOneFrameNotTheQueue) {
  nic.write32(nic::ixgbe::EITR.at(0), 0);  // any register write: functional views are rebuilt afterwards
  nic.device().fault_dma(1);
  uint32_t delivered = 0;
  for (uint32_t i = 0; i < 10; ++i) {
    world.inject(&nic.device(), sim::Bytes(100, static_cast<uint8_t>(i)), world.now());
    world.advance(100'000);
    for (uint32_t k = 0; k < 8; ++k) {  // take every done descriptor back and post it again
      if (!(rx[k].wb.status_error & nic::rxd::kStatusDD)) continue;
      ++delivered;
      rx[k].read.pkt_addr = mem.iova + 8192 + k * 1024;
      rx[k].read.hdr_addr = 0;
    }
    nic.write32(nic::ixgbe::RDT.at(0), (nic.read32(nic::ixgbe::RDH.at(0)) + 7) % 8);
    world.advance(100'000);
  }
  EXPECT_EQ(nic.device().counters().dma_faults, 1u);
  EXPECT_GE(delivered, 9u);
}

TEST_P(Hostile, ALegacyDescriptorIsOneBadFrame) {
  tx[0].read.cmd_type_len = nic::txd::kCmdEop | nic::txd::kCmdRs | 60;  // no DEXT: legacy
  nic.write32(nic::ixgbe::TDT.at(0), 1);
  world.advance(100'000);
  EXPECT_EQ(nic.device().counters().tx_bad_frames, 1u);
  EXPECT_EQ(sink.frames, 0u);
  EXPECT_EQ(nic.device().diag().count("txd.unsupported"), 1u);
}

TEST_P(Hostile, LoopbackFromATxBufferIntoAnOverlappingRxBuffer) {
  nic.write32(nic::ixgbe::HLREG0.at(), nic.read32(nic::ixgbe::HLREG0.at()) | nic::ixgbe::hlreg0::kLoopback.mask());
  tx[0].read.buffer_addr = rx[0].read.pkt_addr + 8;  // the frame sent is read from where it is received
  nic.write32(nic::ixgbe::TDT.at(0), 1);
  world.advance(100'000);
  EXPECT_TRUE(rx[0].wb.status_error & nic::rxd::kStatusDD);
  EXPECT_EQ(rx[0].wb.length, 60u);
}

// Checksum offload (§7.2.5): a context descriptor fills slot IDX; a data descriptor naming that slot with
// POPTS.IXSM/TXSM gets the IPv4 header checksum and the UDP/TCP checksum (seeded with the pseudo-header sum,
// as software must) inserted; the slot keeps its context for later frames; the host's buffer is not written.
namespace {
// RFC 1071's sum, written out here independently of the model's.
uint16_t rfc1071(const std::vector<uint8_t>& b) {
  uint64_t s = 0;
  for (size_t i = 0; i < b.size(); i += 2) s += (b[i] << 8) + (i + 1 < b.size() ? b[i + 1] : 0);
  while (s > 0xFFFF) s = (s >> 16) + (s & 0xFFFF);
  return static_cast<uint16_t>(s);
}
std::vector<uint8_t> pseudo(const uint8_t* ip, uint8_t proto, size_t l4_len) {
  std::vector<uint8_t> p(12);
  std::copy(ip + 12, ip + 20, p.begin());  // source and destination address
  p[9] = proto;
  p[10] = static_cast<uint8_t>(l4_len >> 8);
  p[11] = static_cast<uint8_t>(l4_len);
  return p;
}
// Ethernet + IPv4 (20 bytes) + UDP or TCP header + payload; IP and L4 checksum fields as software leaves them
// for the device: IP 0, L4 the pseudo-header sum (not complemented).
std::vector<uint8_t> l4_frame(uint8_t proto, size_t payload) {
  const size_t l4h = proto == 17 ? 8 : 20, l4_len = l4h + payload;
  std::vector<uint8_t> f(14 + 20 + l4_len, 0);
  f[12] = 0x08;  // IPv4
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>((20 + l4_len) >> 8);
  ip[3] = static_cast<uint8_t>(20 + l4_len);
  ip[8] = 64;
  ip[9] = proto;
  const uint8_t addrs[8] = {10, 9, 0, 1, 10, 9, 0, 2};
  std::copy(addrs, addrs + 8, ip + 12);
  uint8_t* l4 = ip + 20;
  l4[0] = 0x30, l4[1] = 0x39, l4[2] = 0x01, l4[3] = 0xBB;  // ports 12345 -> 443
  if (proto == 17) l4[4] = static_cast<uint8_t>(l4_len >> 8), l4[5] = static_cast<uint8_t>(l4_len);
  else l4[12] = 0x50;  // TCP data offset 5
  for (size_t i = 0; i < payload; ++i) l4[l4h + i] = static_cast<uint8_t>(i * 13 + 1);
  const uint16_t seed = rfc1071(pseudo(ip, proto, l4_len));
  const size_t field = proto == 17 ? 6 : 16;
  l4[field] = static_cast<uint8_t>(seed >> 8), l4[field + 1] = static_cast<uint8_t>(seed);
  return f;
}
bool ip_checksum_ok(const sim::Bytes& f) { return rfc1071({f.begin() + 14, f.begin() + 34}) == 0xFFFF; }
bool l4_checksum_ok(const sim::Bytes& f) {
  std::vector<uint8_t> all = pseudo(&f[14], f[23], f.size() - 34);
  all.insert(all.end(), f.begin() + 34, f.end());
  return rfc1071(all) == 0xFFFF;
}
}  // namespace

TEST_P(Hostile, ChecksumOffloadInsertsIpAndL4ChecksumsFromTheNamedContextSlot) {
  uint8_t* m = static_cast<uint8_t*>(mem.virt);
  const std::vector<uint8_t> udp = l4_frame(17, 37), tcp = l4_frame(6, 100);
  std::copy(udp.begin(), udp.end(), m + 16384);
  std::copy(tcp.begin(), tcp.end(), m + 16384 + 2048);
  const auto context = [&](uint32_t i, uint32_t l4t, uint32_t slot) {
    nic::AdvTxContextDesc c{};
    c.vlan_macip_lens = 14u << nic::txctx::kMacLenShift | 20u;
    c.type_tucmd_mlhl = nic::txd::kCmdDext | nic::txd::kDtypContext << nic::txd::kDtypShift |
                        nic::txctx::kTucmdIpv4 | l4t << nic::txctx::kL4tShift;
    c.mss_l4len_idx = slot << nic::txctx::kIdxShift;
    std::memcpy(&tx[i], &c, sizeof c);
  };
  const auto data = [&](uint32_t i, uint32_t off, size_t len, uint32_t popts, uint32_t slot) {
    tx[i].read.buffer_addr = mem.iova + 16384 + off;
    tx[i].read.cmd_type_len = nic::txd::kCmdEop | nic::txd::kCmdIfcs | nic::txd::kCmdDext | nic::txd::kTypeData |
                              nic::txd::kCmdRs | static_cast<uint32_t>(len);
    tx[i].read.olinfo_status = static_cast<uint32_t>(len) << nic::txd::kPaylenShift | popts | slot << nic::txctx::kIdxShift;
  };
  const uint32_t both = nic::txd::kPoptsIxsm | nic::txd::kPoptsTxsm;
  context(0, nic::txctx::kL4tUdp, 1);
  data(1, 0, udp.size(), both, 1);                            // UDP through slot 1
  context(2, nic::txctx::kL4tTcp, 0);
  data(3, 2048, tcp.size(), both, 0);                         // TCP through slot 0
  data(4, 0, udp.size(), nic::txd::kPoptsTxsm, 1);            // slot 1 still holds UDP's context: L4 only
  data(5, 0, udp.size(), 0, 1);                               // no offload asked: as software left it
  nic.write32(nic::ixgbe::TDT.at(0), 6);
  world.advance(100'000);
  ASSERT_EQ(sink.kept.size(), 4u);
  EXPECT_TRUE(ip_checksum_ok(sink.kept[0]));
  EXPECT_TRUE(l4_checksum_ok(sink.kept[0]));
  EXPECT_TRUE(ip_checksum_ok(sink.kept[1]));
  EXPECT_TRUE(l4_checksum_ok(sink.kept[1]));
  EXPECT_FALSE(ip_checksum_ok(sink.kept[2])) << "IXSM not asked: the IP field stays 0";
  EXPECT_TRUE(l4_checksum_ok(sink.kept[2]));
  EXPECT_EQ(sink.kept[3], sim::Bytes(udp.begin(), udp.end()));
  EXPECT_EQ(std::vector<uint8_t>(m + 16384, m + 16384 + udp.size()), udp) << "the host's buffer is not written";
  EXPECT_EQ(nic.device().counters().tx_checksum_offloads, 3u);
  // Only the checksum fields differ from what software handed over.
  for (size_t i = 0; i < udp.size(); ++i)
    if (i != 24 && i != 25 && i != 40 && i != 41) {
      EXPECT_EQ(sink.kept[0][i], udp[i]) << "byte " << i;
    }
}

TEST_P(Hostile, AnOffloadContextBeyondTheFrameIsReportedAndTheFrameSentAsIs) {
  nic::AdvTxContextDesc c{};
  c.vlan_macip_lens = 100u << nic::txctx::kMacLenShift | 20u;  // MACLEN 100: past a 60-byte frame
  c.type_tucmd_mlhl = nic::txd::kCmdDext | nic::txd::kDtypContext << nic::txd::kDtypShift;
  std::memcpy(&tx[0], &c, sizeof c);
  tx[1].read.olinfo_status |= nic::txd::kPoptsTxsm;
  tx[1].read.cmd_type_len = (tx[1].read.cmd_type_len & ~nic::txd::kLenMask) | 60;
  nic.write32(nic::ixgbe::TDT.at(0), 2);
  world.advance(100'000);
  EXPECT_EQ(sink.frames, 1u);
  EXPECT_EQ(nic.device().diag().count("txd.offload-outside-frame"), 1u);
  EXPECT_EQ(nic.device().counters().tx_checksum_offloads, 0u);
}
