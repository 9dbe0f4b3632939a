// nicsetup: prepares a machine for the VFIO backend, in the spirit of DPDK's dpdk-devbind + dpdk-hugepages.
// Every command is a function returning its report (or throwing nic::Error), so tests run them against fake
// sysfs trees; nicsetup.cc is only the command line.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace nic::setup {

struct Paths {
  std::string sysfs_root = "/sys";
  std::string dev_root = "/dev";
  std::string hugepage_dir = "/dev/hugepages";
};

// Network-class PCI devices (address, vendor:device, driver, IOMMU group, interface) and what is missing
// for the VFIO backend: IOMMU off, vfio-pci not loaded, no hugepages, hugetlbfs not mounted.
// `healthy` (if given) is set to false when anything is missing; the command line then exits 1.
std::string status(const Paths& paths, bool* healthy = nullptr);

// Hands the device to vfio-pci: driver_override=vfio-pci, unbind from the current driver, drivers_probe
// (Documentation/ABI/testing/sysfs-bus-pci, driver_override). Checks first, touching nothing until all pass:
// vfio-pci loaded, IOMMU group, Ethernet class, supported ids (82599/82576/82574 families; `force` skips
// this one). Throws if it did not end up bound to vfio-pci.
std::string bind(const Paths& paths, const std::string& addr, bool force = false);

// Unbinds the device from its driver and clears driver_override.
std::string unbind(const Paths& paths, const std::string& addr);

// Reserves `count` 2 MiB hugepages and (if `mount`) mounts hugetlbfs at paths.hugepage_dir when it is not.
std::string hugepages(const Paths& paths, long count, bool mount);

// The command line. Returns the exit code: 0 ok, 1 the command failed, 2 usage error.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace nic::setup
