// The device side of a vfio-user server: one PCI function, as the protocol code (sim/vfio_user/session.h)
// sees it. The session validates every access against the region sizes before it calls in, so an
// implementation never sees an access outside a region, a width other than 1, 2, 4 or 8 on a BAR, or a
// misaligned BAR access. Implementations: IxgbeFunction (the 82599 model, sim/vfio_user/ixgbe_function.h)
// and the tests' fake device.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "sim/iommu.h"

namespace vfio_user {

class PciFunction {
 public:
  virtual ~PciFunction() = default;
  virtual std::string name() const = 0;

  // BARs 0..5 (VFIO_PCI_BAR0_REGION_INDEX..BAR5): size in bytes, 0 when absent.
  virtual uint64_t bar_size(uint32_t bar) const = 0;
  // width 1, 2, 4 or 8; offset % width == 0; offset + width <= bar_size(bar).
  virtual uint64_t bar_read(uint32_t bar, uint64_t offset, uint32_t width) = 0;
  virtual void bar_write(uint32_t bar, uint64_t offset, uint32_t width, uint64_t value) = 0;

  // Configuration space (VFIO_PCI_CONFIG_REGION_INDEX): config_size() bytes, any width and alignment.
  virtual uint32_t config_size() const = 0;
  virtual void config_read(uint32_t offset, std::span<uint8_t> out) = 0;
  virtual void config_write(uint32_t offset, std::span<const uint8_t> in) = 0;
  // Command register bit 10: INTx must not be signalled while it is set.
  virtual bool intx_disabled() const = 0;

  // VFIO_USER_DEVICE_RESET: the whole function back to its power-on state.
  virtual void reset() = 0;

  // Interrupts per VFIO_PCI_*_IRQ_INDEX (INTx 0, MSI 1, MSI-X 2, ERR 3, REQ 4): how many of each.
  virtual uint32_t irq_count(uint32_t index) const = 0;
  // The session's interrupt delivery. The device calls `fire(v)` when its interrupt v fires (an MSI-X vector;
  // with MSI or INTx the session signals the one interrupt whatever v is). Empty: nobody listens.
  virtual void set_interrupt_sink(std::function<void(uint32_t vector)> fire) = 0;

  // The IOMMU domain the device's DMA goes through; the session maps the client's memory into it where the
  // client says (DMA_MAP), so the device reaches guest memory at the guest's IOVAs. nullptr: no DMA.
  virtual sim::Iommu* dma_domain() = 0;
};

}  // namespace vfio_user
