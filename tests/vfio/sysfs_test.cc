// PCI address parsing and sysfs reads against a fake tree.
#include "driver/vfio/sysfs.h"

#include <fcntl.h>
#include <unistd.h>

#include "driver/seam/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/vfio/fake_tree.h"

namespace nic::vfio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FakeTree;

TEST(PciAddrTest, Normalizes) {
  EXPECT_EQ(normalize_pci_addr("0000:03:00.0"), "0000:03:00.0");
  EXPECT_EQ(normalize_pci_addr("03:00.1"), "0000:03:00.1");
  EXPECT_EQ(normalize_pci_addr("0000:3B:1F.7"), "0000:3b:1f.7");
  EXPECT_EQ(normalize_pci_addr("abcd:ff:00.0"), "abcd:ff:00.0");
}

TEST(PciAddrTest, RejectsMalformed) {
  for (const char* bad : {"", "3:00.0", "03:00", "0000:03:00", "0000:03:00.8", "0000:03:20.0", "0000:g3:00.0",
                          "0000.03.00.0", "0000:03:00.0\n", "x0000:03:00.0"}) {
    try {
      normalize_pci_addr(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("malformed PCI address"));
    }
  }
}

TEST(SysfsTest, ReadsDeviceAttributesAndLinks) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", 12, "eth2");
  tree.add_device("0000:03:00.1", "8086", "10fb", "020000", "", std::nullopt);
  const PciDeviceInfo a = read_pci_device(tree.sys(), "0000:03:00.0");
  EXPECT_EQ(a.vendor, 0x8086);
  EXPECT_EQ(a.device, 0x10fb);
  EXPECT_EQ(a.class_code, 0x020000u);
  EXPECT_EQ(a.driver, "ixgbe");
  EXPECT_EQ(a.iommu_group, 12);
  EXPECT_THAT(a.netdevs, ElementsAre("eth2"));
  const PciDeviceInfo b = read_pci_device(tree.sys(), "0000:03:00.1");
  EXPECT_EQ(b.driver, "");
  EXPECT_EQ(b.iommu_group, std::nullopt);
  EXPECT_TRUE(b.netdevs.empty());

  EXPECT_THAT(iommu_group_devices(tree.sys(), 12), ElementsAre("0000:03:00.0"));
  const auto all = list_pci_devices(tree.sys());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].addr, "0000:03:00.0");
  EXPECT_EQ(all[1].addr, "0000:03:00.1");
}

TEST(SysfsTest, AttributesReadAndWrite) {
  FakeTree tree;
  tree.write("attr", "0x8086\n");
  EXPECT_EQ(read_attr(tree.path("attr")), "0x8086");
  EXPECT_EQ(read_attr(tree.path("missing")), std::nullopt);
  write_attr(tree.path("attr"), "vfio-pci");
  EXPECT_EQ(tree.read("attr"), "vfio-pci");
  try {
    write_attr(tree.path("no/such/attr"), "x");
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no/such/attr"));
  }
}

TEST(SysfsTest, CompatibleDrivers) {
  for (const char* ok : {"", "vfio-pci", "pci-stub", "pcieport"}) EXPECT_TRUE(vfio_compatible_driver(ok)) << ok;
  for (const char* bad : {"ixgbe", "igb", "nvme"}) EXPECT_FALSE(vfio_compatible_driver(bad)) << bad;
}

TEST(FdTest, ClosesOnDestructionAndMove) {
  int raw = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is part of the contract
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed exactly once
}

}  // namespace
}  // namespace nic::vfio
