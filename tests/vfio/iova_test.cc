// IOVA assignment: always first fit from 4 GiB in the allocator's own space, never the virtual address.
#include "driver/vfio/iova.h"

#include "driver/seam/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nic::vfio {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t k2M = uint64_t{2} << 20;
constexpr uint64_t k4G = uint64_t{1} << 32;

TEST(IovaTest, NeverIdentityEvenWhenTheIommuCoversEveryAddress) {
  IovaSpace space({{0, (uint64_t{1} << 48) - 1}});  // a 48-bit IOMMU: identity would be possible
  EXPECT_EQ(space.assign(k2M, k2M), k4G);
  EXPECT_EQ(space.assign(k2M, k2M), k4G + k2M);
  EXPECT_EQ(space.in_use(), 2u);
}

TEST(IovaTest, BlocksComeFrom4GUpwardInOrder) {
  IovaSpace space;  // unknown ranges: assume 39 bits
  EXPECT_EQ(space.assign(k2M, k2M), k4G);
  EXPECT_EQ(space.assign(2 * k2M, k2M), k4G + k2M);
  EXPECT_EQ(space.assign(k2M, k2M), k4G + 3 * k2M);
}

TEST(IovaTest, NothingBelow4GIsHandedOutEvenWhenUsable) {
  IovaSpace space({{0, k4G + k2M - 1}});  // usable from 0, but only one block at or above 4 GiB
  EXPECT_EQ(space.assign(k2M, k2M), k4G);
  EXPECT_THROW(space.assign(k2M, k2M), Error);
}

TEST(IovaTest, ReleasedBlocksAreReused) {
  IovaSpace space;
  const uint64_t a = space.assign(k2M, k2M);
  const uint64_t b = space.assign(k2M, k2M);
  space.release(a);
  EXPECT_EQ(space.assign(k2M, k2M), a);
  EXPECT_NE(a, b);
  space.release(12345);  // unknown: ignored
  EXPECT_EQ(space.in_use(), 2u);
}

TEST(IovaTest, SkipsRangesTooSmallAndHoles) {
  // The kernel reports the MSI window as a hole; the first range has only 2 MiB above 4 GiB.
  IovaSpace space({{0, 0xfedf'ffff}, {0xfef0'0000, k4G + k2M - 1}, {0x2'0000'0000, 0x2'ffff'ffff}});
  EXPECT_EQ(space.assign(2 * k2M, k2M), 0x2'0000'0000u);
  EXPECT_EQ(space.assign(k2M, k2M), k4G);
}

TEST(IovaTest, ExhaustionIsAnError) {
  IovaSpace space({{0, k4G + 2 * k2M - 1}});
  space.assign(k2M, k2M);
  space.assign(k2M, k2M);
  try {
    space.assign(k2M, k2M);
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("IOMMU address space exhausted"));
  }
}

TEST(IovaTest, BadRequestsAreErrors) {
  IovaSpace space;
  EXPECT_THROW(space.assign(0, k2M), Error);
  EXPECT_THROW(space.assign(k2M, 3), Error);
  EXPECT_THROW(space.assign(k2M, 0), Error);
}

TEST(IovaTest, AlignmentIsHonoured) {
  IovaSpace space({{0, uint64_t{1} << 39}});
  EXPECT_EQ(space.assign(4096, 4096), k4G);
  EXPECT_EQ(space.assign(k2M, k2M), k4G + k2M);  // first 2 MiB-aligned block past it
  EXPECT_EQ(space.assign(4096, 4096), k4G + 4096);  // first fit: the gap below it
}

}  // namespace
}  // namespace nic::vfio
