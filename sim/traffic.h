// Traffic sources for the simulated wire: a generator that sends frames to an endpoint at a given rate
// (line rate by default), and (in world.h) Sink, which counts and keeps what a port transmits.
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <span>

#include "sim/world.h"

namespace sim {

struct TrafficSpec {
  uint32_t frame_size = 60;                 // bytes without FCS (60 → 64 B on the wire + 20 B preamble/IFG)
  uint64_t count = UINT64_MAX;              // frames to send
  double rate_pps = 0;                      // 0 = 10G line rate for this frame size
  // 0: every frame is handed over at its own time (one event per frame). N > 0: frames come in bursts, those
  // due within each N ns window handed over together at its end (never early, at most N ns late): one event
  // per window. The apps use 1000 with the functional model, where the per-frame event would dominate.
  uint64_t burst_ns = 0;
  uint8_t dst_mac[6] = {0x02, 0x53, 0x49, 0x4d, 0x00, 0x00};
  uint8_t src_mac[6] = {0x02, 0x54, 0x47, 0x45, 0x4e, 0x00};  // "TGEN"
  // 0: raw frames (ethertype 0x88B5). N > 0: IPv4/UDP frames of N flows (UDP source port 1024 + seq % N),
  // so receive-side scaling spreads them; the sequence number is then the first UDP payload word.
  uint32_t flows = 0;
};

// Sends frames carrying a 32-bit sequence number at byte 14 (after the Ethernet header, ethertype 0x88B5).
class TrafficGen final : public EventTarget {
 public:
  TrafficGen(World& world, Endpoint* dst, TrafficSpec spec) : world_(world), dst_(dst), spec_(spec) {
    const double line = 1e12 / static_cast<double>(wire_time_ps(world.params(), spec.frame_size));
    const double pps = spec.rate_pps > 0 && spec.rate_pps < line ? spec.rate_pps : line;
    interval_ps_ = static_cast<uint64_t>(1e12 / pps);
  }
  void start(uint64_t at_ns) {
    next_ps_ = at_ns * 1000;
    world_.schedule(at_ns, this, 0);
  }
  void on_event(uint32_t, uint64_t) override {
    // Emit every frame due by now in one event (cheap at line rate), then sleep until the next one. One buffer
    // is rewritten per frame and lent to the receiver (receive_view), which copies what it keeps.
    const uint64_t now_ps = world_.now() * 1000;
    while (sent_ < spec_.count && next_ps_ <= now_ps) {
      dst_->receive_view({buf_.data(), len_}, next_ps_ / 1000);
      ++sent_;
      next_ps_ += interval_ps_;
      step(static_cast<uint32_t>(sent_));
    }
    if (sent_ < spec_.count) world_.schedule((next_ps_ + 999) / 1000 + spec_.burst_ns, this, 0);
  }
  uint64_t sent() const { return sent_; }
  bool running() const { return sent_ < spec_.count; }
  // Another `frames` frames from `at_ns` (or, while frames are still due, after them): a tester's start button
  // pressed again (tools/nicsim_server --gen-on sigusr1). The sequence numbers go on from the last frame.
  void add_burst(uint64_t frames, uint64_t at_ns) {
    const bool idle = !running();  // then sent_ == spec_.count
    spec_.count += std::min(frames, UINT64_MAX - spec_.count);
    if (idle) {
      next_ps_ = std::max(next_ps_, at_ns * 1000);
      world_.schedule(next_ps_ / 1000, this, 0);
    }
  }

  // Frame number `seq` of a spec: Ethernet header (ethertype 0x88B5; IPv4/UDP when flows > 0), then seq, then a
  // pattern that depends on seq, so a frame carried by the wrong buffer or zero-filled memory never passes a
  // compare. Frames are at least header + 4 bytes long (header and sequence number).
  static Bytes frame(const TrafficSpec& spec, uint32_t seq) {  // (what the generator sends as frame `seq`)
    Bytes f(frame_length(spec));
    fill(spec, seq, f);
    return f;
  }
  static size_t header_length(const TrafficSpec& spec) { return spec.flows ? 42 : 14; }  // Ethernet (+ IPv4 + UDP)
  static size_t frame_length(const TrafficSpec& spec) {
    return std::max<size_t>(spec.frame_size, header_length(spec) + 4);
  }
  // Writes frame `seq` into `f` (frame_length(spec) bytes).
  static void fill(const TrafficSpec& spec, uint32_t seq, std::span<uint8_t> f) {
    const size_t header = header_length(spec);
    std::memset(f.data(), 0, header);
    std::memcpy(f.data(), spec.dst_mac, 6);
    std::memcpy(f.data() + 6, spec.src_mac, 6);
    f[12] = spec.flows ? 0x08 : 0x88;
    f[13] = spec.flows ? 0x00 : 0xB5;
    if (spec.flows) {
      uint8_t* ip = f.data() + 14;
      const size_t ip_len = f.size() - 14;
      ip[0] = 0x45;
      ip[2] = static_cast<uint8_t>(ip_len >> 8), ip[3] = static_cast<uint8_t>(ip_len);
      ip[8] = 64, ip[9] = 17;  // TTL, UDP
      ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;  // 10.0.0.1 -> 10.0.0.2
      const uint16_t sport = static_cast<uint16_t>(1024 + seq % spec.flows), dport = 4791;
      ip[20] = static_cast<uint8_t>(sport >> 8), ip[21] = static_cast<uint8_t>(sport);
      ip[22] = static_cast<uint8_t>(dport >> 8), ip[23] = static_cast<uint8_t>(dport);
      ip[24] = static_cast<uint8_t>((ip_len - 20) >> 8), ip[25] = static_cast<uint8_t>(ip_len - 20);
    }
    std::memcpy(f.data() + header, &seq, 4);
    const uint8_t k = static_cast<uint8_t>(seq * 31);
    for (size_t i = header + 4; i < f.size(); ++i) f[i] = static_cast<uint8_t>(k + i);
  }

 private:
  static Bytes with_slack(Bytes f) {  // room for step()'s last 16-byte vector past the frame's end
    f.resize(f.size() + 16);
    return f;
  }
  // Turns buf_ (frame seq - 1) into frame seq, as fill() would: the flow's port, the sequence number, and the
  // pattern, every byte of which grows by 31 per frame (16 bytes per vector add).
  void step(uint32_t seq) {
    const size_t header = header_length(spec_);
    uint8_t* f = buf_.data();
    if (spec_.flows) {
      const uint16_t sport = static_cast<uint16_t>(1024 + seq % spec_.flows);
      f[34] = static_cast<uint8_t>(sport >> 8), f[35] = static_cast<uint8_t>(sport);
    }
    std::memcpy(f + header, &seq, 4);
    using V16 = uint8_t __attribute__((vector_size(16)));
    for (size_t i = header + 4; i < len_; i += 16) {  // may run into the slack past the frame's end
      V16 v;
      std::memcpy(&v, f + i, 16);
      v += 31;
      std::memcpy(f + i, &v, 16);
    }
  }

  World& world_;
  Endpoint* dst_;
  TrafficSpec spec_;
  uint64_t interval_ps_ = 0;
  uint64_t next_ps_ = 0;
  uint64_t sent_ = 0;
  const size_t len_ = frame_length(spec_);
  Bytes buf_ = with_slack(frame(spec_, 0));  // the next frame to send (len_ bytes), then 16 bytes of slack
};

}  // namespace sim
