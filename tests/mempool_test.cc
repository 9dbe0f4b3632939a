// Mempool misuse is fatal in every build: a buffer freed twice, through free() or free_bulk(), or freed into a
// pool it does not come from, aborts with a message instead of corrupting the free stack (which would later
// hand one buffer out twice). The check uses host-side state only, never the buffer header in DMA memory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "driver/log.h"
#include "driver/mempool.h"

namespace {

// DMA from the heap (IOVA = address).
class HeapBackend : public nic::Backend {
 public:
  uint32_t read32(uint32_t) override { return 0; }
  void write32(uint32_t, uint32_t) override {}
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override {
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    return {p, reinterpret_cast<uint64_t>(p), size};
  }
  void dma_free(const nic::DmaRegion& r) override { std::free(r.virt); }
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
  // A pointer inside the pool's memory that is not a buffer's start is no buffer either.
  EXPECT_DEATH(([&] {
        nic::Mempool a(backend, 8);
        nic::PktBuf* p = a.alloc();
        a.free(p + 1);
      })(),
      "mempool: buffer not from this pool");
}

}  // namespace
