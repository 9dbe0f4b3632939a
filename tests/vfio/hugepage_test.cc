// Hugepage allocation errors (this host has no hugepages; the real path runs only where some are free).
#include "driver/vfio/hugepage.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "driver/seam/error.h"
#include "driver/vfio/sysfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/vfio/fake_tree.h"

namespace nic::vfio {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::FakeTree;

std::string alloc_error(const std::string& dir, size_t bytes) {
  try {
    HugepageMemory::allocate(dir, bytes);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "allocate did not throw";
  return "";
}

TEST(HugepageTest, PlainDirectoryIsNotHugetlbfs) {
  FakeTree tree;
  const std::string dir = tree.options().hugepage_dir;  // an empty directory on an ordinary filesystem
  EXPECT_THAT(alloc_error(dir, 4096),
              AllOf(HasSubstr("no hugepages"), HasSubstr(dir + " is not a hugetlbfs mount"),
                    HasSubstr("echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"),
                    HasSubstr("mount -t hugetlbfs nodev " + dir), HasSubstr("nicsetup hugepages")));
  EXPECT_TRUE(list_dir(dir).empty()) << "no files left behind";
}

TEST(HugepageTest, MissingDirectory) {
  FakeTree tree;
  EXPECT_THAT(alloc_error(tree.path("nope"), 4096),
              AllOf(HasSubstr("cannot access hugepage directory"), HasSubstr("nr_hugepages")));
}

TEST(HugepageTest, ZeroBytesRejected) { EXPECT_THAT(alloc_error("/dev/hugepages", 0), HasSubstr("0 bytes")); }

// Runs only on machines with a 2 MiB hugetlbfs and free pages: /dev/hugepages, or the directory in
// NIC_TEST_HUGEPAGE_DIR (bazel test --test_env=NIC_TEST_HUGEPAGE_DIR=/mnt/huge).
TEST(HugepageTest, AllocatesWholeLockedHugepages) {
  const char* env = std::getenv("NIC_TEST_HUGEPAGE_DIR");
  const std::string dir = env ? env : "/dev/hugepages";
  try {
    check_hugetlbfs(dir);
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  const auto free_pages = read_attr("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
  if (!free_pages || std::atol(free_pages->c_str()) < 2) GTEST_SKIP() << "fewer than 2 free hugepages";
  HugepageMemory m = HugepageMemory::allocate(dir, kHugepageSize + 1);
  EXPECT_EQ(m.size(), 2 * kHugepageSize);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m.data()) % kHugepageSize, 0u);
  std::memset(m.data(), 0xab, m.size());
  HugepageMemory moved = std::move(m);
  EXPECT_EQ(m.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(static_cast<uint8_t*>(moved.data())[moved.size() - 1], 0xab);
}

}  // namespace
}  // namespace nic::vfio
