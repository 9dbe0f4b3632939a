// Mempool misuse is fatal in every build: a buffer freed twice, through free() or free_bulk(), or freed into a
// pool it does not come from, aborts with a message instead of corrupting the free stack (which would later
// hand one buffer out twice). The check uses host-side state only (metadata and free flags live in heap
// memory; the DMA region holds packet bytes only).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "driver/ring/ring.h"

namespace {

// DMA from the heap, at IOVAs that are not the host addresses. It remembers its regions, so a test can do
// what a hostile device can: write anything anywhere in them.
class HeapBackend : public nic::Backend {
 public:
  static constexpr uint64_t kIovaOffset = uint64_t{1} << 40;  // IOVA = address + 1 TiB
  std::vector<nic::DmaRegion> regions;
  uint32_t read32(uint32_t) override { return 0; }
  void write32(uint32_t, uint32_t) override {}
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override {
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    regions.push_back({p, reinterpret_cast<uint64_t>(p) + kIovaOffset, size});
    return regions.back();
  }
  void dma_free(const nic::DmaRegion& r) override {
    std::erase_if(regions, [&](const nic::DmaRegion& x) { return x.virt == r.virt; });
    std::free(r.virt);
  }
  uint32_t config_read(uint32_t, int) override { return 0; }
  void config_write(uint32_t, uint32_t, int) override {}
  nic::PciId identity() override { return {}; }
  void delay_us(uint32_t) override {}
  uint64_t now_ns() override { return 0; }
  std::string name() const override { return "heap"; }
};

class MempoolDeath : public ::testing::Test {
 protected:
  MempoolDeath() {
    nic::set_log_level(nic::LogLevel::kError);
  }
  HeapBackend backend;
};

TEST_F(MempoolDeath, AllocFreeBalanceStillExact) {
  nic::Mempool pool(backend, 8);
  std::vector<nic::PktBuf*> got(8);
  EXPECT_EQ(pool.alloc_bulk(got), 8u);
  EXPECT_EQ(pool.alloc(), nullptr);
  pool.free(got[0]);
  pool.free_bulk(got.data() + 1, 7);
  EXPECT_EQ(pool.available(), 8u);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(MempoolDeath, DoubleFreeAborts) {
  EXPECT_DEATH(([&] {
        nic::Mempool pool(backend, 8);
        nic::PktBuf* b = pool.alloc();
        pool.free(b);
        pool.free(b);
      })(),
      "mempool: buffer freed twice");
}

TEST_F(MempoolDeath, DoubleFreeAfterReuseAborts) {
  EXPECT_DEATH(([&] {
        nic::Mempool pool(backend, 8);
        nic::PktBuf* b = pool.alloc();
        pool.free(b);
        b = pool.alloc();  // the same buffer again (LIFO) ...
        pool.free(b);
        pool.free(b);  // ... freed twice after a reuse
      })(),
      "mempool: buffer freed twice");
}

TEST_F(MempoolDeath, DoubleFreeThroughFreeBulkAborts) {
  EXPECT_DEATH(([&] {
        nic::Mempool pool(backend, 8);
        nic::PktBuf* bufs[3] = {pool.alloc(), pool.alloc(), nullptr};
        bufs[2] = bufs[0];  // the same buffer twice in one bulk free
        pool.free_bulk(bufs, 3);
      })(),
      "mempool: buffer freed twice \\(free_bulk\\)");
  EXPECT_DEATH(([&] {
        nic::Mempool pool(backend, 8);
        nic::PktBuf* bufs[2] = {pool.alloc(), pool.alloc()};
        pool.free(bufs[1]);
        pool.free_bulk(bufs, 2);  // bufs[1] is already free
      })(),
      "mempool: buffer freed twice \\(free_bulk\\)");
}

TEST_F(MempoolDeath, FreeIntoTheWrongPoolAborts) {
  EXPECT_DEATH(([&] {
        nic::Mempool a(backend, 8), b(backend, 8);
        b.free(a.alloc());
      })(),
      "mempool: buffer not from this pool");
  EXPECT_DEATH(([&] {
        nic::Mempool a(backend, 8), b(backend, 8);
        nic::PktBuf* bufs[1] = {a.alloc()};
        b.free_bulk(bufs, 1);
      })(),
      "mempool: buffer not from this pool");
  // A pointer inside the pool's metadata that is not an entry's start is no buffer either.
  EXPECT_DEATH(([&] {
        nic::Mempool a(backend, 8);
        nic::PktBuf* p = a.alloc();
        a.free(reinterpret_cast<nic::PktBuf*>(reinterpret_cast<uint8_t*>(p) + 8));
      })(),
      "mempool: buffer not from this pool");
  // Nor is a pointer into the DMA region (where the old in-buffer header was): buffers are their host metadata.
  EXPECT_DEATH(([&] {
        nic::Mempool a(backend, 8);
        nic::PktBuf* p = a.alloc();
        a.free(reinterpret_cast<nic::PktBuf*>(p->data()));
      })(),
      "mempool: buffer not from this pool");
}

// ---------------------------------------------------------------------------------------------------------
// The device can reach packet bytes only: whatever it writes anywhere in DMA memory, the driver's view of its
// buffers (where, which IOVA, how big, whose) stays intact and the pool's balance stays exact.
class DmaScribble : public MempoolDeath {
 protected:
  // Every byte of every DMA region (pool and rings alike) set to `fill`, or random bytes when fill < 0.
  void scribble(int fill) {
    for (const nic::DmaRegion& r : backend.regions) {
      auto* p = static_cast<uint8_t*>(r.virt);
      if (fill >= 0) std::memset(p, fill, r.size);
      else std::generate(p, p + r.size, [&] { return static_cast<uint8_t>(rng()); });
    }
  }
  // The host-side metadata of every buffer is what the constructor made it (size aside: the app's to set).
  static void expect_metadata_intact(const nic::Mempool& pool) {
    const nic::DmaRegion& r = pool.dma_region();
    for (uint32_t i = 0; i < pool.capacity(); ++i) {
      const nic::PktBuf& b = pool.metadata()[i];
      const size_t offset = size_t{i} * pool.buf_size() + (i % nic::Mempool::kColours) * nic::Mempool::kColourStep;
      ASSERT_EQ(b.data_va, static_cast<uint8_t*>(r.virt) + offset) << "buffer " << i;
      ASSERT_EQ(b.data_iova, r.iova + offset) << "buffer " << i;
      ASSERT_EQ(b.pool, &pool) << "buffer " << i;
      ASSERT_EQ(b.capacity, pool.data_capacity()) << "buffer " << i;
    }
  }
  std::mt19937_64 rng{16};
};

TEST_F(DmaScribble, PoolRegionHoldsOnlyPacketBytes) {
  nic::Mempool pool(backend, 64);
  ASSERT_EQ(backend.regions.size(), 1u);
  EXPECT_EQ(pool.data_capacity(), pool.buf_size() - 31 * 64) << "no header: the buffer is data, less its colour";
  const nic::DmaRegion& r = pool.dma_region();
  const auto* lo = reinterpret_cast<const uint8_t*>(pool.metadata().data());
  const auto* hi = lo + pool.metadata().size_bytes();
  EXPECT_TRUE(hi <= static_cast<const uint8_t*>(r.virt) || lo >= static_cast<const uint8_t*>(r.virt) + r.size)
      << "metadata outside the DMA region";
  for (int fill : {0xFF, 0x00, -1, -1}) {
    std::vector<nic::Packet> held;
    for (uint32_t i = 0; i < 40; ++i) held.push_back(nic::Packet::alloc(pool, 60 + i));
    scribble(fill);  // the "device" overwrites everything, buffers in use and free ones alike
    for (uint32_t i = 0; i < 40; ++i) {
      ASSERT_TRUE(held[i]);
      EXPECT_EQ(held[i].size(), 60 + i);
      EXPECT_EQ(&held[i].pool(), &pool);
    }
    for (uint32_t i = 0; i < 40; i += 2) held[i].reset();  // free half (Packet::reset follows the pool pointer)
    EXPECT_EQ(pool.in_use(), 20u);
    scribble(fill);
    std::vector<nic::PktBuf*> bulk(64);
    EXPECT_EQ(pool.alloc_bulk(bulk), 44u);  // exactly the free ones
    scribble(fill);
    pool.free_bulk(bulk.data(), 44);
    held.clear();
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(pool.available(), 64u);
    expect_metadata_intact(pool);
  }
}

TEST_F(DmaScribble, TransmitAndReceiveThroughScribbledMemoryKeepThePoolExact) {
  nic::Mempool pool(backend, 256);
  for (int fill : {0xFF, 0x00, -1, -1, -1}) {
    nic::TxRing tx(backend, 64, 0x6018);
    nic::RxRing rx(backend, pool, 64, 0x1018);
    rx.fill();
    std::vector<nic::Packet> batch(48);
    for (int round = 0; round < 8; ++round) {
      for (auto& p : batch) p = nic::Packet::alloc(pool, 60 + round);
      scribble(fill);  // packet bytes, rx buffers, and both rings' descriptors
      tx.tx_batch(batch);
      for (auto& p : batch) p.reset();  // what the ring did not take
      std::vector<nic::Packet> got(32);
      rx.rx_batch(got);  // whatever the scribbled write-backs say: valid frames delivered, the rest recycled
      for (auto& p : got) {
        if (!p) continue;
        EXPECT_GE(p.size(), 1u);
        EXPECT_LE(p.size(), pool.data_capacity());
        EXPECT_EQ(&p.pool(), &pool);
        p.reset();
      }
      scribble(fill);
      tx.reclaim();  // scribbled DD bits: completions the device claims, each freed once
    }
    tx.release_all();
    rx.release_all();
    EXPECT_EQ(pool.in_use(), 0u) << "fill " << fill;
    expect_metadata_intact(pool);
  }
}

}  // namespace

namespace {

// Cache colouring (driver/mem/mempool.h): the first lines of consecutive 4 KB buffers fall in 32 different
// sets of a 32 KB 8-way L1 (set = address bits 11:6), each data area holds a whole 2 KB receive buffer within
// its own 4 KB buffer, and every descriptor address the rings post is the buffer's data address.
TEST_F(DmaScribble, BuffersAreColouredAcrossCacheSetsAndHoldTheReceiveArea) {
  nic::Mempool pool(backend, 96);
  ASSERT_EQ(pool.buf_size(), 4096u);
  const nic::DmaRegion& r = pool.dma_region();
  std::vector<bool> set_used(64);
  uint32_t distinct = 0;
  for (uint32_t i = 0; i < pool.capacity(); ++i) {
    const nic::PktBuf& b = pool.metadata()[i];
    const uint64_t off = b.data_iova - r.iova;
    EXPECT_EQ(off % 64, 0u) << "cache-line aligned data, buffer " << i;
    EXPECT_GE(off, uint64_t{i} * 4096) << "buffer " << i;
    EXPECT_LE(off + pool.data_capacity(), uint64_t{i + 1} * 4096) << "the data area stays inside buffer " << i;
    EXPECT_EQ(pool.data_iova(&b), b.data_iova) << "the rings' position arithmetic, buffer " << i;
    EXPECT_EQ(pool.layout().data_iova(&b), b.data_iova);
    const uint32_t set = static_cast<uint32_t>((reinterpret_cast<uintptr_t>(b.data_va) >> 6) & 63);
    if (i < 32 && !set_used[set]) set_used[set] = true, ++distinct;
  }
  EXPECT_EQ(distinct, 32u) << "32 consecutive buffers start in 32 different L1 sets";
  EXPECT_GE(pool.data_capacity(), nic::Mempool::kRxBufBytes);
  // A pool of smaller buffers is not coloured: the whole buffer is data.
  nic::Mempool small(backend, 8, 2048);
  EXPECT_EQ(small.data_capacity(), 2048u);
  EXPECT_EQ(small.metadata()[3].data_iova - small.dma_region().iova, 3u * 2048);
}

}  // namespace
