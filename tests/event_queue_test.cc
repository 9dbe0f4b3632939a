// The calendar event queue pops exactly what a (time, scheduling order) heap pops, for random workloads that
// mix events within the window, far beyond it, at the current time, and after long idle gaps.
#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <functional>
#include <queue>
#include <random>
#include <vector>

namespace {

using Ref = std::priority_queue<sim::Event, std::vector<sim::Event>, std::greater<sim::Event>>;

void run_workload(uint64_t seed, uint64_t max_delay) {
  std::mt19937_64 rng(seed);
  sim::EventQueue q;
  Ref ref;
  uint64_t now = 0, seq = 0;
  auto schedule = [&](uint64_t t) {
    const sim::Event e{t, seq, nullptr, static_cast<uint32_t>(seq % 7), seq};
    ++seq;
    q.push(e);
    ref.push(e);
  };
  for (int round = 0; round < 20'000; ++round) {
    const int pushes = static_cast<int>(rng() % 4);
    for (int i = 0; i < pushes; ++i) {
      switch (rng() % 5) {
        case 0: schedule(now); break;                                        // at once
        case 1: schedule(now + rng() % 8); break;                            // same few ns: ties
        case 2: schedule(now + rng() % max_delay); break;                    // anywhere
        case 3: schedule(now + sim::EventQueue::kSpan + rng() % 100); break;  // just past the window
        case 4: schedule(now + rng() % (10 * sim::EventQueue::kSpan)); break;
      }
    }
    const int pops = static_cast<int>(rng() % 4);
    for (int i = 0; i < pops && !ref.empty(); ++i) {
      ASSERT_FALSE(q.empty());
      ASSERT_EQ(q.top().t, ref.top().t) << "round " << round;
      ASSERT_EQ(q.top().seq, ref.top().seq) << "same time: scheduling order, round " << round;
      now = ref.top().t;
      q.pop();
      ref.pop();
    }
    ASSERT_EQ(q.size(), ref.size());
    if (rng() % 500 == 0) now += rng() % 100'000;  // time passes with nothing due (World::run_until)
    if (!ref.empty() && ref.top().t < now) now = ref.top().t;  // (the world never skips a due event)
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.top().seq, ref.top().seq);
    q.pop();
    ref.pop();
  }
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, PopsInTimeThenSchedulingOrderLikeAHeap) {
  for (uint64_t seed = 1; seed <= 5; ++seed) run_workload(seed, 3000);
}

TEST(EventQueue, FarEventsKeepTheirOrderWhenTheWindowReachesThem) {
  for (uint64_t seed = 11; seed <= 15; ++seed) run_workload(seed, 50 * sim::EventQueue::kSpan);
}

TEST(EventQueue, AFarEventScheduledFirstRunsBeforeANearOneAtTheSameTimeScheduledLater) {
  sim::EventQueue q;
  const uint64_t t = 3 * sim::EventQueue::kSpan;
  q.push({t, 0, nullptr, 0, 0});  // far when scheduled
  q.push({10, 1, nullptr, 0, 0});
  EXPECT_EQ(q.top().seq, 1u);
  q.pop();  // now = 10
  q.push({t - 100, 2, nullptr, 0, 0});
  q.pop();  // now = t - 100: the window covers t, the far event moved into its bucket
  q.push({t, 3, nullptr, 0, 0});  // near now, same time as the far one
  ASSERT_EQ(q.top().t, t);
  EXPECT_EQ(q.top().seq, 0u) << "the one scheduled first";
  q.pop();
  EXPECT_EQ(q.top().seq, 3u);
}

// pop_due(t), as World::run_until(t) drives it: exactly the events due by t, in heap order, and nothing
// popped (or moved) when the earliest one is later, including when it is far beyond the window.
TEST(EventQueue, PopDueTakesExactlyTheDueEventsInHeapOrder) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    sim::EventQueue q;
    Ref ref;
    uint64_t now = 0, seq = 0;
    for (int round = 0; round < 20'000; ++round) {
      for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
        const uint64_t t = now + (rng() % 3 == 0 ? rng() % (10 * sim::EventQueue::kSpan) : rng() % 200);
        const sim::Event e{t, seq, nullptr, 0, seq};
        ++seq;
        q.push(e);
        ref.push(e);
      }
      const uint64_t horizon = now + (rng() % 8 == 0 ? rng() % (20 * sim::EventQueue::kSpan) : rng() % 300);
      sim::Event e;
      while (q.pop_due(horizon, e)) {
        ASSERT_FALSE(ref.empty()) << "seed " << seed << " round " << round;
        ASSERT_LE(e.t, horizon);
        ASSERT_EQ(e.seq, ref.top().seq) << "seed " << seed << " round " << round;
        ref.pop();
      }
      ASSERT_TRUE(ref.empty() || ref.top().t > horizon) << "a due event was left, round " << round;
      ASSERT_EQ(q.size(), ref.size());
      now = horizon;  // run_until sets now to its horizon
    }
  }
}

}  // namespace
