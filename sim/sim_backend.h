// SimNic: one simulated 82599 behind the driver's Backend seam. It owns the device model and allocates DMA
// memory in the world's IOMMU domain (host memory mapped at IOVAs that deliberately differ from host
// addresses, so a driver that hands the device a virtual address faults instead of working by luck).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "driver/seam/backend.h"
#include "sim/iommu.h"
#include "sim/ixgbe_model.h"
#include "sim/world.h"

namespace sim {

class SimNic final : public nic::Backend, PostedWrites {
 public:
  SimNic(World& world, IxgbeConfig config = {});
  ~SimNic() override;
  SimNic(const SimNic&) = delete;
  SimNic& operator=(const SimNic&) = delete;

  Ixgbe82599& device() { return device_; }
  Iommu& iommu() { return world_.iommu(); }
  World& world() { return world_; }
  size_t dma_regions() const { return regions_.size(); }
  // Copies of every region this port allocated (what its device can reach), for tests that play the device.
  std::vector<nic::DmaRegion> regions();
  // From now on dma_alloc throws nic::Error (and counts the attempt), as it would on hardware once the app has
  // dropped the privileges it needs to map memory: tests check that the driver allocates only at init.
  void seal_dma() { sealed_ = true; }
  uint64_t dma_allocs_refused() const { return refused_; }

  // Every entry point takes the world's lock (in threaded mode, sim/device_thread.h, the device runs in
  // another thread; in deterministic mode the lock is uncontended), with one exception: in threaded mode an
  // RDT/TDT write is posted, as PCIe posts memory writes. The driver's thread stores the value in this port's
  // doorbell slot and goes on without the lock; the device thread takes posted tails in before each step it
  // runs (a tail may be overtaken by a later one to the same queue, which hands over a superset), and every
  // locked access of this port takes them in first, so the device sees this port's writes in program order.
  uint32_t read32(uint32_t offset) override {
    std::lock_guard lock(world_.mutex());
    drain();
    return device_.read32(offset);
  }
  void write32(uint32_t offset, uint32_t value) override {
    if (world_.threaded() && post_tail(offset, value)) [[likely]] return;
    std::lock_guard lock(world_.mutex());
    drain();
    device_.write32(offset, value);
  }
  // PostedWrites: hands posted tails to the device (the caller holds the world's lock).
  void drain() override;
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override;
  void dma_free(const nic::DmaRegion& region) override;
  uint32_t config_read(uint32_t offset, int width) override;
  void config_write(uint32_t offset, uint32_t value, int width) override;
  nic::PciId identity() override;
  // Deterministic mode: the delay is virtual time passing. Threaded mode: wait for the device thread's clock.
  void delay_us(uint32_t us) override;
  uint64_t now_ns() override { return world_.now(); }
  // MSI-X: one eventfd per vector (at most Ixgbe82599::kVectors), written from the model's interrupt hook
  // (Ixgbe82599::on_interrupt) whenever a vector fires: by the device thread or by whoever runs the world.
  std::vector<int> enable_msix(uint32_t vectors) override;
  void disable_msix() override;
  std::string name() const override { return device_.config().name; }

 private:
  World& world_;
  Ixgbe82599 device_;
  std::array<uint8_t, 256> config_{};
  std::map<uint64_t, nic::DmaRegion> regions_;  // what this port allocated, by IOVA
  std::vector<int> msix_fds_;  // eventfds, vector order

  // Doorbells: the newest tail value per queue (rx slots 0..63, tx 64..127) and one pending bit per slot.
  static constexpr uint32_t kSlots = 2 * Ixgbe82599::kQueues;
  bool post_tail(uint32_t offset, uint32_t value);
  std::array<std::atomic<uint32_t>, kSlots> tail_value_{};
  alignas(64) std::atomic<uint64_t> pending_rx_{0}, pending_tx_{0};
  bool sealed_ = false;
  uint64_t refused_ = 0;
};

}  // namespace sim
