// Fuzz target: every parser of outside input in the apps: the command-line flag parser (argv from the
// input, NUL-separated), the port list, MAC addresses and PCI addresses. They may reject input (with
// nic::Error or a false return) but never crash or accept garbage silently.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "driver/seam/error.h"
#include "driver/vfio/sysfs.h"
#include "tools/app.h"
#include "tools/packet_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args{"prog"};
  std::string cur;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(cur);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());

  std::FILE* devnull = std::freopen("/dev/null", "w", stdout);  // --help prints
  (void)devnull;
  app::Flags f("fuzz", "fuzz");
  app::add_port_flags(f, "sim");
  f.add("count", "0", "count");
  if (f.parse(static_cast<int>(argv.size()), argv.data())) {
    try {
      const app::PortOptions o = app::port_options_from(f);
      if (!nic::valid_ring_size(o.device.rx_ring_size)) __builtin_trap();  // accepted => valid
      (void)f.u64("count");
    } catch (const nic::Error&) {
    }
    for (const std::string& p : app::split(f.str("ports"), ','))
      if (p.empty()) __builtin_trap();
  }
  for (const std::string& s : args) {
    try {
      const nic::MacAddr m = app::parse_mac(s);
      if (app::parse_mac(nic::format_mac(m)) != m) __builtin_trap();  // round trip
    } catch (const nic::Error&) {
    }
    try {
      const std::string a = nic::vfio::normalize_pci_addr(s);
      // Accepted addresses are canonical DDDD:BB:DD.F and stable under normalization.
      if (a.size() != 12 || a[4] != ':' || a[7] != ':' || a[10] != '.') __builtin_trap();
      if (nic::vfio::normalize_pci_addr(a) != a) __builtin_trap();
    } catch (const nic::Error&) {
    }
  }
  return 0;
}
