#include "driver/vfio/sysfs.h"

#include <cstdio>
#include <iterator>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "driver/seam/error.h"

namespace nic::vfio {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string errno_str(int err) { return std::strerror(err); }

namespace {

bool is_hex(const std::string& s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

uint32_t parse_hex(const std::optional<std::string>& s) {
  if (!s) return 0;
  return static_cast<uint32_t>(std::strtoul(s->c_str(), nullptr, 16));
}

}  // namespace

std::string normalize_pci_addr(const std::string& addr) {
  std::string a = addr;
  if (a.size() == 7) a = "0000:" + a;  // "BB:DD.F"
  std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
  // DDDD:BB:DD.F — domain, bus, device (5 bits), function (3 bits).
  const bool shape = a.size() == 12 && is_hex(a, 0, 4) && a[4] == ':' && is_hex(a, 5, 2) && a[7] == ':' &&
                     is_hex(a, 8, 2) && a[10] == '.' && a[11] >= '0' && a[11] <= '7';
  if (!shape || std::strtoul(a.substr(8, 2).c_str(), nullptr, 16) > 0x1f)
    throw Error("malformed PCI address '" + addr +
                "': expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:03:00.0 (see `lspci -D`)");
  return a;
}

std::string pci_device_dir(const std::string& sysfs_root, const std::string& addr) {
  return sysfs_root + "/bus/pci/devices/" + addr;
}

std::optional<std::string> read_attr(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string out;
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void write_attr(const std::string& path, const std::string& value) {
  // Sysfs attributes take the whole value in one write(); O_TRUNC keeps fake (regular-file) trees sane.
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC));
  if (!fd.valid()) throw Error("cannot open " + path + " for writing: " + errno_str(errno));
  const ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n != static_cast<ssize_t>(value.size()))
    throw Error("writing '" + value + "' to " + path + " failed: " + (n < 0 ? errno_str(errno) : "short write"));
}

std::optional<std::string> link_basename(const std::string& link) {
  char target[4096];
  const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n <= 0) return std::nullopt;
  std::string t(target, static_cast<size_t>(n));
  while (t.size() > 1 && t.back() == '/') t.pop_back();
  const size_t slash = t.rfind('/');
  return slash == std::string::npos ? t : t.substr(slash + 1);
}

std::string bound_driver(const std::string& sysfs_root, const std::string& addr) {
  return link_basename(pci_device_dir(sysfs_root, addr) + "/driver").value_or("");
}

std::optional<int> iommu_group(const std::string& sysfs_root, const std::string& addr) {
  const auto name = link_basename(pci_device_dir(sysfs_root, addr) + "/iommu_group");
  if (!name || name->empty() || !std::all_of(name->begin(), name->end(), [](unsigned char c) { return std::isdigit(c); })) return std::nullopt;
  return std::atoi(name->c_str());
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (!dir) return names;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> iommu_group_devices(const std::string& sysfs_root, int group) {
  return list_dir(sysfs_root + "/kernel/iommu_groups/" + std::to_string(group) + "/devices");
}

PciDeviceInfo read_pci_device(const std::string& sysfs_root, const std::string& addr) {
  const std::string dir = pci_device_dir(sysfs_root, addr);
  PciDeviceInfo info;
  info.addr = addr;
  info.vendor = static_cast<uint16_t>(parse_hex(read_attr(dir + "/vendor")));
  info.device = static_cast<uint16_t>(parse_hex(read_attr(dir + "/device")));
  info.class_code = parse_hex(read_attr(dir + "/class")) & 0xFFFFFFu;
  info.driver = bound_driver(sysfs_root, addr);
  info.iommu_group = iommu_group(sysfs_root, addr);
  info.netdevs = list_dir(dir + "/net");
  return info;
}

std::vector<PciDeviceInfo> list_pci_devices(const std::string& sysfs_root) {
  std::vector<PciDeviceInfo> out;
  for (const std::string& addr : list_dir(sysfs_root + "/bus/pci/devices")) out.push_back(read_pci_device(sysfs_root, addr));
  return out;
}

bool vfio_compatible_driver(const std::string& driver) {
  return driver.empty() || driver.find("vfio") != std::string::npos || driver == "pci-stub" || driver == "pcieport";
}

std::string group_viability_problem(const std::string& sysfs_root, int group, const std::string& addr) {
  std::string offenders, binds;
  for (const std::string& other : iommu_group_devices(sysfs_root, group)) {
    if (other == addr) continue;
    const std::string driver = bound_driver(sysfs_root, other);
    if (vfio_compatible_driver(driver)) continue;
    offenders += (offenders.empty() ? "" : ", ") + other + " (bound to " + driver + ")";
    binds += (binds.empty() ? "" : "; ") + std::string("nicsetup bind ") + other;
  }
  if (offenders.empty()) return "";
  return "IOMMU group " + std::to_string(group) + " of " + addr + " is not viable: it also contains " + offenders +
         "; every device in the group must be bound to vfio-pci (or unbound): " + binds;
}

std::string pci_class_name(uint32_t class_code) {
  static constexpr const char* kNames[] = {
      "pre-class-code device",      "mass storage controller",     "network controller",
      "display controller",         "multimedia device",           "memory controller",
      "bridge",                     "simple communication controller", "base system peripheral",
      "input device controller",    "docking station",             "processor",
      "serial bus controller",      "wireless controller",         "intelligent I/O controller",
      "satellite communication controller", "encryption/decryption controller", "data acquisition controller",
      "processing accelerator",     "non-essential instrumentation"};
  const uint32_t base = (class_code >> 16) & 0xFF;
  if (base < std::size(kNames)) return kNames[base];
  return base == 0xFF ? "device of unassigned class" : "device of reserved class";
}

std::string not_ethernet_problem(const PciDeviceInfo& d) {
  if ((d.class_code >> 8) == 0x0200) return "";
  char code[16];
  std::snprintf(code, sizeof code, "0x%06x", d.class_code);
  const std::string what = (d.class_code >> 16) == 0x02 ? "network controller but not Ethernet" : pci_class_name(d.class_code);
  return d.addr + " is a " + what + " (class " + code + "), not an Ethernet controller";
}

}  // namespace nic::vfio
