// Backend factory for the apps: a PCI address opens the device through VFIO. (The simulator is wired in
// app.cc, because simulated ports are connected to each other.) Also the privilege drop after init.
#pragma once

#include <memory>
#include <string>

#include "driver/seam/backend.h"

namespace app {

// Throws nic::Error with a one-line, actionable message (malformed address, not bound to vfio-pci, ...).
std::unique_ptr<nic::Backend> open_backend(const std::string& pci_address);

// Switch to an unprivileged user ("name", "uid" or "uid:gid") after the device and DMA memory are set up.
void drop_privileges_to(const std::string& user);
// What drop_privileges_to will need, checked up front: the user resolves and the process runs as root.
void check_user(const std::string& user);

}  // namespace app
