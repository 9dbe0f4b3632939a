// Register map and descriptor layout facts, checked at run time against the datasheet numbers (the build
// already checks alignment/overlap; these pin the values so a typo in the table fails a test).
#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <string>

#include "driver/ring/descriptors.h"
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

// Section numbers as the datasheet's table of contents gives them (§8.2.3.5 interrupts, §8.2.3.7 filters,
// §8.2.3.8 receive, §8.2.3.9 transmit, §8.2.3.12 security, §8.2.3.3 flow control): a register cites its own
// section, never a neighbour's.
TEST(RegMap, SectionsFollowTheDatasheetTableOfContents) {
  const std::pair<const RegDef*, const char*> expected[] = {
      {&EICR, "8.2.3.5.1"},     {&EICS, "8.2.3.5.2"},      {&EIMS, "8.2.3.5.3"},      {&EIMC, "8.2.3.5.4"},
      {&EIAC, "8.2.3.5.5"},     {&EIAM, "8.2.3.5.6"},      {&EITR, "8.2.3.5.12"},     {&IVAR, "8.2.3.5.16"},
      {&GPIE, "8.2.3.5.18"},    {&FCTRL, "8.2.3.7.1"},     {&MCSTCTRL, "8.2.3.7.3"},  {&MTA, "8.2.3.7.7"},
      {&RAL, "8.2.3.7.8"},      {&RAH, "8.2.3.7.9"},       {&MRQC, "8.2.3.7.12"},     {&RSSRK, "8.2.3.7.14"},
      {&RETA, "8.2.3.7.15"},    {&RDBAL, "8.2.3.8.1"},     {&RDBAH, "8.2.3.8.2"},     {&RDLEN, "8.2.3.8.3"},
      {&RDH, "8.2.3.8.4"},      {&RDT, "8.2.3.8.5"},       {&RXDCTL, "8.2.3.8.6"},    {&SRRCTL, "8.2.3.8.7"},
      {&RDRXCTL, "8.2.3.8.8"},  {&RXPBSIZE, "8.2.3.8.9"},  {&RXCTRL, "8.2.3.8.10"},   {&DTXMXSZRQ, "8.2.3.9.1"},
      {&DMATXCTL, "8.2.3.9.2"}, {&TDBAL, "8.2.3.9.5"},     {&TDBAH, "8.2.3.9.6"},     {&TDLEN, "8.2.3.9.7"},
      {&TDH, "8.2.3.9.8"},      {&TDT, "8.2.3.9.9"},       {&TXDCTL, "8.2.3.9.10"},   {&TDWBAL, "8.2.3.9.11"},
      {&TDWBAH, "8.2.3.9.12"},  {&TXPBSIZE, "8.2.3.9.13"}, {&MNGTXMAP, "8.2.3.9.14"}, {&MTQC, "8.2.3.9.15"},
      {&TXPBTHRESH, "8.2.3.9.16"}, {&RTTDCS, "8.2.3.10.2"}, {&DCA_RXCTRL, "8.2.3.11.1"}, {&DCA_TXCTRL, "8.2.3.11.2"},
      {&SECTXCTRL, "8.2.3.12.1"}, {&SECTXSTAT, "8.2.3.12.2"}, {&SECRXCTRL, "8.2.3.12.5"}, {&SECRXSTAT, "8.2.3.12.6"},
      {&FCRTH, "8.2.3.3.4"},
  };
  for (const auto& [def, section] : expected) EXPECT_EQ(def->section, section) << def->name;
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
