// sim::Fifo, the timed model's per-frame queue: first in, first out across wrap-around and growth, indexing
// from the front, iteration, clear; and slots are reused (no allocation once it has held its most).
#include "sim/fifo.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace {

TEST(Fifo, BehavesLikeADequeUnderRandomPushesAndPops) {
  std::mt19937_64 rng(7);
  sim::Fifo<std::vector<int>> f;
  std::deque<std::vector<int>> ref;
  int next = 0;
  for (int round = 0; round < 50'000; ++round) {
    for (int i = static_cast<int>(rng() % 5); i > 0; --i) {
      f.push_back(std::vector<int>{next, -next});
      ref.push_back({next, -next});
      ++next;
    }
    for (int i = static_cast<int>(rng() % 5); i > 0 && !ref.empty(); --i) {
      ASSERT_EQ(f.front(), ref.front()) << "round " << round;
      f.pop_front();
      ref.pop_front();
    }
    ASSERT_EQ(f.size(), ref.size());
    ASSERT_EQ(f.empty(), ref.empty());
    if (!ref.empty()) {
      const size_t k = rng() % ref.size();
      ASSERT_EQ(f[k], ref[k]) << "element " << k << " from the front, round " << round;
      ASSERT_EQ(f.back(), ref.back());
    }
  }
  size_t i = 0;
  for (const std::vector<int>& v : f) ASSERT_EQ(v, ref[i++]);
  EXPECT_EQ(i, ref.size());
}

TEST(Fifo, ManyPopsAtOnceAndClear) {
  sim::Fifo<int> f;
  for (int i = 0; i < 40; ++i) f.push_back(i);  // grows past its first 16 slots, twice
  f.pop_front(25);
  ASSERT_EQ(f.size(), 15u);
  EXPECT_EQ(f.front(), 25);
  EXPECT_EQ(f.back(), 39);
  f.emplace_back(40);
  EXPECT_EQ(f[15], 40);
  f.clear();
  EXPECT_TRUE(f.empty());
  f.push_back(7);
  EXPECT_EQ(f.front(), 7);
  EXPECT_EQ(f.size(), 1u);
}

// Steady streaming through a queue that never holds more than it once did reuses its slots: a popped
// slot's buffer is what the next push to that slot overwrites, so the element addresses cycle.
TEST(Fifo, StreamingReusesSlots) {
  sim::Fifo<int> f;
  for (int i = 0; i < 16; ++i) f.push_back(i);
  const int* first = &f.front();
  for (int i = 0; i < 16; ++i) f.pop_front();
  for (int round = 0; round < 1000; ++round) {
    f.push_back(round);
    ASSERT_EQ(f.front(), round);
    f.pop_front();
  }
  for (int i = 0; i < 16; ++i) f.push_back(i);
  EXPECT_EQ(&f.front() - first, 1000 % 16) << "still the first 16 slots, not a new block";
}

}  // namespace
