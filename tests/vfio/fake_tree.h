// A fake sysfs + /dev tree in a temporary directory, laid out like the kernel's (see driver/vfio/sysfs.h).
// Lives under /tmp with mode 0755 so a child that dropped to an unprivileged user can still traverse it.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "driver/vfio/vfio_backend.h"

namespace nic::vfio::testing {

namespace fs = std::filesystem;

class FakeTree {
 public:
  FakeTree() {
    char tmpl[] = "/tmp/nic-vfio-test-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    ::chmod(root_.c_str(), 0755);
    for (const char* d : {"sys/bus/pci/devices", "sys/bus/pci/drivers", "sys/kernel/iommu_groups",
                          "sys/kernel/mm/hugepages/hugepages-2048kB", "sys/devices/pci0000:00", "dev", "hugepages"})
      fs::create_directories(root_ + "/" + d);
    write("sys/bus/pci/drivers_probe", "");
    write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
    write("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0\n");
  }
  ~FakeTree() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeTree(const FakeTree&) = delete;
  FakeTree& operator=(const FakeTree&) = delete;

  const std::string& root() const { return root_; }
  std::string sys() const { return root_ + "/sys"; }
  std::string dev() const { return root_ + "/dev"; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  VfioOptions options() const { return {sys(), dev(), root_ + "/hugepages"}; }

  void write(const std::string& rel, const std::string& content) const { std::ofstream(path(rel)) << content; }
  std::string read(const std::string& rel) const {
    std::ifstream in(path(rel));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // sys/bus/pci/drivers/<name> with its bind/unbind/new_id files.
  void add_driver(const std::string& name) const {
    fs::create_directories(path("sys/bus/pci/drivers/" + name));
    for (const char* f : {"bind", "unbind", "new_id"}) write("sys/bus/pci/drivers/" + name + "/" + f, "");
  }

  // A PCI function; `driver` "" = unbound, `group` nullopt = no IOMMU.
  void add_device(const std::string& addr, const std::string& vendor, const std::string& device,
                  const std::string& class_code, const std::string& driver, std::optional<int> group,
                  const std::string& netdev = "") const {
    const std::string dir = "sys/devices/pci0000:00/" + addr;
    fs::create_directories(path(dir));
    write(dir + "/vendor", "0x" + vendor + "\n");
    write(dir + "/device", "0x" + device + "\n");
    write(dir + "/class", "0x" + class_code + "\n");
    write(dir + "/driver_override", "(null)\n");
    fs::create_directory_symlink("../../../devices/pci0000:00/" + addr, path("sys/bus/pci/devices/" + addr));
    if (!driver.empty()) bind(addr, driver);
    if (group) {
      const std::string g = "sys/kernel/iommu_groups/" + std::to_string(*group);
      fs::create_directories(path(g + "/devices"));
      fs::create_directory_symlink("../../../kernel/iommu_groups/" + std::to_string(*group), path(dir + "/iommu_group"));
      fs::create_directory_symlink("../../../../devices/pci0000:00/" + addr, path(g + "/devices/" + addr));
    }
    if (!netdev.empty()) fs::create_directories(path(dir + "/net/" + netdev));
  }

  // Points the device's driver link at sys/bus/pci/drivers/<driver> (creating the driver).
  void bind(const std::string& addr, const std::string& driver) const {
    add_driver(driver);
    const std::string link = path("sys/devices/pci0000:00/" + addr + "/driver");
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_directory_symlink("../../../bus/pci/drivers/" + driver, link);
  }

  // dev/vfio/vfio and dev/vfio/<group> as plain files (ioctls on them fail with ENOTTY).
  void add_vfio_nodes(int group, mode_t group_mode = 0600) const {
    fs::create_directories(path("dev/vfio"));
    write("dev/vfio/vfio", "");
    ::chmod(path("dev/vfio/vfio").c_str(), 0666);
    const std::string g = "dev/vfio/" + std::to_string(group);
    write(g, "");
    ::chmod(path(g).c_str(), group_mode);
  }

 private:
  std::string root_;
};

}  // namespace nic::vfio::testing
