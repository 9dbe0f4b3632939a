// The soak's ledger tells every kind of wrong arrival apart from a loss, and lists losses as runs.
#include "tools/soak/ledger.h"

#include <gtest/gtest.h>

namespace {

const std::array<uint8_t, 6> kA = {2, 0, 0, 0, 0, 1}, kB = {2, 0, 0, 0, 0, 2};

soak::Decoded frame(uint8_t flow, uint32_t seq, std::vector<uint8_t>* bytes = nullptr) {
  std::vector<uint8_t> b(soak::frame_length(seq));
  soak::encode(b.data(), kB, kA, 0, flow, seq);
  const soak::Decoded d = soak::decode(b.data(), b.size(), kB, kA);
  if (bytes) *bytes = b;
  return d;
}

TEST(Ledger, FramesDecodeToWhatWasEncodedAndLengthsVary) {
  for (uint32_t seq : {1u, 15u, 16u, 32u, 4096u}) {
    const soak::Decoded d = frame(3, seq);
    EXPECT_TRUE(d.ok);
    EXPECT_EQ(d.seq, seq);
    EXPECT_EQ(d.flow, 3);
  }
  EXPECT_EQ(soak::frame_length(1), soak::kMinLen);
  EXPECT_GT(soak::frame_length(16), soak::kMinLen);
  EXPECT_LE(soak::frame_length(16), soak::kMaxLen);
}

TEST(Ledger, AnyChangedByteOrLengthIsDamage) {
  std::vector<uint8_t> b;
  frame(1, 16, &b);
  for (size_t i : {size_t{0}, size_t{13}, size_t{20}, size_t{45}, b.size() - 1}) {
    std::vector<uint8_t> c = b;
    c[i] ^= 0x40;
    EXPECT_FALSE(soak::decode(c.data(), c.size(), kB, kA).ok) << "byte " << i;
  }
  EXPECT_FALSE(soak::decode(b.data(), b.size() - 1, kB, kA).ok) << "a short frame";
}

TEST(Ledger, LossesDuplicatesReorderingAndPhantomsAreCountedApart) {
  soak::Ledger l;
  for (uint32_t i = 0; i < 10; ++i) l.taken(l.next(), 1000 * i);  // seq 1..10 on flows seq % 2
  l.next();                                                         // seq 11 offered, not taken
  for (uint32_t s : {1u, 2u, 4u, 3u, 8u}) l.arrived(frame(static_cast<uint8_t>(s % 2), s));
  l.arrived(frame(0, 2));   // again
  l.arrived(frame(1, 11));  // never taken
  l.arrived(soak::Decoded{});
  EXPECT_EQ(l.taken(), 10u);
  EXPECT_EQ(l.delivered(), 5u);
  EXPECT_EQ(l.lost(), 5u);  // 5, 6, 7, 9, 10
  EXPECT_EQ(l.duplicates(), 1u);
  EXPECT_EQ(l.reordered(), 0u) << "3 after 4 is another flow";
  EXPECT_EQ(l.phantom(), 1u);
  EXPECT_EQ(l.corrupt(), 1u);
  l.taken(12, 0);
  l.arrived(frame(0, 12));
  const auto runs = l.lost_ranges();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].first, 5u);
  EXPECT_EQ(runs[0].last, 7u);
  EXPECT_EQ(runs[0].sent_ns, 4000u);
  EXPECT_EQ(runs[1].first, 9u);
  EXPECT_EQ(runs[1].last, 10u) << "11 was never taken: it does not end the run";
  EXPECT_EQ(l.lost_between(1, 12), 5u);
}

TEST(Ledger, AnEarlierFrameOfTheSameFlowAfterALaterOneIsReordered) {
  soak::Ledger l;
  for (int i = 0; i < 6; ++i) l.taken(l.next(), 0);
  l.arrived(frame(0, 4));
  l.arrived(frame(0, 2));
  EXPECT_EQ(l.reordered(), 1u);
}

}  // namespace
