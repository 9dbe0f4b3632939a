// PcapWriter for the statically linked guest binaries (ci/qemu): Debian's static libpcap needs static
// libsystemd and libdbus, which the distribution does not ship, so these builds have no capture. A user who
// asks for one gets this error; every dynamically linked tool has the real writer (pcap_tap.cc). The flag
// parser's fuzz target (fuzz/cli_fuzz.cc) links this one too: it never opens a port, so never gets here, and
// needs no libpcap at run time.
#include "driver/seam/error.h"
#include "sim/pcap_tap.h"

namespace sim {

PcapWriter::PcapWriter(const std::string& path) {
  throw nic::Error("--pcap " + path + ": this statically linked build has no libpcap; capture with the dynamically "
                   "linked tool (bazel-bin/tools/<tool>) instead");
}
PcapWriter::~PcapWriter() { (void)pcap_, (void)dumper_; }  // never opened here (and clang: the fields are used)
void PcapWriter::write(std::span<const uint8_t>, uint64_t) {}
void PcapWriter::flush() {}

}  // namespace sim
