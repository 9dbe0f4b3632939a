// The real-hardware backend: one PCI function through VFIO (Documentation/driver-api/vfio.rst).
//
// VFIO gives user space a device's regions (config space, BARs) through a device fd and puts the device
// behind the IOMMU: the NIC can DMA only into memory we mapped for it (VFIO_IOMMU_MAP_DMA), at the IOVAs we
// chose. Objects, as in the kernel doc: a *container* (/dev/vfio/vfio, one IOMMU context), a *group*
// (/dev/vfio/<N>, the smallest set of devices the IOMMU can isolate) attached to the container, and the
// *device* fd obtained from the group.
//
// Prerequisites (tools/setup `nicsetup status` checks them all): IOMMU on (intel_iommu=on or amd_iommu=on),
// the device bound to vfio-pci, 2 MiB hugepages reserved and hugetlbfs mounted at /dev/hugepages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "driver/seam/backend.h"
#include "driver/vfio/hugepage.h"
#include "driver/vfio/iova.h"
#include "driver/vfio/sysfs.h"

namespace nic::vfio {

struct VfioOptions {
  std::string sysfs_root = "/sys";            // tests point these at fake trees
  std::string dev_root = "/dev";              // /dev/vfio/vfio and /dev/vfio/<group> live below it
  std::string hugepage_dir = "/dev/hugepages";  // a hugetlbfs mount with 2 MiB pages
  // Vendor/device ids the caller can drive (nic::is_supported_device); empty: any Ethernet controller.
  // Checked from sysfs before the driver binding, so an unsupported card is named as such, not as unbound.
  std::function<bool(uint16_t vendor, uint16_t device)> supported;
};

// Opens `pci_addr` ("0000:03:00.0" or "03:00.0"). Throws nic::Error with a one-line fix for every
// misconfiguration, checked in this order: malformed address, no such device, IOMMU off (no group), not an
// Ethernet controller, unsupported ids, not bound to vfio-pci, group not viable, vfio modules missing,
// permission denied; hugepages when DMA memory is first allocated. Each message points to tools/RIG.md.
std::unique_ptr<Backend> open_vfio(const std::string& pci_addr, const VfioOptions& options = {});

// The VFIO container every device of this process joins (one per dev_root): one IOMMU context and one IOVA
// space for all of them, so a buffer of one port's pool has the same IOVA for every port (fwd hands port A's
// receive buffers to port B's transmit ring). With a container per device, port B's IOMMU would translate
// port A's IOVAs in its own space: silently the wrong memory, as both spaces hand out the same IOVAs (seen
// over vfio-user: duplicated and zero-filled frames out of a two-port fwd). DPDK's EAL shares its default
// container the same way. The IOMMU type is set when the first group joins; the kernel's type1 backend maps
// what the container holds into each group that joins later.
struct VfioContainer {
  Fd fd;
  std::mutex mu;  // the IOVA space and the container's ioctls
  bool checked = false;    // VFIO_GET_API_VERSION and the type1 extension checked
  bool iommu_set = false;
  IovaSpace iova;
};

class VfioBackend final : public Backend {
 public:
  VfioBackend(const std::string& pci_addr, const VfioOptions& options);
  ~VfioBackend() override;
  VfioBackend(const VfioBackend&) = delete;
  VfioBackend& operator=(const VfioBackend&) = delete;

  uint32_t read32(uint32_t offset) override;
  void write32(uint32_t offset, uint32_t value) override;
  // A tail write is one store into the mapped BAR0 (offsets outside it fall back to write32's check).
  Doorbell doorbell(uint32_t offset) override;

  // Memory comes in whole 2 MiB hugepages (region.size is the rounded size); align may be at most 2 MiB.
  DmaRegion dma_alloc(size_t bytes, size_t align) override;
  void dma_free(const DmaRegion& region) override;

  uint32_t config_read(uint32_t offset, int width) override;
  void config_write(uint32_t offset, uint32_t value, int width) override;
  PciId identity() override;

  void delay_us(uint32_t us) override;
  uint64_t now_ns() override;

  // MSI-X through VFIO_DEVICE_SET_IRQS: one eventfd per vector, written by the kernel's vfio-pci handler.
  // Enabling again replaces the previous set; disable_msix() (and destruction) turns MSI-X off, closes them.
  std::vector<int> enable_msix(uint32_t vectors) override;
  void disable_msix() override;

  std::string name() const override { return "vfio:" + addr_; }

  int iommu_group() const { return group_number_; }

 private:
  // BAR0 mapped from the device fd; munmapped on destruction (also when the constructor throws later on).
  struct BarMapping {
    BarMapping() = default;
    BarMapping(const BarMapping&) = delete;
    BarMapping& operator=(const BarMapping&) = delete;
    ~BarMapping();
    volatile uint8_t* base = nullptr;
    size_t size = 0;
  };
  struct DmaBlock {
    HugepageMemory memory;
    uint64_t iova = 0;
  };

  void open_container_and_group();
  void open_device();
  void unmap_dma(uint64_t iova, uint64_t size);

  std::string addr_;
  VfioOptions options_;
  int group_number_ = -1;

  // Declaration order is teardown order reversed: DMA blocks go first, the container (shared) last.
  std::shared_ptr<VfioContainer> container_;
  Fd group_;
  Fd device_;
  uint64_t config_offset_ = 0;
  uint64_t config_size_ = 0;
  BarMapping bar0_;

  std::vector<Fd> msix_fds_;  // eventfds handed to VFIO_DEVICE_SET_IRQS (MSI-X), vector order

  std::mutex dma_mu_;  // dma_ (taken before container_->mu)
  std::map<void*, DmaBlock> dma_;  // this device's allocations, by virtual address
};

}  // namespace nic::vfio
