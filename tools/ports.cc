#include "tools/ports.h"

#include <algorithm>
#include <map>

#include "driver/seam/error.h"
#include "tools/open_backend.h"

namespace app {
namespace {
std::map<std::string, PortGroupFactory>& kinds() {
  static std::map<std::string, PortGroupFactory> k;  // filled before main() by the libraries linked in
  return k;
}
}  // namespace

void register_port_kind(const std::string& kind, PortGroupFactory factory) { kinds()[kind] = std::move(factory); }

std::string port_kinds() {
  std::string s;
  for (const auto& [kind, factory] : kinds()) s += (s.empty() ? "" : ",") + kind;
  return s;
}

std::unique_ptr<PortSet> open_ports(const std::vector<std::string>& specs, const PortOptions& opt) {
  if (specs.empty()) throw nic::Error("no ports given (--ports)");
  // A capture needs ports with wires; checked before any device is touched.
  if (!opt.pcap_path.empty() &&
      std::none_of(specs.begin(), specs.end(), [](const std::string& s) { return kinds().count(s) != 0; }))
    throw nic::Error("--pcap captures simulated wires; for a real port use tools/pcap");
  auto ps = std::make_unique<PortSet>();
  std::string group_kind;
  for (const std::string& spec : specs) {
    if (auto it = kinds().find(spec); it != kinds().end()) {
      if (!ps->group) {
        ps->group = it->second(opt);
        group_kind = spec;
      } else if (spec != group_kind) {
        throw nic::Error("ports '" + group_kind + "' and '" + spec + "' cannot be used in one run");
      }
      ps->backends.push_back(ps->group->add_port());
    } else if (spec == "sim") {
      throw nic::Error("port 'sim': this program was built without the simulator (link //tools:sim_ports)");
    } else {
      ps->backends.push_back(open_backend(spec));
    }
    ps->names.push_back(ps->backends.back()->name());
  }
  if (ps->group) ps->group->connect();
  for (auto& b : ps->backends) ps->devices.push_back(nic::open_device(*b, opt.device));
  if (ps->group) ps->group->start();
  ps->drop_to = opt.drop_to;
  return ps;
}

void PortSet::finish_setup() {
  if (!drop_to.empty()) drop_privileges_to(drop_to);
}

}  // namespace app
