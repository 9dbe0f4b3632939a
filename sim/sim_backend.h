// SimNic: one simulated 82599 behind the driver's Backend seam. It owns the device model, the IOMMU the
// model's DMA goes through, and the DMA allocator (host memory mapped at IOVAs that deliberately differ from
// host addresses, so a driver that hands the device a virtual address faults instead of working by luck).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "driver/backend.h"
#include "sim/iommu.h"
#include "sim/ixgbe_model.h"
#include "sim/world.h"

namespace sim {

class SimNic final : public nic::Backend {
 public:
  SimNic(World& world, IxgbeConfig config = {});
  ~SimNic() override;
  SimNic(const SimNic&) = delete;
  SimNic& operator=(const SimNic&) = delete;

  Ixgbe82599& device() { return device_; }
  Iommu& iommu() { return iommu_; }
  World& world() { return world_; }
  size_t dma_regions() const { return regions_.size(); }

  uint32_t read32(uint32_t offset) override { return device_.read32(offset); }
  void write32(uint32_t offset, uint32_t value) override { device_.write32(offset, value); }
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override;
  void dma_free(const nic::DmaRegion& region) override;
  uint32_t config_read(uint32_t offset, int width) override;
  void config_write(uint32_t offset, uint32_t value, int width) override;
  nic::PciId identity() override;
  void delay_us(uint32_t us) override { world_.advance(static_cast<uint64_t>(us) * 1000); }
  uint64_t now_ns() override { return world_.now(); }
  std::string name() const override { return device_.config().name; }

 private:
  static constexpr uint64_t kIovaBase = 0x0000'0040'0000'0000ull;  // 256 GiB: never a user-space address
  World& world_;
  Iommu iommu_;
  Ixgbe82599 device_;
  std::array<uint8_t, 256> config_{};
  uint64_t next_iova_ = kIovaBase;
  std::map<uint64_t, nic::DmaRegion> regions_;  // by IOVA
};

}  // namespace sim
