// The state recovery keeps (driver/device/recovery.h) and the family layouts' role check
// (driver/device/device_base.h), without a device.
#include "driver/device/recovery.h"

#include <gtest/gtest.h>

#include "driver/device/device_base.h"
#include "driver/igb/regs.h"

namespace {

using nic::CounterCarry;
using nic::DeviceStats;
using nic::TxHangCheck;

DeviceStats counts(uint64_t base) {
  return DeviceStats{.rx_packets = base + 1, .tx_packets = base + 2, .rx_bytes = base + 3, .tx_bytes = base + 4,
                     .rx_missed = base + 5, .rx_no_desc = base + 6, .rx_crc_errors = base + 7};
}

void expect_eq(const DeviceStats& a, const DeviceStats& b) {
  EXPECT_EQ(a.rx_packets, b.rx_packets);
  EXPECT_EQ(a.tx_packets, b.tx_packets);
  EXPECT_EQ(a.rx_bytes, b.rx_bytes);
  EXPECT_EQ(a.tx_bytes, b.tx_bytes);
  EXPECT_EQ(a.rx_missed, b.rx_missed);
  EXPECT_EQ(a.rx_no_desc, b.rx_no_desc);
  EXPECT_EQ(a.rx_crc_errors, b.rx_crc_errors);
}

TEST(CounterCarry, BankedCountsAreHandedOutOnceInEveryField) {
  CounterCarry carry;
  carry.bank(counts(10));
  carry.bank(counts(100));  // two resets before the app reads
  DeviceStats s = counts(1000);
  carry.drain_into(s);
  DeviceStats want;
  for (uint64_t base : {10, 100, 1000}) {
    const DeviceStats c = counts(base);
    want.rx_packets += c.rx_packets, want.tx_packets += c.tx_packets, want.rx_bytes += c.rx_bytes;
    want.tx_bytes += c.tx_bytes, want.rx_missed += c.rx_missed, want.rx_no_desc += c.rx_no_desc;
    want.rx_crc_errors += c.rx_crc_errors;
  }
  expect_eq(s, want);
  // Drained: the next read adds nothing.
  DeviceStats again;
  carry.drain_into(again);
  expect_eq(again, DeviceStats{});
  expect_eq(carry.banked(), DeviceStats{});
}

constexpr uint64_t kMs = 1'000'000;

TEST(TxHangCheck, StuckQueueWithLinkIsHungOnlyAfterTheTimeout) {
  TxHangCheck h;
  EXPECT_FALSE(h.hung(10, 0, true, 1 * kMs, 100 * kMs));    // first look: the clock starts
  EXPECT_FALSE(h.hung(10, 0, true, 100 * kMs, 100 * kMs));  // 99 ms without progress
  EXPECT_FALSE(h.hung(10, 0, true, 101 * kMs, 100 * kMs));  // exactly the timeout: not yet
  EXPECT_TRUE(h.hung(10, 0, true, 102 * kMs, 100 * kMs));
}

TEST(TxHangCheck, ProgressRestartsTheClock) {
  TxHangCheck h;
  EXPECT_FALSE(h.hung(10, 0, true, 1 * kMs, 100 * kMs));
  // Same number in flight, but 5 sent since: the device completed 5 and the app queued 5 more.
  EXPECT_FALSE(h.hung(10, 5, true, 90 * kMs, 100 * kMs));
  EXPECT_FALSE(h.hung(10, 5, true, 180 * kMs, 100 * kMs));  // 90 ms since the progress
  EXPECT_TRUE(h.hung(10, 5, true, 191 * kMs, 100 * kMs));
  // Fewer in flight is progress too.
  TxHangCheck g;
  EXPECT_FALSE(g.hung(10, 0, true, 1 * kMs, 100 * kMs));
  EXPECT_FALSE(g.hung(9, 0, true, 150 * kMs, 100 * kMs));
}

TEST(TxHangCheck, IdleQueueNoLinkOrNoTimeoutIsNeverHung) {
  TxHangCheck idle, no_link, no_timeout;
  for (uint64_t t = 1; t < 1000; t += 100) {
    EXPECT_FALSE(idle.hung(0, 0, true, t * kMs, 100 * kMs));
    EXPECT_FALSE(no_link.hung(10, 0, false, t * kMs, 100 * kMs));
    EXPECT_FALSE(no_timeout.hung(10, 0, true, t * kMs, 0));
  }
  // The link comes back: the clock starts then, not at the first look.
  EXPECT_FALSE(no_link.hung(10, 0, true, 1000 * kMs, 100 * kMs));
  EXPECT_TRUE(no_link.hung(10, 0, true, 1101 * kMs, 100 * kMs));
}

TEST(TxHangCheck, ResetStartsAfresh) {
  TxHangCheck h;
  EXPECT_FALSE(h.hung(10, 0, true, 1 * kMs, 100 * kMs));
  h.reset();
  EXPECT_FALSE(h.hung(10, 0, true, 500 * kMs, 100 * kMs));  // would be hung without the reset
  EXPECT_TRUE(h.hung(10, 0, true, 601 * kMs, 100 * kMs));
}

// A layout with two registers in each other's roles fails the check the families static_assert.
TEST(FamilyLayout, SwappedRegistersFailTheRoleCheck) {
  using namespace nic::igb;
  constexpr nic::FamilyLayout good{
      .rdbal = RDBAL, .rdbah = RDBAH, .rdlen = RDLEN, .rdh = RDH, .rdt = RDT, .rxdctl = RXDCTL,
      .tdbal = TDBAL, .tdbah = TDBAH, .tdlen = TDLEN, .tdh = TDH, .tdt = TDT, .txdctl = TXDCTL,
      .queue_enable = xdctl::kEnable.mask(), .max_queues = kMaxQueues, .ral = RAL, .rah = RAH, .status = STATUS,
      .configured = RXDCTL, .configured_mask = xdctl::kEnable.mask()};
  constexpr nic::FamilyLayout rx_head_tail_swapped{
      .rdbal = RDBAL, .rdbah = RDBAH, .rdlen = RDLEN, .rdh = RDT, .rdt = RDH, .rxdctl = RXDCTL,
      .tdbal = TDBAL, .tdbah = TDBAH, .tdlen = TDLEN, .tdh = TDH, .tdt = TDT, .txdctl = TXDCTL,
      .queue_enable = xdctl::kEnable.mask(), .max_queues = kMaxQueues, .ral = RAL, .rah = RAH, .status = STATUS,
      .configured = RXDCTL, .configured_mask = xdctl::kEnable.mask()};
  constexpr nic::FamilyLayout rx_tx_base_swapped{
      .rdbal = TDBAL, .rdbah = RDBAH, .rdlen = RDLEN, .rdh = RDH, .rdt = RDT, .rxdctl = RXDCTL,
      .tdbal = RDBAL, .tdbah = TDBAH, .tdlen = TDLEN, .tdh = TDH, .tdt = TDT, .txdctl = TXDCTL,
      .queue_enable = xdctl::kEnable.mask(), .max_queues = kMaxQueues, .ral = RAL, .rah = RAH, .status = STATUS,
      .configured = RXDCTL, .configured_mask = xdctl::kEnable.mask()};
  static_assert(good.roles_match());
  static_assert(!rx_head_tail_swapped.roles_match());
  static_assert(!rx_tx_base_swapped.roles_match());
  EXPECT_TRUE(good.roles_match());
  EXPECT_FALSE(rx_head_tail_swapped.roles_match());
  EXPECT_FALSE(rx_tx_base_swapped.roles_match());
}

}  // namespace
