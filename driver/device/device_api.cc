#include "driver/device/device.h"

#include <cstdio>


namespace nic {

std::string format_mac(const MacAddr& m) {
  char s[18];
  std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return s;
}

}  // namespace nic
