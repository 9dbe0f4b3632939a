// Register map and descriptor layout facts, checked at run time against the datasheet numbers (the build
// already checks alignment/overlap; these pin the values so a typo in the table fails a test).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "driver/descriptors.h"
#include "driver/ixgbe/regs.h"

namespace nic::ixgbe {
namespace {

TEST(RegMap, OffsetsMatchDatasheet) {
  EXPECT_EQ(CTRL.at(), 0x00000u);
  EXPECT_EQ(EEC.at(), 0x10010u);
  EXPECT_EQ(RDBAL.at(0), 0x01000u);
  EXPECT_EQ(RDBAL.at(1), 0x01040u);
  EXPECT_EQ(RDT.at(63), 0x01018u + 63 * 0x40);
  EXPECT_EQ(RXDCTL.at(2), 0x010A8u);
  EXPECT_EQ(TDT.at(1), 0x06058u);
  EXPECT_EQ(TXDCTL.at(0), 0x06028u);
  EXPECT_EQ(RAL.at(1), 0x05408u);
  EXPECT_EQ(RAH.at(0), 0x05404u);
  EXPECT_EQ(RXPBSIZE.at(7), 0x03C1Cu);
  EXPECT_EQ(TXPBSIZE.at(0), 0x0CC00u);
  EXPECT_EQ(SRRCTL_ALIAS.at(15), 0x0213Cu);
}

TEST(RegMap, FindResolvesEveryElementToItsEntry) {
  for (const RegDef& d : kMap) {
    for (uint32_t i = 0; i < d.count; ++i) {
      reg::Hit h = reg::find(kMap, d.at(i));
      ASSERT_NE(h.def, nullptr) << d.name;
      EXPECT_EQ(h.def->name, d.name);
      EXPECT_EQ(h.index, i);
    }
  }
  EXPECT_EQ(reg::find(kMap, 0x00004).def, nullptr);  // a hole in the map
  EXPECT_EQ(reg::find(kMap, 0x01001).def, nullptr);  // unaligned
}

TEST(RegMap, NamesAreUniqueAndSectionsCited) {
  std::set<std::string> names;
  for (const RegDef& d : kMap) {
    EXPECT_TRUE(names.insert(std::string(d.name)).second) << d.name;
    EXPECT_FALSE(d.section.empty()) << d.name << " cites no datasheet section";
  }
}

TEST(RegMap, ResetValues) {
  EXPECT_EQ(RXPBSIZE.reset_of(0), 0x00080000u);  // 512 KB
  EXPECT_EQ(pbsize::kSizeKb.get(TXPBSIZE.reset_of(0)), 160u);
  EXPECT_EQ(TXPBSIZE.reset_of(3), 0u);
  EXPECT_EQ(pbsize::kSizeKb.get(RXPBSIZE.reset_of(0)), 512u);
  EXPECT_EQ(SRRCTL.reset_of(5), 0x00000402u);
  EXPECT_TRUE(DCA_RXCTRL.reset_of(0) & dca_rxctrl::kReservedMustBeZero.mask());
}

TEST(RegMap, CheckMapRejectsBadMaps) {
  constexpr RegDef overlap[] = {{.name = "A", .base = 0x100, .count = 4, .stride = 0x40},
                                {.name = "B", .base = 0x140}};
  static_assert(!reg::check_map(overlap));
  constexpr RegDef misaligned[] = {{.name = "A", .base = 0x102}};
  static_assert(!reg::check_map(misaligned));
  constexpr RegDef interleaved[] = {{.name = "A", .base = 0x100, .count = 4, .stride = 0x40},
                                    {.name = "B", .base = 0x104, .count = 4, .stride = 0x40}};
  static_assert(reg::check_map(interleaved));
  constexpr RegDef dup_name[] = {{.name = "A", .base = 0x100}, {.name = "A", .base = 0x200}};
  static_assert(!reg::check_map(dup_name));
}

TEST(Field, MaskGetSetMake) {
  constexpr Field f{4, 3};
  static_assert(f.mask() == 0x70);
  static_assert(f.get(0xFF) == 7);
  static_assert(f.set(0xFFFFFFFF, 0) == 0xFFFFFF8F);
  static_assert(f.make(9) == 0x10);  // truncated to the field
  static_assert(f.fits(7) && !f.fits(8));
  static_assert(Field{0, 32}.mask() == 0xFFFFFFFF);
  EXPECT_EQ(txdctl::kWritebackThresh.make(4) | txdctl::kHostThresh.make(8) | txdctl::kPrefetchThresh.make(36),
            0x00040824u);
}

TEST(Descriptors, LayoutAndBits) {
  AdvRxDesc rx{};
  rx.read.hdr_addr = 0;
  EXPECT_EQ(rx.wb.status_error & rxd::kStatusDD, 0u);  // writing hdr_addr = 0 clears DD
  rx.read.hdr_addr = 1;
  EXPECT_NE(rx.wb.status_error & rxd::kStatusDD, 0u);
  EXPECT_EQ(txd::kCmdEop | txd::kCmdIfcs | txd::kCmdRs | txd::kCmdDext | txd::kTypeData, 0x2B300000u);
  EXPECT_TRUE(valid_ring_size(8192));
  EXPECT_FALSE(valid_ring_size(4));
}

}  // namespace
}  // namespace nic::ixgbe
