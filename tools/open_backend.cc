#include "tools/open_backend.h"

#include <unistd.h>

#include "driver/device/device.h"
#include "driver/seam/error.h"
#include "driver/seam/log.h"
#include "driver/vfio/privileges.h"
#include "driver/vfio/vfio_backend.h"

namespace app {

std::unique_ptr<nic::Backend> open_backend(const std::string& pci_address) {
  nic::vfio::VfioOptions options;
  options.supported = nic::is_supported_device;
  return nic::vfio::open_vfio(pci_address, options);
}

void check_user(const std::string& user) {
  (void)nic::vfio::parse_user(user);
  if (::geteuid() != 0)
    throw nic::Error("--user " + user + ": cannot drop privileges: not running as root (euid " +
                     std::to_string(::geteuid()) + "); start as root or leave out --user");
}

void drop_privileges_to(const std::string& user) {
  const nic::vfio::UserIds ids = nic::vfio::parse_user(user);
  nic::vfio::drop_privileges(ids.uid, ids.gid);
  nic::log(nic::LogLevel::kInfo, "dropped privileges to uid %u gid %u", static_cast<unsigned>(ids.uid),
           static_cast<unsigned>(ids.gid));
}

}  // namespace app
