#include "driver/device/interrupts.h"

#include <poll.h>
#include <unistd.h>

#include "driver/device/device.h"
#include "driver/seam/error.h"

namespace nic {

// Families without interrupts (e1000e): a clear error instead of a silent poll.
void Device::enable_interrupts(const InterruptConfig&) {
  throw Error(driver_name() + ": MSI-X interrupts are not implemented for this device family; poll instead");
}
bool Device::wait_rx(uint16_t, uint32_t) {
  throw Error(driver_name() + ": wait_rx: interrupts are not implemented for this device family; poll instead");
}
bool Device::arm_rx(uint16_t) {
  throw Error(driver_name() + ": arm_rx: interrupts are not implemented for this device family; poll instead");
}
void Device::disarm_rx(uint16_t) {
  throw Error(driver_name() + ": disarm_rx: interrupts are not implemented for this device family; poll instead");
}

RxInterrupts::RxInterrupts(Backend& backend, uint32_t vectors)
    : backend_(backend), fds_(backend.enable_msix(vectors)), taken_(fds_.size()) {
  if (fds_.size() != vectors) {
    backend_.disable_msix();
    throw Error(backend_.name() + ": the backend returned " + std::to_string(fds_.size()) + " eventfds for " +
                std::to_string(vectors) + " MSI-X vectors");
  }
}

RxInterrupts::~RxInterrupts() {
  try {
    if (regs_.eimc != 0) backend_.write32(regs_.eimc, mask_all());
  } catch (...) {  // a destructor does not throw; MSI-X goes off below anyway
  }
  backend_.disable_msix();
}

void RxInterrupts::arm(uint32_t v) {
  backend_.write32(regs_.eicr, bit(v));
  backend_.write32(regs_.eims, bit(v));
}

void RxInterrupts::disarm(uint32_t v) {
  backend_.write32(regs_.eimc, bit(v));
  uint64_t n = 0;
  if (::read(fds_.at(v), &n, sizeof n) == static_cast<ssize_t>(sizeof n)) taken_[v] += n;  // EAGAIN: none
}

bool RxInterrupts::sleep(uint32_t v, uint32_t timeout_ms) const {
  pollfd p{fds_.at(v), POLLIN, 0};
  const int timeout = timeout_ms > static_cast<uint32_t>(INT32_MAX) ? -1 : static_cast<int>(timeout_ms);
  return ::poll(&p, 1, timeout) > 0 && (p.revents & POLLIN);  // EINTR: false, the app checks its stop flag
}

}  // namespace nic
