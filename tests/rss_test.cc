// Toeplitz hash against the published verification suite of the Microsoft RSS specification ("Verifying
// the RSS Hash Calculation": the standard key and five IPv4 flows, with and without TCP ports).
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "sim/rss.h"

namespace {

constexpr std::array<uint8_t, 40> kKey = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
                                          0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
                                          0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

struct Vector {
  std::array<uint8_t, 4> dst, src;
  uint16_t dst_port, src_port;
  uint32_t ipv4, ipv4_tcp;
};

// Destination address:port, source address:port, hash over IPv4 addresses, hash with TCP ports.
constexpr Vector kVectors[] = {
    {{161, 142, 100, 80}, {66, 9, 149, 187}, 1766, 2794, 0x323e8fc2, 0x51ccc178},
    {{65, 69, 140, 83}, {199, 92, 111, 2}, 4739, 14230, 0xd718262a, 0xc626b0ea},
    {{12, 22, 207, 184}, {24, 19, 198, 95}, 38024, 12898, 0xd2d0a5de, 0x5c2b394a},
    {{209, 142, 163, 6}, {38, 27, 205, 30}, 2217, 48228, 0x82989176, 0xafc7327f},
    {{202, 188, 127, 2}, {153, 39, 163, 191}, 1303, 44251, 0x5d1809c5, 0x10e828a2},
};

std::vector<uint8_t> tcp_frame(const Vector& v) {
  std::vector<uint8_t> f(54, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 6;  // TCP
  for (int i = 0; i < 4; ++i) f[26 + i] = v.src[i], f[30 + i] = v.dst[i];
  f[34] = v.src_port >> 8, f[35] = v.src_port & 0xFF, f[36] = v.dst_port >> 8, f[37] = v.dst_port & 0xFF;
  return f;
}

TEST(Toeplitz, MicrosoftVerificationSuiteIpv4) {
  for (const Vector& v : kVectors) {
    std::array<uint8_t, 8> in{};
    for (int i = 0; i < 4; ++i) in[i] = v.src[i], in[4 + i] = v.dst[i];
    EXPECT_EQ(sim::toeplitz(kKey, in), v.ipv4);
  }
}

TEST(Toeplitz, MicrosoftVerificationSuiteIpv4Tcp) {
  for (const Vector& v : kVectors) {
    std::array<uint8_t, 12> in{};
    for (int i = 0; i < 4; ++i) in[i] = v.src[i], in[4 + i] = v.dst[i];
    in[8] = v.src_port >> 8, in[9] = v.src_port & 0xFF, in[10] = v.dst_port >> 8, in[11] = v.dst_port & 0xFF;
    EXPECT_EQ(sim::toeplitz(kKey, in), v.ipv4_tcp);
  }
}

TEST(Rss, HashFromFramesFollowsTheEnabledFields) {
  const std::vector<uint8_t> f = tcp_frame(kVectors[0]);
  EXPECT_EQ(sim::rss_hash(kKey, {.ipv4 = true, .ipv4_tcp = true}, f), kVectors[0].ipv4_tcp);
  EXPECT_EQ(sim::rss_hash(kKey, {.ipv4 = true}, f), kVectors[0].ipv4);  // ports not enabled
  EXPECT_EQ(sim::rss_hash(kKey, {}, f), std::nullopt);                   // nothing enabled
  std::vector<uint8_t> frag = f;
  frag[20] = 0x20;  // more-fragments: no ports, address hash only
  EXPECT_EQ(sim::rss_hash(kKey, {.ipv4 = true, .ipv4_tcp = true}, frag), kVectors[0].ipv4);
  std::vector<uint8_t> arp(60, 0);
  arp[12] = 0x08, arp[13] = 0x06;
  EXPECT_EQ(sim::rss_hash(kKey, {.ipv4 = true}, arp), std::nullopt);
  EXPECT_EQ(sim::rss_hash(kKey, {.ipv4 = true}, std::span(f.data(), 20)), std::nullopt);  // truncated
}

TEST(Rss, RedirectionTableUsesLowSevenBitsAndFourBitQueues) {
  std::array<uint8_t, 128> reta{};
  for (int i = 0; i < 128; ++i) reta[i] = static_cast<uint8_t>(0xF0 | (i % 4));
  EXPECT_EQ(sim::rss_queue(reta, 0x51ccc178), (0x51ccc178 & 127) % 4);
  EXPECT_EQ(sim::rss_queue(reta, 0xFFFFFF80), 0u);
}

}  // namespace
