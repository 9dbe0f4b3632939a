// nicsetup's commands against fake sysfs trees, and its command-line contract (exit codes 0/1/2).
#include "tools/setup/nicsetup_lib.h"

#include <sstream>

#include "driver/seam/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/vfio/fake_tree.h"

namespace nic::setup {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using vfio::testing::FakeTree;

Paths paths_for(const FakeTree& tree) { return {tree.sys(), tree.dev(), tree.path("hugepages")}; }

struct Cli {
  int code;
  std::string out, err;
};
Cli cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = run(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(NicsetupStatusTest, ListsNetworkDevicesAndProblems) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", 7, "eth2");
  tree.add_device("0000:03:00.1", "8086", "10fb", "020000", "vfio-pci", 8);
  tree.add_device("0000:00:1f.2", "8086", "a102", "010601", "ahci", 9);  // not a NIC
  tree.add_vfio_nodes(8);
  const std::string s = status(paths_for(tree));
  EXPECT_THAT(s, HasSubstr("0000:03:00.0  8086:10fb  driver=ixgbe  iommu_group=7  if=eth2  (use it: nicsetup bind 0000:03:00.0)"));
  EXPECT_THAT(s, HasSubstr("0000:03:00.1  8086:10fb  driver=vfio-pci  iommu_group=8  ready"));
  EXPECT_THAT(s, Not(HasSubstr("0000:00:1f.2")));
  EXPECT_THAT(s, AllOf(HasSubstr("2 MiB hugepages: 0 reserved, 0 free"), HasSubstr("no hugepages reserved: nicsetup hugepages"),
                       HasSubstr("hugetlbfs not mounted at " + tree.path("hugepages"))));
  EXPECT_THAT(s, AllOf(Not(HasSubstr("IOMMU off")), Not(HasSubstr("no vfio-pci module"))));
}

TEST(NicsetupStatusTest, IommuOffAndNoVfioModule) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", std::nullopt);
  tree.write("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
  tree.write("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0\n");
  const std::string s = status(paths_for(tree));
  EXPECT_THAT(s, HasSubstr("driver=ixgbe  iommu_group=none\n"));
  EXPECT_THAT(s, AllOf(HasSubstr("IOMMU off"), HasSubstr("intel_iommu=on"), HasSubstr("amd_iommu=on"),
                       HasSubstr("no vfio-pci module"), HasSubstr("modprobe vfio-pci"),
                       HasSubstr("no free hugepages (all 512 in use)")));
}

TEST(NicsetupStatusTest, FlagsNonViableGroupAndEmptyMachine) {
  FakeTree tree;
  EXPECT_THAT(status(paths_for(tree)), HasSubstr("(none)"));
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "vfio-pci", 7);
  tree.add_device("0000:03:00.1", "8086", "10fb", "020000", "ixgbe", 7);
  EXPECT_THAT(status(paths_for(tree)), HasSubstr("driver=vfio-pci  iommu_group=7  (group not viable)"));
}

TEST(NicsetupBindTest, WritesOverrideUnbindAndProbe) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", 7);
  tree.add_driver("vfio-pci");
  // The fake kernel does not react to the writes, so the final check reports the failure...
  try {
    bind(paths_for(tree), "03:00.0");
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("binding 0000:03:00.0 to vfio-pci failed (now bound to ixgbe)"), HasSubstr("dmesg")));
  }
  // ...after doing what the kernel documents (sysfs-bus-pci: driver_override).
  EXPECT_EQ(tree.read("sys/devices/pci0000:00/0000:03:00.0/driver_override"), "vfio-pci");
  EXPECT_EQ(tree.read("sys/bus/pci/drivers/ixgbe/unbind"), "0000:03:00.0");
  EXPECT_EQ(tree.read("sys/bus/pci/drivers_probe"), "0000:03:00.0");
}

TEST(NicsetupBindTest, AlreadyBoundAndPreconditions) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "vfio-pci", 7);
  EXPECT_THAT(bind(paths_for(tree), "0000:03:00.0"), HasSubstr("already bound to vfio-pci"));

  FakeTree no_module;
  no_module.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", 7);
  EXPECT_THROW(
      try { bind(paths_for(no_module), "0000:03:00.0"); } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("modprobe vfio-pci"));
        throw;
      },
      Error);

  FakeTree no_iommu;
  no_iommu.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", std::nullopt);
  no_iommu.add_driver("vfio-pci");
  EXPECT_THROW(
      try { bind(paths_for(no_iommu), "0000:03:00.0"); } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("intel_iommu=on"));
        throw;
      },
      Error);
  EXPECT_EQ(no_iommu.read("sys/bus/pci/drivers/ixgbe/unbind"), "") << "nothing touched before the checks pass";
}

TEST(NicsetupBindTest, RefusesWhatIsNotASupportedNic) {
  FakeTree tree;
  tree.add_driver("vfio-pci");
  tree.add_device("0000:00:02.0", "8086", "f1a8", "010802", "nvme", 3);   // an NVMe disk
  tree.add_device("0000:00:00.0", "8086", "1237", "060000", "", 0);       // a host bridge
  tree.add_device("0000:05:00.0", "10ec", "8168", "020000", "r8169", 5);  // an Ethernet NIC of no family here
  auto refused = [&](const std::string& addr, bool force) {
    try {
      nic::setup::bind(paths_for(tree), addr, force);  // qualified: std::bind would be picked by ADL
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_THAT(refused("0000:00:02.0", false),
              HasSubstr("0000:00:02.0 is a mass storage controller (class 0x010802), not an Ethernet controller"));
  EXPECT_THAT(refused("0000:00:02.0", true), HasSubstr("mass storage controller")) << "--force binds no disk";
  EXPECT_THAT(refused("0000:00:00.0", false), HasSubstr("is a bridge (class 0x060000)"));
  EXPECT_THAT(refused("0000:05:00.0", false), AllOf(HasSubstr("10ec:8168) is not a supported NIC"), HasSubstr("--force")));
  EXPECT_EQ(tree.read("sys/bus/pci/drivers/nvme/unbind"), "") << "nothing touched when refused";
  EXPECT_EQ(tree.read("sys/bus/pci/drivers/r8169/unbind"), "");
  const Cli r = cli({"--sysfs-root=" + tree.sys(), "bind", "0000:00:02.0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not an Ethernet controller"));
}

TEST(NicsetupUnbindTest, UnbindsAndClearsOverride) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "vfio-pci", 7);
  tree.write("sys/devices/pci0000:00/0000:03:00.0/driver_override", "vfio-pci\n");
  EXPECT_THAT(unbind(paths_for(tree), "0000:03:00.0"), HasSubstr("unbound from vfio-pci"));
  EXPECT_EQ(tree.read("sys/bus/pci/drivers/vfio-pci/unbind"), "0000:03:00.0");
  EXPECT_EQ(tree.read("sys/devices/pci0000:00/0000:03:00.0/driver_override"), "\n");
}

TEST(NicsetupHugepagesTest, WritesNrHugepages) {
  FakeTree tree;
  EXPECT_THAT(hugepages(paths_for(tree), 512, /*mount=*/false), HasSubstr("reserved: 512"));
  EXPECT_EQ(tree.read("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), "512");
}

TEST(NicsetupCliTest, ExitCodes) {
  FakeTree tree;
  tree.add_device("0000:03:00.0", "8086", "10fb", "020000", "ixgbe", 7);
  const std::string root = "--sysfs-root=" + tree.sys();

  Cli r = cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, AllOf(HasSubstr("usage: nicsetup"), HasSubstr("bind <addr>"), HasSubstr("hugepages <N>")));

  r = cli({root, "--hugepage-dir", tree.path("hugepages"), "status"});
  EXPECT_EQ(r.code, 1) << "status must fail while something is missing: " << r.out;
  EXPECT_THAT(r.out, AllOf(HasSubstr("0000:03:00.0  8086:10fb  driver=ixgbe"), HasSubstr("no hugepages reserved"),
                           HasSubstr("tools/RIG.md")));

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {}, {"frob"}, {"--bogus", "status"}, {"status", "extra"}, {"bind"}, {"bind", "3:0.0"},
           {"hugepages", "x"}, {"hugepages", "-5"}, {"hugepages"}, {"--sysfs-root"}}) {
    r = cli(bad);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(bad);
    EXPECT_THAT(r.err, AllOf(HasSubstr("nicsetup: "), HasSubstr("--help"))) << ::testing::PrintToString(bad);
  }
  EXPECT_THAT(cli({"frob"}).err, HasSubstr("unknown command 'frob'"));

  r = cli({root, "bind", "0000:09:00.0"});  // well-formed but absent: the command fails (1), not usage (2)
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no PCI device 0000:09:00.0"));
}

}  // namespace
}  // namespace nic::setup
