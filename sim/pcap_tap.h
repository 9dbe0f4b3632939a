// A capture point on a simulated wire: an Endpoint that writes every frame passing through it to a pcap
// file (libpcap's savefile format, nanosecond timestamps in virtual time) and hands it on unchanged.
//
// Several taps may share one PcapWriter, so both directions of a wire (or every wire of an app) land in one
// file. Frames are written in the order they pass; the world runs events in time order, so the file is in
// time order too. The FCS is not on the simulated wire (Endpoint frames carry none), so none is captured:
// the file reads as a capture on a host whose NIC strips it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sim/world.h"

struct pcap;
struct pcap_dumper;

namespace sim {

class PcapWriter {
 public:
  // Creates (truncates) `path`; throws nic::Error naming the path and libpcap's reason.
  explicit PcapWriter(const std::string& path);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void write(std::span<const uint8_t> frame, uint64_t t_ns);
  uint64_t frames() const { return frames_; }
  void flush();

 private:
  pcap* pcap_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  uint64_t frames_ = 0;
};

class PcapTap final : public Endpoint {
 public:
  PcapTap(PcapWriter& writer, Endpoint* next) : writer_(writer), next_(next) {}
  void receive(Bytes&& frame, uint64_t t) override {
    writer_.write(frame, t);
    next_->receive(std::move(frame), t);
  }
  void receive_view(std::span<const uint8_t> frame, uint64_t t) override {
    writer_.write(frame, t);
    next_->receive_view(frame, t);
  }

 private:
  PcapWriter& writer_;
  Endpoint* next_;
};

}  // namespace sim
