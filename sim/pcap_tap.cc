#include "sim/pcap_tap.h"

#include <pcap/pcap.h>

#include "driver/seam/error.h"

namespace sim {

PcapWriter::PcapWriter(const std::string& path) {
  // 65535: the snapshot length (nothing on a 1518-byte wire is cut); DLT_EN10MB: Ethernet frames.
  pcap_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
  if (pcap_ == nullptr) throw nic::Error("pcap: cannot create a capture handle");
  dumper_ = pcap_dump_open(pcap_, path.c_str());
  if (dumper_ == nullptr) {
    const std::string why = pcap_geterr(pcap_);
    pcap_close(pcap_);
    throw nic::Error("--pcap " + path + ": " + why);
  }
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);
  pcap_close(pcap_);
}

void PcapWriter::write(std::span<const uint8_t> frame, uint64_t t_ns) {
  pcap_pkthdr h{};
  // With nanosecond precision the savefile's tv_usec field carries nanoseconds (pcap-savefile(5)).
  h.ts.tv_sec = static_cast<time_t>(t_ns / 1'000'000'000ull);
  h.ts.tv_usec = static_cast<suseconds_t>(t_ns % 1'000'000'000ull);
  h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
  ++frames_;
}

void PcapWriter::flush() { pcap_dump_flush(dumper_); }

}  // namespace sim
