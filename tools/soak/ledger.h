// The soak's frame format and its ledger: every frame carries its direction, flow and sequence number and a
// payload derived from them, so the receiver can tell each frame that arrives from each frame that did not,
// and a duplicate, a reordering within a flow or a changed byte from a loss.
//
// Frame (IPv4/UDP, so RSS spreads flows over rx queues): Ethernet to the peer, IPv4 10.<dir>.<flow>.1 ->
// 10.<1-dir>.0.1, UDP 1024+flow -> 4791, then the soak header (magic, dir, flow, length, seq) and filler bytes
// that are a function of seq and position. Lengths are mostly 60 bytes, every 16th frame longer (up to 1514).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace soak {

inline constexpr uint32_t kMagic = 0x4B414F53;  // "SOAK"
inline constexpr size_t kHeader = 42;            // Ethernet + IPv4 + UDP
inline constexpr size_t kMinLen = 60, kMaxLen = 1514;
inline constexpr uint32_t kMaxFlows = 16;

inline uint32_t frame_length(uint32_t seq) {
  if (seq % 16 != 0) return kMinLen;
  return static_cast<uint32_t>(kMinLen + (seq * 2654435761u >> 8) % (kMaxLen - kMinLen + 1));
}
inline uint8_t filler(uint32_t seq, size_t i) { return static_cast<uint8_t>(seq * 7 + i * 13 + (i >> 8)); }

// Writes frame `seq` of direction `dir`, flow `flow` into `p` (frame_length(seq) bytes).
inline void encode(uint8_t* p, const std::array<uint8_t, 6>& dst, const std::array<uint8_t, 6>& src, uint8_t dir,
                   uint8_t flow, uint32_t seq) {
  const uint32_t len = frame_length(seq);
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  p[12] = 0x08, p[13] = 0x00;
  uint8_t* ip = p + 14;
  const uint16_t ip_len = static_cast<uint16_t>(len - 14);
  const uint8_t ip_hdr[20] = {0x45, 0, static_cast<uint8_t>(ip_len >> 8), static_cast<uint8_t>(ip_len), 0, 0, 0x40, 0,
                              64,   17, 0, 0, 10, dir, flow, 1, 10, static_cast<uint8_t>(1 - dir), 0, 1};
  std::memcpy(ip, ip_hdr, 20);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += ip[i] << 8 | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  ip[10] = static_cast<uint8_t>(~sum >> 8), ip[11] = static_cast<uint8_t>(~sum);
  uint8_t* udp = p + 34;
  const uint16_t sport = static_cast<uint16_t>(1024 + flow), dport = 4791, udp_len = static_cast<uint16_t>(len - 34);
  const uint8_t udp_hdr[8] = {static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport), dport >> 8, dport & 0xFF,
                              static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len), 0, 0};
  std::memcpy(udp, udp_hdr, 8);  // checksum 0: none (IPv4)
  uint8_t* h = p + kHeader;
  std::memcpy(h, &kMagic, 4);
  h[4] = dir, h[5] = flow;
  const uint16_t l16 = static_cast<uint16_t>(len);
  std::memcpy(h + 6, &l16, 2);
  std::memcpy(h + 8, &seq, 4);
  for (size_t i = kHeader + 12; i < len; ++i) p[i] = filler(seq, i);
}

struct Decoded {
  bool ok = false;  // the frame is exactly what encode() wrote for (dir, flow, seq)
  uint8_t dir = 0, flow = 0;
  uint32_t seq = 0;
};
// Reads a frame that should have come from `src` to `dst`.
inline Decoded decode(const uint8_t* p, size_t len, const std::array<uint8_t, 6>& dst, const std::array<uint8_t, 6>& src) {
  Decoded d;
  if (len < kMinLen) return d;
  const uint8_t* h = p + kHeader;
  uint32_t magic, seq;
  uint16_t l16;
  std::memcpy(&magic, h, 4);
  std::memcpy(&l16, h + 6, 2);
  std::memcpy(&seq, h + 8, 4);
  if (magic != kMagic || h[4] > 1 || h[5] >= kMaxFlows || l16 != len || frame_length(seq) != len) return d;
  d.dir = h[4], d.flow = h[5], d.seq = seq;
  uint8_t want[kMaxLen];
  encode(want, dst, src, d.dir, d.flow, seq);
  d.ok = std::memcmp(want, p, len) == 0;
  return d;
}

// One direction's record of every sequence number: handed to a tx ring (taken) or not, and what arrived.
class Ledger {
 public:
  enum State : uint8_t { kNotTaken, kInFlight, kDelivered };
  struct Range {
    uint32_t first, last;  // inclusive
    uint64_t sent_ns;      // when `first` was handed to the ring
  };

  // A new sequence number for a frame about to be offered (1, 2, ...).
  uint32_t next() {
    state_.push_back(kNotTaken);
    sent_ns_.push_back(0);
    return static_cast<uint32_t>(state_.size() - 1);
  }
  void taken(uint32_t seq, uint64_t now_ns) {
    state_[seq] = kInFlight;
    sent_ns_[seq] = now_ns;
    ++taken_;
  }
  // A frame that arrived (decoded). Classifies it; only a first arrival of a sent frame counts as delivered.
  void arrived(const Decoded& d) {
    if (!d.ok) {
      ++corrupt_;
      return;
    }
    if (d.seq == 0 || d.seq >= state_.size() || state_[d.seq] == kNotTaken) {
      ++phantom_;  // never handed to a ring
      return;
    }
    if (state_[d.seq] == kDelivered) {
      ++duplicates_;
      return;
    }
    state_[d.seq] = kDelivered;
    ++delivered_;
    if (d.seq < last_[d.flow]) ++reordered_;
    last_[d.flow] = std::max(last_[d.flow], d.seq);
  }

  uint64_t taken() const { return taken_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t lost() const { return taken_ - delivered_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t corrupt() const { return corrupt_; }
  uint64_t phantom() const { return phantom_; }
  uint32_t last_seq() const { return static_cast<uint32_t>(state_.size() - 1); }
  // Frames taken in [from, to] that never arrived.
  uint64_t lost_between(uint32_t from, uint32_t to) const {
    uint64_t n = 0;
    for (uint32_t s = from; s <= to && s < state_.size(); ++s) n += state_[s] == kInFlight;
    return n;
  }
  // The lost frames as runs of consecutive taken sequence numbers (frames not taken do not break a run).
  std::vector<Range> lost_ranges() const {
    std::vector<Range> out;
    bool open = false;
    for (uint32_t s = 1; s < state_.size(); ++s) {
      if (state_[s] == kNotTaken) continue;
      if (state_[s] == kInFlight) {
        if (open) out.back().last = s;
        else out.push_back({s, s, sent_ns_[s]});
        open = true;
      } else {
        open = false;
      }
    }
    return out;
  }

 private:
  std::vector<State> state_{kNotTaken};  // seq 0 is never used
  std::vector<uint64_t> sent_ns_{0};
  std::array<uint32_t, kMaxFlows> last_{};
  uint64_t taken_ = 0, delivered_ = 0, duplicates_ = 0, reordered_ = 0, corrupt_ = 0, phantom_ = 0;
};

}  // namespace soak
