// Small helpers over Linux sysfs for PCI devices and IOMMU groups, plus an owned file descriptor.
//
// Everything takes the sysfs root as a parameter ("/sys" in production) so tests can build fake trees in a
// temporary directory. Layout used (Documentation/ABI/testing/sysfs-bus-pci, sysfs-kernel-iommu_groups):
//   <root>/bus/pci/devices/<addr>/{vendor,device,class}   "0x8086", "0x10fb", "0x020000"
//   <root>/bus/pci/devices/<addr>/driver -> .../drivers/<name>        (absent when unbound)
//   <root>/bus/pci/devices/<addr>/iommu_group -> .../iommu_groups/<N> (absent when the IOMMU is off)
//   <root>/kernel/iommu_groups/<N>/devices/<addr>
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nic::vfio {

// Owned file descriptor: closed on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Canonical "DDDD:BB:DD.F" (lower-case hex). Accepts "BB:DD.F" (domain 0000). Throws nic::Error otherwise.
std::string normalize_pci_addr(const std::string& addr);

// "<sysfs_root>/bus/pci/devices/<addr>".
std::string pci_device_dir(const std::string& sysfs_root, const std::string& addr);

// Contents of a sysfs attribute without the trailing newline; nullopt if it cannot be read.
std::optional<std::string> read_attr(const std::string& path);
// Writes `value` to a sysfs attribute; throws nic::Error naming the file and errno on failure.
void write_attr(const std::string& path, const std::string& value);

// Last component of a symlink's target ("…/drivers/ixgbe" → "ixgbe"); nullopt if `link` is not a symlink.
std::optional<std::string> link_basename(const std::string& link);

// Name of the driver bound to the device ("" when unbound).
std::string bound_driver(const std::string& sysfs_root, const std::string& addr);
// IOMMU group number of the device; nullopt when it has none (IOMMU disabled).
std::optional<int> iommu_group(const std::string& sysfs_root, const std::string& addr);
// Addresses of every device in an IOMMU group, sorted.
std::vector<std::string> iommu_group_devices(const std::string& sysfs_root, int group);

// What sysfs says about one PCI function.
struct PciDeviceInfo {
  std::string addr;
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint32_t class_code = 0;           // 24 bits: class, subclass, prog-if
  std::string driver;                // "" when unbound
  std::optional<int> iommu_group;    // nullopt when the IOMMU is off
  std::vector<std::string> netdevs;  // kernel interface names (ixgbe-bound devices have one)
};
PciDeviceInfo read_pci_device(const std::string& sysfs_root, const std::string& addr);
// Every device under <sysfs_root>/bus/pci/devices, sorted by address.
std::vector<PciDeviceInfo> list_pci_devices(const std::string& sysfs_root);

// What the PCI base class of a 24-bit class code names ("mass storage controller", "bridge", ...; the
// base-class table of the PCI Code and ID Assignment Specification, §1).
std::string pci_class_name(uint32_t class_code);
// "" for an Ethernet controller (class 0x0200xx); otherwise "0000:00:02.0 is a mass storage controller
// (class 0x010802), not an Ethernet controller".
std::string not_ethernet_problem(const PciDeviceInfo& d);

// Drivers a device may stay bound to without making its IOMMU group unusable for VFIO: none, VFIO drivers,
// pci-stub, and pcieport (bridges; those drivers declare driver_managed_dma).
bool vfio_compatible_driver(const std::string& driver);

// The "group not viable" diagnosis from sysfs: "" when every other device in `group` is bound to a
// VFIO-compatible driver, else a one-line message naming the offenders and how to fix them.
std::string group_viability_problem(const std::string& sysfs_root, int group, const std::string& addr);

// Sorted names in a directory (without "." and ".."); empty if it cannot be read.
std::vector<std::string> list_dir(const std::string& path);

// "<strerror(errno)>" helper for messages.
std::string errno_str(int err);

}  // namespace nic::vfio
