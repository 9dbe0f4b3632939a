// Errors the driver reports. Init and setup paths throw nic::Error with a one-line, actionable message;
// the hot path never throws.
#pragma once

#include <stdexcept>
#include <string>

namespace nic {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device that stopped answering (all-ones reads, reset never completing): no point retrying.
class DeviceDead : public Error {
 public:
  using Error::Error;
};

}  // namespace nic
