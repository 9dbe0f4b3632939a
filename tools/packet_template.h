// Test packets for the apps: Ethernet + IPv4 + UDP with a valid IP header checksum, a sequence number at a
// fixed offset in the UDP payload, and a recognizable pattern after it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "driver/device/device.h"

namespace app {

inline constexpr uint32_t kSeqOffset = 42;  // first 4 bytes of the UDP payload

std::vector<uint8_t> udp_packet(const nic::MacAddr& dst, const nic::MacAddr& src, uint32_t frame_size);
nic::MacAddr parse_mac(const std::string& s);  // "aa:bb:cc:dd:ee:ff"; throws nic::Error otherwise
uint16_t ipv4_checksum(const uint8_t* header, size_t len);

}  // namespace app
