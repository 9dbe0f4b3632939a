// open_device(): picks the family by PCI identity. Lives apart from device.h's target so the families can
// depend on the API without a cycle.
#include <cstdio>

#include "driver/device/device.h"
#include "driver/e1000e/e1000e.h"
#include "driver/seam/error.h"
#include "driver/igb/igb.h"
#include "driver/ixgbe/ixgbe.h"

namespace nic {

bool is_supported_device(uint16_t vendor, uint16_t device) {
  return ixgbe::is_supported_device(vendor, device) || igb::is_supported_device(vendor, device) ||
         e1000e::is_supported_device(vendor, device);
}

std::unique_ptr<Device> open_device(Backend& backend, const DeviceConfig& config) {
  const PciId id = backend.identity();
  char ids[16];
  std::snprintf(ids, sizeof ids, "%04x:%04x", id.vendor, id.device);
  if (id.class_code >> 8 != pci::kClassEthernet >> 8)
    throw Error(backend.name() + ": device " + ids + " is not an Ethernet controller (PCI class " +
                std::to_string(id.class_code >> 8) + ")");
  // Memory space + bus mastering on, legacy INTx off (the driver polls).
  const uint32_t cmd = backend.config_read(pci::kCommand, 2);
  backend.config_write(pci::kCommand, cmd | pci::kCommandMemory | pci::kCommandBusMaster | pci::kCommandIntxDisable, 2);
  if (ixgbe::is_supported_device(id.vendor, id.device)) return std::make_unique<ixgbe::IxgbeDevice>(backend, config);
  if (igb::is_supported_device(id.vendor, id.device)) return std::make_unique<igb::IgbDevice>(backend, config);
  if (e1000e::is_supported_device(id.vendor, id.device))
    return std::make_unique<e1000e::E1000eDevice>(backend, config);
  throw Error(backend.name() + ": unsupported device " + ids + " (supported: Intel 82599, 82576 and 82574 families)");
}

}  // namespace nic
