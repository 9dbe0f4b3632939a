#include "driver/seam/backend.h"

#include "driver/seam/error.h"

namespace nic {

std::vector<int> Backend::enable_msix(uint32_t) {
  throw Error(name() + ": this backend has no MSI-X interrupts (poll instead)");
}

}  // namespace nic
