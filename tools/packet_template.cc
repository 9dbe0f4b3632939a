#include "tools/packet_template.h"

#include <cstdio>
#include <cstring>

#include "driver/seam/error.h"

namespace app {

uint16_t ipv4_checksum(const uint8_t* h, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> udp_packet(const nic::MacAddr& dst, const nic::MacAddr& src, uint32_t frame_size) {
  std::vector<uint8_t> p(frame_size, 0);
  std::memcpy(&p[0], dst.data(), 6);
  std::memcpy(&p[6], src.data(), 6);
  p[12] = 0x08;  // IPv4
  p[13] = 0x00;
  uint8_t* ip = &p[14];
  const uint16_t ip_len = static_cast<uint16_t>(frame_size - 14);
  ip[0] = 0x45;  // version 4, IHL 5
  ip[2] = static_cast<uint8_t>(ip_len >> 8);
  ip[3] = static_cast<uint8_t>(ip_len);
  ip[8] = 64;  // TTL
  ip[9] = 17;  // UDP
  const uint8_t src_ip[4] = {10, 0, 0, 1}, dst_ip[4] = {10, 0, 0, 2};
  std::memcpy(ip + 12, src_ip, 4);
  std::memcpy(ip + 16, dst_ip, 4);
  const uint16_t csum = ipv4_checksum(ip, 20);
  ip[10] = static_cast<uint8_t>(csum >> 8);
  ip[11] = static_cast<uint8_t>(csum);
  uint8_t* udp = ip + 20;
  const uint16_t udp_len = static_cast<uint16_t>(ip_len - 20);
  udp[0] = 0x04, udp[1] = 0xD2;  // 1234
  udp[2] = 0x16, udp[3] = 0x2E;  // 5678
  udp[4] = static_cast<uint8_t>(udp_len >> 8);
  udp[5] = static_cast<uint8_t>(udp_len);  // checksum 0: none (allowed for UDP over IPv4)
  for (uint32_t i = kSeqOffset + 4; i < frame_size; ++i) p[i] = static_cast<uint8_t>(i);
  return p;
}

nic::MacAddr parse_mac(const std::string& s) {
  nic::MacAddr m{};
  unsigned v[6];
  char tail;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
    throw nic::Error("'" + s + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

}  // namespace app
