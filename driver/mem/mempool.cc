#include "driver/mem/mempool.h"

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "driver/seam/error.h"
#include "driver/seam/log.h"

namespace nic {

Mempool::Mempool(Backend& backend, uint32_t num_bufs, uint32_t buf_size)
    : backend_(backend),
      capacity_(num_bufs),
      buf_size_(buf_size),
      top_(0),
      buf_shift_(0),
      colour_mask_(buf_size >= kColouredBufSize ? kColours - 1 : 0) {
  // Buffers must be 64-byte multiples and divide a 2 MiB hugepage evenly, so none straddles a page and
  // every one is contiguous for the device even without an IOMMU.
  if (num_bufs == 0 || num_bufs > (1u << 24))
    throw Error("mempool: buffer count " + std::to_string(num_bufs) + " out of range 1..16777216");
  if (buf_size < 256 || buf_size > 16384 || (buf_size & (buf_size - 1)) != 0)
    throw Error("mempool: buffer size " + std::to_string(buf_size) + " must be a power of two in 256..16384");
  // Host memory first: if it throws, no DMA region is left behind.
  meta_ = std::make_unique<PktBuf[]>(num_bufs);
  free_.resize(num_bufs);
  is_free_.assign(num_bufs, 1);
  region_ = backend_.dma_alloc(static_cast<size_t>(num_bufs) * buf_size, 4096);
  buf_shift_ = static_cast<uint32_t>(std::countr_zero(buf_size));
  uint8_t* const data = static_cast<uint8_t*>(region_.virt);
  const Layout at = layout();
  for (uint32_t i = 0; i < num_bufs; ++i) {
    PktBuf* b = &meta_[i];
    b->data_iova = at.data_iova(b);
    b->data_va = data + (b->data_iova - region_.iova);
    b->pool = this;
    b->size = 0;
    b->capacity = data_capacity();
    free_[num_bufs - 1 - i] = b;  // hand out low addresses first
  }
  top_ = num_bufs;
}

void Mempool::die(const char* what, const PktBuf* b) const {
  std::fprintf(stderr, "mempool: %s: %p (pool of %u buffers of %u bytes at %p, metadata at %p, %u free)\n",
               what, static_cast<const void*>(b), capacity_, buf_size_, region_.virt, static_cast<const void*>(meta_.get()),
               top_);
  std::abort();
}

Mempool::~Mempool() {
  // A buffer still out (in an app's hands or in a device ring) would point into freed DMA memory, and a
  // device could still write to it. That is a lifetime bug in the caller: stop loudly rather than corrupt.
  if (in_use() != 0) {
    log(LogLevel::kError, "mempool destroyed with %u of %u buffers still in use (destroy devices and packets first)",
        in_use(), capacity_);
    std::abort();
  }
  backend_.dma_free(region_);
}

}  // namespace nic
