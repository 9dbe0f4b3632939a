// The shared rings with each descriptor-format policy: advanced (82599/82576) and extended rx / legacy tx
// (82574). The same bookkeeping must hold for every format (typed tests: DD, EOP, lengths, tail values, RS
// chunking, reclaim, buffer balance), and each format must write exactly its datasheet read format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "driver/ring/ring.h"

namespace {

// IOVAs here are host addresses plus 1 TiB: never the address itself, so a ring that posted a host address
// where an IOVA belongs would fail the checks below. host<T>(iova) is the device's view of an IOVA.
constexpr uint64_t kIovaOffset = uint64_t{1} << 40;
template <class T>
T* host(uint64_t iova) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(iova - kIovaOffset));
}

// DMA from the heap, MMIO writes recorded.
class DmaBackend : public nic::Backend {
 public:
  std::vector<std::pair<uint32_t, uint32_t>> writes;
  size_t live = 0;
  uint32_t read32(uint32_t) override { return 0; }
  void write32(uint32_t off, uint32_t v) override { writes.emplace_back(off, v); }
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override {
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    ++live;
    return {p, reinterpret_cast<uint64_t>(p) + kIovaOffset, size};
  }
  void dma_free(const nic::DmaRegion& r) override {
    std::free(r.virt);
    --live;
  }
  uint32_t config_read(uint32_t, int) override { return 0; }
  void config_write(uint32_t, uint32_t, int) override {}
  nic::PciId identity() override { return {}; }
  void delay_us(uint32_t) override {}
  uint64_t now_ns() override { return 0; }
  std::string name() const override { return "dma"; }
  uint32_t last_write(uint32_t off) const {
    for (auto it = writes.rbegin(); it != writes.rend(); ++it)
      if (it->first == off) return it->second;
    return ~0u;
  }
};

// The device's view of each format, for the typed tests.
uint64_t buffer_of(const nic::AdvRxDesc& d) { return d.read.pkt_addr; }
uint64_t buffer_of(const nic::ExtRxDesc& d) { return d.read.buffer_addr; }
uint64_t buffer_of(const nic::AdvTxDesc& d) { return d.read.buffer_addr; }
uint64_t buffer_of(const nic::LegacyTxDesc& d) { return d.buffer_addr; }
uint32_t length_of(const nic::AdvTxDesc& d) { return d.read.cmd_type_len & nic::txd::kLenMask; }
uint32_t length_of(const nic::LegacyTxDesc& d) { return d.cmd_len & nic::ltxd::kLenMask; }
bool has_rs(const nic::AdvTxDesc& d) { return d.read.cmd_type_len & nic::txd::kCmdRs; }
bool has_rs(const nic::LegacyTxDesc& d) { return d.cmd_len & nic::ltxd::kCmdRs; }
void complete(nic::AdvTxDesc& d) { d.wb.status |= nic::txd::kStatusDD; }
void complete(nic::LegacyTxDesc& d) { d.status |= nic::ltxd::kStatusDD; }
constexpr uint32_t kDone = 1u << 0, kEop = 1u << 1;  // the same bits in both rx write-backs
static_assert(kDone == nic::rxd::kStatusDD && kDone == nic::erxd::kStatusDD && kEop == nic::rxd::kStatusEOP &&
              kEop == nic::erxd::kStatusEOP);

template <class Rx, class Tx>
struct Formats {
  using RxRing = Rx;
  using TxRing = Tx;
};
using AllFormats = ::testing::Types<Formats<nic::RxRing, nic::TxRing>, Formats<nic::ExtRxRing, nic::LegacyTxRing>>;

template <class F>
class RingFormat : public ::testing::Test {
 protected:
  static constexpr uint32_t kTail = 0x2818;
  RingFormat() { nic::set_log_level(nic::LogLevel::kError); }
  DmaBackend backend;
  nic::Mempool pool{backend, 128};
};
TYPED_TEST_SUITE(RingFormat, AllFormats);

TYPED_TEST(RingFormat, RxDeliversDoneEopFramesAndRecyclesBadWritebacks) {
  using Ring = typename TypeParam::RxRing;
  Ring ring(this->backend, this->pool, 16, this->kTail);
  EXPECT_EQ(ring.fill(), 15u);
  auto* d = host<typename Ring::Desc>(ring.ring_iova());
  const nic::DmaRegion& bufs = this->pool.dma_region();
  for (uint32_t i = 0; i < 16; ++i) {
    EXPECT_NE(buffer_of(d[i]), 0u);
    const auto meta = this->pool.metadata();
    EXPECT_TRUE(buffer_of(d[i]) >= bufs.iova && buffer_of(d[i]) < bufs.iova + bufs.size &&
                std::any_of(meta.begin(), meta.end(), [&](const nic::PktBuf& m) { return m.data_iova == buffer_of(d[i]); }))
        << "the IOVA of a buffer's data, not a host address: 0x" << std::hex << buffer_of(d[i]);
    EXPECT_EQ(d[i].wb.status_error & kDone, 0u) << "posting clears DD";
  }
  std::vector<nic::Packet> out(8);
  EXPECT_EQ(ring.rx_batch(out), 0u) << "nothing done yet";
  EXPECT_TRUE(this->backend.writes.empty()) << "no tail write when nothing arrived";

  const uint64_t bad_buffers[] = {buffer_of(d[1]), buffer_of(d[2]), buffer_of(d[3])};
  const uint64_t good = buffer_of(d[0]);
  d[0].wb.status_error = kDone | kEop, d[0].wb.length = 60;
  d[1].wb.status_error = kDone, d[1].wb.length = 60;  // no EOP: multi-buffer frames are not enabled
  d[2].wb.status_error = kDone | kEop, d[2].wb.length = 0;
  // Lengths are bounded by the programmed receive buffer size (2 KB), not by the larger buffer behind it.
  ASSERT_EQ(ring.max_frame_bytes(), nic::Mempool::kRxBufBytes);
  ASSERT_GT(this->pool.data_capacity(), nic::Mempool::kRxBufBytes);
  d[3].wb.status_error = kDone | kEop, d[3].wb.length = static_cast<uint16_t>(nic::Mempool::kRxBufBytes + 1);
  d[4].wb.status_error = kDone | kEop, d[4].wb.length = static_cast<uint16_t>(nic::Mempool::kRxBufBytes);
  // d[5] not done: the batch stops there.
  const size_t n = ring.rx_batch(out);
  ASSERT_EQ(n, 2u);
  EXPECT_EQ(out[0].size(), 60u);
  EXPECT_EQ(out[0].get()->data_iova, good);
  EXPECT_EQ(out[1].size(), nic::Mempool::kRxBufBytes);
  EXPECT_EQ(ring.stats().bad_desc, 3u);
  EXPECT_EQ(ring.stats().packets, 2u);
  EXPECT_EQ(this->backend.last_write(this->kTail), 4u) << "tail = last slot refilled";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(buffer_of(d[i + 1]), bad_buffers[i]) << "rejected: same buffer reposted";
  EXPECT_NE(buffer_of(d[0]), good) << "delivered: a fresh buffer posted";
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(d[i].wb.status_error & kDone, 0u) << "reposted slots have DD clear";
  out.clear();
  ring.release_all();
  EXPECT_EQ(this->pool.in_use(), 0u);
}

// The frame-error bits of each write-back format: 82599/82576 advanced RXE (§7.1.6.2); 82574 extended CE, RXE.
template <class Desc>
constexpr uint32_t kFrameErrorBits = 0;
template <>
constexpr uint32_t kFrameErrorBits<nic::AdvRxDesc> = nic::rxd::kErrorRxe;
template <>
constexpr uint32_t kFrameErrorBits<nic::ExtRxDesc> = nic::erxd::kErrorCe | nic::erxd::kErrorRxe;

TYPED_TEST(RingFormat, RxDropsAndCountsFramesTheDeviceFlaggedBad) {
  using Ring = typename TypeParam::RxRing;
  using Desc = typename Ring::Desc;
  Ring ring(this->backend, this->pool, 16, this->kTail);
  ring.fill();
  const uint32_t in_ring = this->pool.in_use();
  auto* d = host<Desc>(ring.ring_iova());
  std::vector<uint32_t> errors;  // each error bit alone, then all at once
  for (uint32_t bit = 1; bit != 0; bit <<= 1)
    if (kFrameErrorBits<Desc> & bit) errors.push_back(bit);
  errors.push_back(kFrameErrorBits<Desc>);
  ASSERT_LT(errors.size() + 1, 16u);
  std::vector<uint64_t> posted;
  for (uint32_t i = 0; i < errors.size(); ++i) {
    posted.push_back(buffer_of(d[i]));
    d[i].wb.status_error = kDone | kEop | errors[i], d[i].wb.length = 60;
  }
  const uint32_t good = static_cast<uint32_t>(errors.size());
  d[good].wb.status_error = kDone | kEop, d[good].wb.length = 64;  // a good frame after them still arrives
  std::vector<nic::Packet> out(8);
  ASSERT_EQ(ring.rx_batch(out), 1u);
  EXPECT_EQ(out[0].size(), 64u);
  EXPECT_EQ(ring.stats().rx_errors, errors.size());
  EXPECT_EQ(ring.stats().bad_desc, 0u);
  EXPECT_EQ(ring.stats().packets, 1u);
  for (uint32_t i = 0; i < errors.size(); ++i) {
    EXPECT_EQ(buffer_of(d[i]), posted[i]) << "flagged frame " << i << ": same buffer reposted";
    EXPECT_EQ(d[i].wb.status_error & kDone, 0u);
  }
  EXPECT_EQ(this->backend.last_write(this->kTail), good);
  // Pool balance exact: the ring holds as many buffers as before, plus the one delivered frame.
  EXPECT_EQ(this->pool.in_use(), in_ring + 1);
  out.clear();
  EXPECT_EQ(this->pool.in_use(), in_ring);
  ring.release_all();
  EXPECT_EQ(this->pool.in_use(), 0u);
}

TYPED_TEST(RingFormat, RxLeavesFramesOnTheRingWhenThePoolIsEmpty) {
  using Ring = typename TypeParam::RxRing;
  nic::Mempool small(this->backend, 16);
  Ring ring(this->backend, small, 16, this->kTail);
  ring.fill();
  auto* d = host<typename Ring::Desc>(ring.ring_iova());
  d[0].wb.status_error = kDone | kEop, d[0].wb.length = 64;
  std::vector<nic::Packet> out(4);
  EXPECT_EQ(ring.rx_batch(out), 0u);
  EXPECT_EQ(ring.stats().no_buf, 1u);
  EXPECT_EQ(d[0].wb.status_error & kDone, kDone) << "the frame stays for later";
  ring.release_all();
  EXPECT_EQ(small.in_use(), 0u);
}

TYPED_TEST(RingFormat, TxChunksReportStatusAndReclaimsOnlyCompletedChunks) {
  using Ring = typename TypeParam::TxRing;
  Ring ring(this->backend, 128, this->kTail + 0x1000);
  auto* d = host<typename Ring::Desc>(ring.ring_iova());
  std::vector<nic::Packet> batch(40);
  for (uint32_t i = 0; i < batch.size(); ++i) batch[i] = nic::Packet::alloc(this->pool, 60 + i);
  ASSERT_EQ(ring.tx_batch(batch), 40u);
  EXPECT_EQ(this->backend.last_write(this->kTail + 0x1000), 40u);
  for (uint32_t i = 0; i < 40; ++i) {
    EXPECT_EQ(length_of(d[i]), 60 + i);
    EXPECT_NE(buffer_of(d[i]), 0u);
    EXPECT_EQ(has_rs(d[i]), i == 31 || i == 39) << "RS every 32 descriptors and on the batch's last, slot " << i;
  }
  EXPECT_EQ(ring.in_flight(), 40u);
  EXPECT_EQ(ring.reclaim(), 0u) << "nothing done";
  complete(d[39]);  // DD on the second chunk only: the first is still in flight
  EXPECT_EQ(ring.reclaim(), 0u) << "chunks complete in order";
  complete(d[31]);
  EXPECT_EQ(ring.reclaim(), 40u);
  EXPECT_EQ(ring.in_flight(), 0u);
  EXPECT_EQ(this->pool.in_use(), 0u);

  // Bad sizes are dropped and counted; a full ring takes only what fits (one slot stays empty).
  std::vector<nic::Packet> more(200);
  for (auto& p : more) p = nic::Packet::alloc(this->pool, 100);
  more[0].set_size(0);
  more[1].set_size(this->pool.data_capacity() + 1);
  const size_t took = ring.tx_batch(std::span(more.data(), 128));
  EXPECT_EQ(took, 127u);
  EXPECT_EQ(ring.stats().bad_desc, 2u);
  EXPECT_EQ(ring.in_flight(), 125u);
  ring.release_all();
  more.clear();
  EXPECT_EQ(this->pool.in_use(), 0u);
  EXPECT_EQ(ring.stats().packets, 40u + 125u);
}

TYPED_TEST(RingFormat, TxReclaimReturnsEveryBufferToItsOwnPoolAcrossMixedAndWrappingChunks) {
  using Ring = typename TypeParam::TxRing;
  Ring ring(this->backend, 128, this->kTail + 0x1000);
  auto* d = host<typename Ring::Desc>(ring.ring_iova());
  nic::Mempool other(this->backend, 128);
  auto complete_all = [&] {
    for (uint32_t i = 0; i < 128; ++i)
      if (has_rs(d[i])) complete(d[i]);
  };
  // One chunk mixing two pools (freed buffer by buffer), then one pool only (freed in bulk).
  std::vector<nic::Packet> batch(100);
  for (uint32_t i = 0; i < batch.size(); ++i) batch[i] = nic::Packet::alloc(i < 32 && i % 2 ? other : this->pool, 60);
  ASSERT_EQ(ring.tx_batch(batch), 100u);
  EXPECT_EQ(other.in_use(), 16u);
  complete_all();
  EXPECT_EQ(ring.reclaim(), 100u);
  EXPECT_EQ(this->pool.in_use(), 0u);
  EXPECT_EQ(other.in_use(), 0u);
  // Slots 100..159: the chunk starting at 100 wraps past the ring's end (slot 127 -> 0).
  batch = std::vector<nic::Packet>(60);
  for (auto& p : batch) p = nic::Packet::alloc(this->pool, 60);
  ASSERT_EQ(ring.tx_batch(batch), 60u);
  complete_all();
  EXPECT_EQ(ring.reclaim(), 60u);
  EXPECT_EQ(this->pool.in_use(), 0u);
  // Every buffer came back once: the pool hands out all 128 distinct buffers again.
  std::vector<nic::Packet> all;
  while (auto p = nic::Packet::alloc(this->pool, 60)) all.push_back(std::move(p));
  ASSERT_EQ(all.size(), 128u);
  std::sort(all.begin(), all.end(), [](const nic::Packet& x, const nic::Packet& y) { return x.data() < y.data(); });
  for (size_t i = 1; i < all.size(); ++i) EXPECT_NE(all[i - 1].data(), all[i].data());
}

// --- Each format's own read format.
TEST(RingFormatBits, ExtendedRxReadFormatIsBufferAddressAndZero) {
  DmaBackend backend;
  nic::Mempool pool(backend, 16);
  nic::ExtRxRing ring(backend, pool, 8, 0x2818);
  ring.fill();
  auto* d = host<nic::ExtRxDesc>(ring.ring_iova());
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(d[i].read.reserved, 0u);
    EXPECT_EQ(d[i].read.buffer_addr % 64, 0u) << "buffers are 64-byte aligned";
  }
  ring.release_all();
}

TEST(RingFormatBits, LegacyTxIsEopIfcsLengthWithoutDext) {
  DmaBackend backend;
  nic::Mempool pool(backend, 16);
  nic::LegacyTxRing ring(backend, 8, 0x3818);
  std::vector<nic::Packet> one(1);
  one[0] = nic::Packet::alloc(pool, 1514);
  const uint64_t iova = one[0].get()->data_iova;
  ASSERT_EQ(ring.tx_batch(one), 1u);
  const auto& d = host<nic::LegacyTxDesc>(ring.ring_iova())[0];
  EXPECT_EQ(d.buffer_addr, iova);
  EXPECT_EQ(d.cmd_len, nic::ltxd::kCmdEop | nic::ltxd::kCmdIfcs | nic::ltxd::kCmdRs | 1514u);
  EXPECT_EQ(d.cmd_len & nic::ltxd::kCmdDext, 0u);
  EXPECT_EQ(d.status, 0u) << "STA/CSS/special cleared: DD only from the device";
  ring.release_all();
}

TEST(RingFormatBits, AdvancedTxIsDataDescriptorWithPaylen) {
  DmaBackend backend;
  nic::Mempool pool(backend, 16);
  nic::TxRing ring(backend, 8, 0x6018);
  std::vector<nic::Packet> one(1);
  one[0] = nic::Packet::alloc(pool, 60);
  ASSERT_EQ(ring.tx_batch(one), 1u);
  const auto& d = host<nic::AdvTxDesc>(ring.ring_iova())[0];
  EXPECT_EQ(d.read.cmd_type_len,
            nic::txd::kCmdEop | nic::txd::kCmdIfcs | nic::txd::kCmdRs | nic::txd::kCmdDext | nic::txd::kTypeData | 60u);
  EXPECT_EQ(d.read.olinfo_status, 60u << nic::txd::kPaylenShift);
  ring.release_all();
}

}  // namespace
