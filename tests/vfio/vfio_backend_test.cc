// open_vfio() error reporting against fake sysfs / dev trees: every misconfiguration a user can hit before
// the first ioctl gets a one-line message that says how to fix it. (No VFIO device exists on the test host.)
#include "driver/vfio/vfio_backend.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "driver/seam/error.h"
#include "driver/seam/log.h"
#include "driver/vfio/privileges.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/vfio/fake_tree.h"

namespace nic::vfio {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::FakeTree;

constexpr const char* kAddr = "0000:03:00.0";

// The message of the nic::Error that open_vfio throws ("" if it does not throw).
std::string open_error(const std::string& addr, const VfioOptions& options) {
  try {
    open_vfio(addr, options);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "messages are one line: " << msg;
    return msg;
  }
  ADD_FAILURE() << "open_vfio(" << addr << ") did not throw";
  return "";
}

size_t open_fd_count() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

class VfioBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { set_log_level(LogLevel::kSilent); }
  FakeTree tree_;
};

TEST_F(VfioBackendTest, MalformedAddress) {
  for (const char* bad : {"", "03:00", "3:00.0", "0000:03:00.8", "0000:03:20.0", "zzzz:03:00.0", "0000-03-00.0",
                          "0000:03:00.0 ", "00000:03:00.0"})
    EXPECT_THAT(open_error(bad, tree_.options()), AllOf(HasSubstr("malformed PCI address"), HasSubstr("DDDD:BB:DD.F")))
        << bad;
}

TEST_F(VfioBackendTest, NoSuchDevice) {
  EXPECT_THAT(open_error(kAddr, tree_.options()), AllOf(HasSubstr("no PCI device 0000:03:00.0"), HasSubstr("nicsetup status")));
}

TEST_F(VfioBackendTest, BoundToKernelDriverSaysHowToBind) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "ixgbe", 7);
  EXPECT_THAT(open_error(kAddr, tree_.options()),
              AllOf(HasSubstr("bound to ixgbe, not vfio-pci"), HasSubstr("nicsetup bind 0000:03:00.0"),
                    HasSubstr("/sys/bus/pci/devices/0000:03:00.0/driver/unbind"),
                    HasSubstr("echo 8086 10fb > /sys/bus/pci/drivers/vfio-pci/new_id")));
}

TEST_F(VfioBackendTest, UnboundDeviceSaysHowToBind) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "", 7);
  EXPECT_THAT(open_error(kAddr, tree_.options()),
              AllOf(HasSubstr("not bound to any driver"), HasSubstr("nicsetup bind"), Not(HasSubstr("unbind"))));
}

TEST_F(VfioBackendTest, NoIommuGroupNamesKernelParameters) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", std::nullopt);
  EXPECT_THAT(open_error(kAddr, tree_.options()),
              AllOf(HasSubstr("no IOMMU group"), HasSubstr("intel_iommu=on"), HasSubstr("amd_iommu=on"),
                    HasSubstr("iommu=pt")));
}

// Checked in the order IOMMU -> class -> supported ids -> binding, each with its fix and tools/RIG.md.
TEST_F(VfioBackendTest, NonNicDevicesAreNamedForWhatTheyAre) {
  tree_.add_device("0000:00:02.0", "8086", "f1a8", "010802", "nvme", 3);
  EXPECT_THAT(open_error("0000:00:02.0", tree_.options()),
              AllOf(HasSubstr("0000:00:02.0 is a mass storage controller (class 0x010802), not an Ethernet controller"),
                    Not(HasSubstr("new_id")), HasSubstr("tools/RIG.md")));
  tree_.add_device("0000:05:00.0", "10ec", "8168", "020000", "r8169", 5);
  VfioOptions opts = tree_.options();
  opts.supported = [](uint16_t vendor, uint16_t) { return vendor == 0x8086; };
  EXPECT_THAT(open_error("0000:05:00.0", opts), AllOf(HasSubstr("10ec:8168) is not a supported NIC"), Not(HasSubstr("new_id"))));
  // IOMMU off comes first, even for a disk: nothing else can work without it.
  tree_.add_device("0000:00:03.0", "8086", "f1a8", "010802", "nvme", std::nullopt);
  EXPECT_THAT(open_error("0000:00:03.0", tree_.options()), HasSubstr("no IOMMU group"));
}

TEST_F(VfioBackendTest, GroupNotViableNamesTheOtherDevice) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  tree_.add_device("0000:03:00.1", "8086", "10fb", "020000", "ixgbe", 7);
  tree_.add_device("0000:00:01.0", "8086", "1901", "060400", "pcieport", 7);  // bridges are fine
  tree_.add_device("0000:03:00.2", "8086", "10fb", "020000", "", 7);          // so are unbound devices
  const std::string msg = open_error(kAddr, tree_.options());
  EXPECT_THAT(msg, AllOf(HasSubstr("IOMMU group 7"), HasSubstr("not viable"), HasSubstr("0000:03:00.1 (bound to ixgbe)"),
                         HasSubstr("nicsetup bind 0000:03:00.1")));
  EXPECT_THAT(msg, AllOf(Not(HasSubstr("0000:00:01.0")), Not(HasSubstr("0000:03:00.2"))));
}

TEST_F(VfioBackendTest, ViableGroupWithOtherVfioDevicesPassesSysfsChecks) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  tree_.add_device("0000:03:00.1", "8086", "10fb", "020000", "vfio-pci", 7);
  EXPECT_EQ(group_viability_problem(tree_.sys(), 7, kAddr), "");
  EXPECT_THAT(open_error(kAddr, tree_.options()), HasSubstr("modprobe vfio-pci"));  // next problem: no /dev/vfio
}

TEST_F(VfioBackendTest, ContainerMissingSaysModprobe) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  EXPECT_THAT(open_error(kAddr, tree_.options()),
              AllOf(HasSubstr("/dev/vfio/vfio does not exist"), HasSubstr("vfio-pci module is not loaded"),
                    HasSubstr("modprobe vfio-pci")));
}

TEST_F(VfioBackendTest, GroupNodeMissing) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  tree_.add_vfio_nodes(8);
  EXPECT_THAT(open_error(kAddr, tree_.options()), HasSubstr("/dev/vfio/7 does not exist"));
}

TEST_F(VfioBackendTest, PermissionDeniedOnGroupNode) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  tree_.add_vfio_nodes(7, 0600);
  auto check = [&] {
    return open_error(kAddr, tree_.options());
  };
  if (::geteuid() != 0) {  // our own file: mode 000 denies us
    ::chmod(tree_.path("dev/vfio/7").c_str(), 0);
    EXPECT_THAT(check(), AllOf(HasSubstr("permission denied opening"), HasSubstr("/dev/vfio/7"),
                               HasSubstr("not running as root"), HasSubstr("run as root")));
    return;
  }
  // Root bypasses file modes: check in a child that dropped to nobody. The root-owned 0600 node then denies.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    drop_privileges(65534, 65534);
    const std::string msg = check();
    const bool ok = msg.find("permission denied opening " + tree_.dev() + "/vfio/7") != std::string::npos &&
                    msg.find("not running as root") != std::string::npos &&
                    msg.find("chown $USER") != std::string::npos;
    if (!ok) std::fprintf(stderr, "unexpected message: %s\n", msg.c_str());
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

TEST_F(VfioBackendTest, NotAVfioContainerFailsCleanlyWithoutLeakingFds) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  tree_.add_vfio_nodes(7, 0666);
  const size_t before = open_fd_count();
  EXPECT_THAT(open_error(kAddr, tree_.options()),
              AllOf(HasSubstr("not a usable VFIO container"), HasSubstr("VFIO_GET_API_VERSION")));
  EXPECT_EQ(open_fd_count(), before);
}

TEST_F(VfioBackendTest, ShortAddressFormIsAccepted) {
  tree_.add_device(kAddr, "8086", "10fb", "020000", "vfio-pci", 7);
  tree_.add_vfio_nodes(7, 0666);
  // Gets past every sysfs check, i.e. "03:00.0" found 0000:03:00.0.
  EXPECT_THAT(open_error("03:00.0", tree_.options()), HasSubstr("not a usable VFIO container"));
}

TEST_F(VfioBackendTest, DefaultOptionsPointAtTheRealSystem) {
  const VfioOptions defaults;
  EXPECT_EQ(defaults.sysfs_root, "/sys");
  EXPECT_EQ(defaults.dev_root, "/dev");
  EXPECT_EQ(defaults.hugepage_dir, "/dev/hugepages");
}

}  // namespace
}  // namespace nic::vfio
