// Ethernet FCS: IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320, initial value and final XOR all-ones),
// which is the CRC zlib computes; the MAC appends it to a frame least significant byte first.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>

namespace sim {

inline uint32_t crc32(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(::crc32(0L, p, static_cast<uInt>(n)));
}

}  // namespace sim
