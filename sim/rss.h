// Receive-side scaling: the Toeplitz hash (82599 datasheet §7.1.2.8, the Microsoft RSS specification) and
// the 82599's queue choice from it (MRQC fields, 128-entry redirection table RETA).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sim {

// Toeplitz hash of `input` under a 40-byte key: for every set bit of the input (most significant bit
// first), XOR in the 32 key bits that start at that bit position.
inline uint32_t toeplitz(std::span<const uint8_t> key, std::span<const uint8_t> input) {
  uint32_t hash = 0;
  uint32_t window = static_cast<uint32_t>(key[0]) << 24 | key[1] << 16 | key[2] << 8 | key[3];
  size_t next_key_byte = 4;
  for (uint8_t byte : input) {
    for (int bit = 7; bit >= 0; --bit) {
      if (byte & (1u << bit)) hash ^= window;
      const uint8_t k = next_key_byte < key.size() ? key[next_key_byte] : 0;
      window = window << 1 | ((k >> bit) & 1u);
    }
    ++next_key_byte;
  }
  return hash;
}

// The hash input the 82599 builds from a frame: IPv4 source and destination addresses, then (for TCP/UDP
// when that field is enabled in MRQC) source and destination ports, all in network byte order.
struct RssFields {
  bool ipv4 = false, ipv4_tcp = false, ipv4_udp = false;
};

inline std::optional<uint32_t> rss_hash(std::span<const uint8_t> key, const RssFields& fields,
                                        std::span<const uint8_t> frame) {
  if (frame.size() < 34 || frame[12] != 0x08 || frame[13] != 0x00) return std::nullopt;  // not IPv4
  const uint8_t* ip = frame.data() + 14;
  const size_t ihl = (ip[0] & 0x0F) * 4u;
  if ((ip[0] >> 4) != 4 || ihl < 20 || frame.size() < 14 + ihl) return std::nullopt;
  std::array<uint8_t, 12> in{};
  for (int i = 0; i < 8; ++i) in[i] = ip[12 + i];
  const bool fragment = (ip[6] & 0x3F) != 0 || ip[7] != 0;
  const bool tcp = ip[9] == 6 && fields.ipv4_tcp, udp = ip[9] == 17 && fields.ipv4_udp;
  if ((tcp || udp) && !fragment && frame.size() >= 14 + ihl + 4) {
    for (int i = 0; i < 4; ++i) in[8 + i] = ip[ihl + i];
    return toeplitz(key, in);
  }
  if (!fields.ipv4) return std::nullopt;
  return toeplitz(key, std::span(in.data(), 8));
}

// Queue from the redirection table: entry (hash & 127), 4-bit queue index in each 8-bit entry.
inline uint32_t rss_queue(std::span<const uint8_t, 128> reta, uint32_t hash) { return reta[hash & 127] & 0x0F; }

}  // namespace sim
