// The seam: everything the driver needs from "a PCIe NIC", and nothing more.
//
// Two implementations exist: driver/vfio (real hardware through VFIO) and sim/ (an in-process 82599 model).
// The driver never knows which one it talks to. Register access is one virtual call per MMIO, except the one
// MMIO of the hot path: a queue's tail write goes through a Doorbell the backend hands the ring at setup (a
// plain store into the mapped register where the backend has one). Descriptor and packet accesses are plain
// loads/stores in DMA memory and never go through this interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nic {

// One block of DMA-capable memory: what the CPU sees (virt) and what the device must be told (iova).
struct DmaRegion {
  void* virt = nullptr;
  uint64_t iova = 0;
  size_t size = 0;
};

// PCI identity as read from config space.
struct PciId {
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint32_t class_code = 0;  // 24-bit class/subclass/prog-if; 0x020000 = Ethernet controller
};

class Backend;

// A queue's tail register as the hot path writes it. A backend that maps its registers (VFIO's BAR0, the null
// device's register array) gives the register's address and ring() is one volatile store; a backend whose
// register writes must run code (the simulator, mocks) gives none and ring() calls its write32.
class Doorbell {
 public:
  Doorbell(Backend& backend, uint32_t offset) : backend_(&backend), offset_(offset) {}
  Doorbell(Backend& backend, uint32_t offset, volatile uint32_t* mapped)
      : reg_(mapped), backend_(&backend), offset_(offset) {}
  inline void ring(uint32_t value);
  uint32_t offset() const { return offset_; }
  bool mapped() const { return reg_ != nullptr; }

 private:
  volatile uint32_t* reg_ = nullptr;
  Backend* backend_;
  uint32_t offset_;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // --- BAR0 MMIO: 32-bit, naturally aligned offsets. Uncached, ordered with respect to each other.
  virtual uint32_t read32(uint32_t offset) = 0;
  virtual void write32(uint32_t offset, uint32_t value) = 0;
  // The hot path's handle on the register at `offset` (a queue tail): write32 unless overridden.
  virtual Doorbell doorbell(uint32_t offset) { return Doorbell(*this, offset); }

  // --- DMA memory. `align` must be a power of two. Throws nic::Error when memory or IOVA space runs out.
  // The backend owns the IOMMU mapping for the region's lifetime.
  virtual DmaRegion dma_alloc(size_t bytes, size_t align) = 0;
  virtual void dma_free(const DmaRegion& region) = 0;

  // --- PCI configuration space (offset, width 1/2/4 bytes).
  virtual uint32_t config_read(uint32_t offset, int width) = 0;
  virtual void config_write(uint32_t offset, uint32_t value, int width) = 0;
  virtual PciId identity() = 0;

  // --- Time. Datasheet waits (reset, EEPROM auto-read, link) go through here so a simulated device can
  // run them in virtual time (deterministic) while hardware really sleeps.
  virtual void delay_us(uint32_t us) = 0;
  virtual uint64_t now_ns() = 0;

  // --- Interrupts: MSI-X vectors, each signalled through an eventfd the backend creates (VFIO: the kernel
  // writes it; the simulator: the device model does). Returns one eventfd per vector, owned by the backend
  // until disable_msix() or destruction. Backends without interrupts keep these defaults.
  virtual std::vector<int> enable_msix(uint32_t vectors);
  virtual void disable_msix() {}

  // Human-readable name: "sim:0", "vfio:0000:03:00.0".
  virtual std::string name() const = 0;
};

inline void Doorbell::ring(uint32_t value) {
  if (reg_ != nullptr) [[likely]]
    *reg_ = value;
  else
    backend_->write32(offset_, value);
}

// PCI config space facts used by every family (PCI Local Bus spec 3.0 §6.2).
namespace pci {
inline constexpr uint32_t kVendorId = 0x00;
inline constexpr uint32_t kDeviceId = 0x02;
inline constexpr uint32_t kCommand = 0x04;
inline constexpr uint32_t kClassRev = 0x08;
inline constexpr uint16_t kCommandMemory = 1u << 1;
inline constexpr uint16_t kCommandBusMaster = 1u << 2;
inline constexpr uint16_t kCommandIntxDisable = 1u << 10;
inline constexpr uint16_t kVendorIntel = 0x8086;
inline constexpr uint32_t kClassEthernet = 0x020000;
}  // namespace pci

}  // namespace nic
