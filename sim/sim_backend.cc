#include "sim/sim_backend.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <cstring>

#include "driver/seam/error.h"

namespace sim {

SimNic::SimNic(World& world, IxgbeConfig config) : world_(world), device_(world, world.iommu(), std::move(config)) {
  auto put16 = [&](uint32_t off, uint16_t v) { std::memcpy(&config_[off], &v, 2); };
  auto put32 = [&](uint32_t off, uint32_t v) { std::memcpy(&config_[off], &v, 4); };
  put16(nic::pci::kVendorId, nic::pci::kVendorIntel);
  put16(nic::pci::kDeviceId, device_.config().device_id);
  put32(nic::pci::kClassRev, nic::pci::kClassEthernet << 8 | 0x01);
  device_.rx_doorbell_posted = [this](uint32_t q) { return (pending_rx_.load(std::memory_order_relaxed) >> q & 1) != 0; };
  std::lock_guard lock(world_.mutex());
  world_.add_posted(this);
}

SimNic::~SimNic() {
  {
    std::lock_guard lock(world_.mutex());
    world_.remove_posted(this);
  }
  disable_msix();
  for (auto& [iova, r] : regions_) {
    world_.iommu().unmap(iova);
    std::free(r.virt);
  }
}

bool SimNic::post_tail(uint32_t offset, uint32_t value) {
  namespace r = nic::ixgbe;
  static_assert(r::kMaxQueues == Ixgbe82599::kQueues && r::kMaxQueues <= 64, "one pending bit per queue");
  std::atomic<uint64_t>* pending;
  int64_t q = r::RDT.index_of(offset);
  if (q >= 0) {
    pending = &pending_rx_;
  } else if ((q = r::TDT.index_of(offset)) >= 0) {
    pending = &pending_tx_;
  } else {
    return false;
  }
  const uint32_t slot = static_cast<uint32_t>(q) + (pending == &pending_tx_ ? Ixgbe82599::kQueues : 0);
  // Release: the descriptors the driver wrote before the tail are visible to whoever reads this value.
  tail_value_[slot].store(value, std::memory_order_release);
  pending->fetch_or(uint64_t{1} << q);  // seq_cst, like set_threaded(): see the re-check below
  // The device thread stopped between the check in write32 and now: its last drain may have missed this.
  if (!world_.threaded()) [[unlikely]] {
    std::lock_guard lock(world_.mutex());
    drain();
  }
  return true;
}

void SimNic::drain() {
  namespace r = nic::ixgbe;
  for (int dir = 0; dir < 2; ++dir) {
    uint64_t bits = (dir == 0 ? pending_rx_ : pending_tx_).exchange(0);
    while (bits) {
      const uint32_t q = static_cast<uint32_t>(__builtin_ctzll(bits));
      bits &= bits - 1;
      const uint32_t slot = q + (dir == 0 ? 0 : Ixgbe82599::kQueues);
      const uint32_t v = tail_value_[slot].load(std::memory_order_acquire);
      // A value stored after the exchange above arrives here early, and again (with its bit) next time: the
      // second write repeats the tail the device already has, which hands over nothing (legal, as on the card).
      device_.write32((dir == 0 ? r::RDT : r::TDT).at(q), v);
    }
  }
}

void SimNic::delay_us(uint32_t us) {
  const uint64_t until = world_.now() + static_cast<uint64_t>(us) * 1000;
  if (!world_.threaded()) {
    std::lock_guard lock(world_.mutex());
    world_.run_until(until);
    return;
  }
  while (world_.now() < until && world_.threaded()) std::this_thread::sleep_for(std::chrono::microseconds(10));
}

std::vector<int> SimNic::enable_msix(uint32_t vectors) {
  if (vectors == 0 || vectors > Ixgbe82599::kVectors)
    throw nic::Error(name() + ": enable_msix(" + std::to_string(vectors) + "): the model has 1.." +
                     std::to_string(Ixgbe82599::kVectors) + " MSI-X vectors");
  disable_msix();
  std::vector<int> fds;
  for (uint32_t i = 0; i < vectors; ++i) {
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) {
      const int err = errno;
      for (int f : fds) ::close(f);
      throw nic::Error(name() + ": eventfd(): " + std::strerror(err));
    }
    fds.push_back(fd);
  }
  std::lock_guard lock(world_.mutex());
  msix_fds_ = fds;
  // Runs inside the model, under the world's lock (as every change of msix_fds_ is).
  device_.on_interrupt = [this](uint32_t vector, uint64_t) {
    if (vector >= msix_fds_.size()) return;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(msix_fds_[vector], &one, sizeof one);  // EAGAIN only at 2^64-2
  };
  return fds;
}

void SimNic::disable_msix() {
  std::lock_guard lock(world_.mutex());
  device_.on_interrupt = nullptr;
  for (int fd : msix_fds_) ::close(fd);
  msix_fds_.clear();
}

nic::DmaRegion SimNic::dma_alloc(size_t bytes, size_t align) {
  std::lock_guard lock(world_.mutex());
  if (bytes == 0 || align == 0 || (align & (align - 1)) != 0)
    throw nic::Error(name() + ": dma_alloc(" + std::to_string(bytes) + ", " + std::to_string(align) + "): bad size or alignment");
  if (sealed_) {
    ++refused_;
    throw nic::Error(name() + ": dma_alloc(" + std::to_string(bytes) + ") after seal_dma(): DMA memory must be " +
                     "allocated at init, before privileges are dropped");
  }
  align = std::max<size_t>(align, 64);
  const size_t size = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, size);
  if (!p) throw nic::Error(name() + ": out of memory allocating " + std::to_string(size) + " bytes of DMA memory");
  std::memset(p, 0, size);
  nic::DmaRegion r{p, world_.reserve_iova(size, align), size};
  world_.iommu().map(r.iova, r.virt, r.size);
  regions_[r.iova] = r;
  return r;
}

std::vector<nic::DmaRegion> SimNic::regions() {
  std::lock_guard lock(world_.mutex());
  std::vector<nic::DmaRegion> out;
  for (const auto& [iova, r] : regions_) out.push_back(r);
  return out;
}

void SimNic::dma_free(const nic::DmaRegion& region) {
  std::lock_guard lock(world_.mutex());
  auto it = regions_.find(region.iova);
  if (it == regions_.end() || it->second.virt != region.virt)
    throw nic::Error(name() + ": dma_free of a region that was never allocated");
  world_.iommu().unmap(region.iova);
  std::free(region.virt);
  regions_.erase(it);
}

uint32_t SimNic::config_read(uint32_t offset, int width) {
  if (offset + width > config_.size() || (width != 1 && width != 2 && width != 4)) return 0xFFFFFFFFu;
  uint32_t v = 0;
  std::memcpy(&v, &config_[offset], width);
  return v;
}

void SimNic::config_write(uint32_t offset, uint32_t value, int width) {
  // Only the command register is writable in this model.
  if (offset == nic::pci::kCommand && width == 2) std::memcpy(&config_[offset], &value, 2);
}

nic::PciId SimNic::identity() {
  return {static_cast<uint16_t>(config_read(nic::pci::kVendorId, 2)), static_cast<uint16_t>(config_read(nic::pci::kDeviceId, 2)),
          config_read(nic::pci::kClassRev, 4) >> 8};
}

}  // namespace sim
