#include "tools/setup/nicsetup_lib.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "driver/device/device.h"
#include "driver/seam/error.h"
#include "driver/vfio/hugepage.h"
#include "driver/vfio/sysfs.h"

namespace nic::setup {
namespace {

using vfio::PciDeviceInfo;

constexpr const char* kUsage =
    "usage: nicsetup [options] <command>\n"
    "Prepares this machine for the VFIO backend of the 82599 user-space driver.\n"
    "\n"
    "commands:\n"
    "  status           list network PCI devices (driver, IOMMU group) and what is missing\n"
    "  bind <addr>      give a NIC to vfio-pci (unbinds it from its kernel driver, e.g. ixgbe); refuses\n"
    "                   anything but an Ethernet controller of a supported family (--force: any Ethernet)\n"
    "  unbind <addr>    unbind a device from its driver and clear driver_override\n"
    "  hugepages <N>    reserve N 2 MiB hugepages and mount hugetlbfs at the hugepage dir if needed\n"
    "\n"
    "options:\n"
    "  --sysfs-root DIR    sysfs mount (default /sys)\n"
    "  --dev-root DIR      devtmpfs mount (default /dev)\n"
    "  --hugepage-dir DIR  hugetlbfs mount point (default /dev/hugepages)\n"
    "  --no-mount          hugepages: do not mount hugetlbfs\n"
    "  --force             bind: accept an Ethernet controller of an unsupported family\n"
    "  -h, --help          this text\n"
    "\n"
    "<addr> is a PCI address, DDDD:BB:DD.F or BB:DD.F (see `nicsetup status`).\n"
    "status exits 1 when something is missing. The whole procedure for a real card: tools/RIG.md.\n";

struct UsageError {
  std::string message;
};

const std::string kHugepagesDir = "/kernel/mm/hugepages/hugepages-2048kB";

std::string hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*x", digits, v);
  return buf;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

long read_long(const std::string& path) {
  const auto s = vfio::read_attr(path);
  return s ? std::strtol(s->c_str(), nullptr, 10) : -1;
}

// The hugetlbfs problem at `dir`, or "" when it is a 2 MiB hugetlbfs mount.
std::string hugetlbfs_problem(const std::string& dir) {
  try {
    vfio::check_hugetlbfs(dir);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

PciDeviceInfo existing_device(const Paths& paths, const std::string& addr) {
  const std::string a = vfio::normalize_pci_addr(addr);
  if (!exists(vfio::pci_device_dir(paths.sysfs_root, a)))
    throw Error("no PCI device " + a + " in " + paths.sysfs_root + "/bus/pci/devices (see `nicsetup status`)");
  return vfio::read_pci_device(paths.sysfs_root, a);
}

}  // namespace

std::string status(const Paths& paths, bool* healthy) {
  const std::string& sys = paths.sysfs_root;
  std::ostringstream out;
  out << "Network PCI devices (class 02xx):\n";
  int shown = 0;
  for (const PciDeviceInfo& d : vfio::list_pci_devices(sys)) {
    if ((d.class_code >> 16) != 0x02) continue;
    ++shown;
    out << "  " << d.addr << "  " << hex(d.vendor, 4) << ":" << hex(d.device, 4)
        << "  driver=" << (d.driver.empty() ? "none" : d.driver)
        << "  iommu_group=" << (d.iommu_group ? std::to_string(*d.iommu_group) : "none");
    for (const std::string& netdev : d.netdevs) out << "  if=" << netdev;
    if (d.driver == "vfio-pci" && d.iommu_group) {
      const std::string problem = vfio::group_viability_problem(sys, *d.iommu_group, d.addr);
      if (!problem.empty())
        out << "  (group not viable)";
      else if (exists(paths.dev_root + "/vfio/" + std::to_string(*d.iommu_group)))
        out << "  ready";
    } else if (d.iommu_group) {
      out << "  (use it: nicsetup bind " << d.addr << ")";
    }
    out << "\n";
  }
  if (shown == 0) out << "  (none)\n";

  const long reserved = read_long(sys + kHugepagesDir + "/nr_hugepages");
  const long free_pages = read_long(sys + kHugepagesDir + "/free_hugepages");
  const std::string mount_problem = hugetlbfs_problem(paths.hugepage_dir);
  out << "2 MiB hugepages: " << (reserved < 0 ? "unknown" : std::to_string(reserved)) << " reserved, "
      << (free_pages < 0 ? "unknown" : std::to_string(free_pages)) << " free; hugetlbfs at " << paths.hugepage_dir
      << ": " << (mount_problem.empty() ? "mounted" : "not mounted") << "\n";

  std::vector<std::string> problems;
  if (vfio::list_dir(sys + "/kernel/iommu_groups").empty())
    problems.push_back("IOMMU off (no IOMMU groups): enable VT-d/AMD-Vi in the firmware and boot with "
                       "intel_iommu=on (Intel) or amd_iommu=on (AMD), plus iommu=pt");
  if (!exists(sys + "/bus/pci/drivers/vfio-pci"))
    problems.push_back("no vfio-pci module (no " + sys + "/bus/pci/drivers/vfio-pci): modprobe vfio-pci");
  if (reserved <= 0)
    problems.push_back("no hugepages reserved: nicsetup hugepages 512");
  else if (free_pages == 0)
    problems.push_back("no free hugepages (all " + std::to_string(reserved) + " in use): nicsetup hugepages " +
                       std::to_string(reserved + 512));
  if (!mount_problem.empty())
    problems.push_back("hugetlbfs not mounted at " + paths.hugepage_dir + ": nicsetup hugepages " +
                       std::to_string(reserved > 0 ? reserved : 512));
  if (problems.empty()) {
    out << "No problems found.\n";
  } else {
    out << "Problems:\n";
    for (const std::string& p : problems) out << "  - " << p << "\n";
    out << "The first-run procedure, step by step: tools/RIG.md\n";
  }
  if (healthy) *healthy = problems.empty();
  return out.str();
}

std::string bind(const Paths& paths, const std::string& addr, bool force) {
  const std::string& sys = paths.sysfs_root;
  const PciDeviceInfo d = existing_device(paths, addr);
  if (d.driver == "vfio-pci") return d.addr + " is already bound to vfio-pci\n";
  if (!exists(sys + "/bus/pci/drivers/vfio-pci"))
    throw Error("vfio-pci is not loaded: modprobe vfio-pci, then run `nicsetup bind " + d.addr + "` again");
  if (!d.iommu_group)
    throw Error(d.addr + " has no IOMMU group, so vfio-pci cannot take it: boot with intel_iommu=on (Intel) or "
                "amd_iommu=on (AMD), plus iommu=pt");
  if (const std::string problem = vfio::not_ethernet_problem(d); !problem.empty())
    throw Error(problem + ": refusing to take it from its driver (`nicsetup status` lists the NICs)");
  if (!force && !is_supported_device(d.vendor, d.device))
    throw Error(d.addr + " (" + hex(d.vendor, 4) + ":" + hex(d.device, 4) + ") is not a supported NIC (82599, 82576 "
                "and 82574 families): pass --force to bind it anyway");

  // driver_override makes vfio-pci the only driver that may claim the device on the next probe.
  const std::string dir = vfio::pci_device_dir(sys, d.addr);
  vfio::write_attr(dir + "/driver_override", "vfio-pci");
  if (!d.driver.empty()) vfio::write_attr(dir + "/driver/unbind", d.addr);
  vfio::write_attr(sys + "/bus/pci/drivers_probe", d.addr);

  const std::string now = vfio::bound_driver(sys, d.addr);
  if (now != "vfio-pci")
    throw Error("binding " + d.addr + " to vfio-pci failed (now " + (now.empty() ? "unbound" : "bound to " + now) +
                "): see dmesg");
  std::string report = d.addr + ": " + (d.driver.empty() ? "unbound" : d.driver) + " -> vfio-pci (IOMMU group " +
                       std::to_string(*d.iommu_group) + ", " + paths.dev_root + "/vfio/" +
                       std::to_string(*d.iommu_group) + ")\n";
  if (const std::string problem = vfio::group_viability_problem(sys, *d.iommu_group, d.addr); !problem.empty())
    report += "warning: " + problem + "\n";
  return report;
}

std::string unbind(const Paths& paths, const std::string& addr) {
  const PciDeviceInfo d = existing_device(paths, addr);
  const std::string dir = vfio::pci_device_dir(paths.sysfs_root, d.addr);
  if (d.driver.empty()) return d.addr + " is not bound to any driver\n";
  vfio::write_attr(dir + "/driver/unbind", d.addr);
  if (exists(dir + "/driver_override")) vfio::write_attr(dir + "/driver_override", "\n");  // empty clears it
  return d.addr + ": unbound from " + d.driver + "; give it back to its kernel driver with: echo " + d.addr +
         " > /sys/bus/pci/drivers_probe\n";
}

std::string hugepages(const Paths& paths, long count, bool mount) {
  if (count < 0) throw Error("hugepage count must be >= 0, got " + std::to_string(count));
  const std::string nr = paths.sysfs_root + kHugepagesDir + "/nr_hugepages";
  vfio::write_attr(nr, std::to_string(count));
  const long now = read_long(nr);
  std::string report = "2 MiB hugepages reserved: " + std::to_string(now) + "\n";
  if (now < count)
    report += "warning: asked for " + std::to_string(count) + "; memory is too fragmented or too small for more\n";
  if (mount && !hugetlbfs_problem(paths.hugepage_dir).empty()) {
    ::mkdir(paths.hugepage_dir.c_str(), 0755);
    if (::mount("nodev", paths.hugepage_dir.c_str(), "hugetlbfs", 0, "pagesize=2M") != 0) {
      const int e = errno;
      throw Error("mount -t hugetlbfs nodev " + paths.hugepage_dir + " failed: " + vfio::errno_str(e) +
                  (e == EPERM ? " (run as root)" : ""));
    }
    report += "mounted hugetlbfs (2 MiB pages) at " + paths.hugepage_dir + "\n";
  }
  return report;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Paths paths;
  bool mount = true, force = false;
  std::vector<std::string> words;
  try {
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&](const std::string& flag) -> std::string {
        if (a.size() > flag.size() && a.compare(0, flag.size() + 1, flag + "=") == 0) return a.substr(flag.size() + 1);
        if (i + 1 >= args.size()) throw UsageError{flag + " needs a value"};
        return args[++i];
      };
      auto is = [&](const std::string& flag) { return a == flag || a.rfind(flag + "=", 0) == 0; };
      if (a == "-h" || a == "--help") {
        out << kUsage;
        return 0;
      } else if (is("--sysfs-root")) {
        paths.sysfs_root = value("--sysfs-root");
      } else if (is("--dev-root")) {
        paths.dev_root = value("--dev-root");
      } else if (is("--hugepage-dir")) {
        paths.hugepage_dir = value("--hugepage-dir");
      } else if (a == "--no-mount") {
        mount = false;
      } else if (a == "--force") {
        force = true;
      } else if (a.size() > 1 && a[0] == '-') {
        throw UsageError{"unknown option '" + a + "'"};
      } else {
        words.push_back(a);
      }
    }
    if (words.empty()) throw UsageError{"missing command"};
    const std::string& cmd = words[0];
    auto want_args = [&](size_t n, const char* what) {
      if (words.size() != n + 1) throw UsageError{cmd + " takes " + what};
    };
    if (cmd == "status") {
      want_args(0, "no arguments");
      bool healthy = true;
      out << status(paths, &healthy);
      if (!healthy) return 1;
    } else if (cmd == "bind" || cmd == "unbind") {
      want_args(1, "one PCI address");
      try {
        vfio::normalize_pci_addr(words[1]);
      } catch (const Error& e) {
        throw UsageError{e.what()};
      }
      out << (cmd == "bind" ? bind(paths, words[1], force) : unbind(paths, words[1]));
    } else if (cmd == "hugepages") {
      want_args(1, "one count (number of 2 MiB pages)");
      const std::string& n = words[1];
      if (n.empty() || n.size() > 7 || n.find_first_not_of("0123456789") != std::string::npos)
        throw UsageError{"hugepages: '" + n + "' is not a page count (0..9999999)"};
      out << hugepages(paths, std::strtol(n.c_str(), nullptr, 10), mount);
    } else {
      throw UsageError{"unknown command '" + cmd + "'"};
    }
  } catch (const UsageError& e) {
    err << "nicsetup: " << e.message << " (see nicsetup --help)\n";
    return 2;
  } catch (const Error& e) {
    err << "nicsetup: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace nic::setup
