// The vfio-user server against a fake client over socketpair(AF_UNIX, SOCK_STREAM): QEMU's sequence on the
// 82599 model, then hostile input (every malformed message gets an error reply or a clean close, never a
// crash), with a descriptor-leak check around every test.
#include <dirent.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "driver/ixgbe/regs.h"
#include "gtest/gtest.h"
#include "sim/vfio_user/config_space.h"
#include "sim/vfio_user/dma_space.h"
#include "sim/vfio_user/ixgbe_function.h"
#include "sim/vfio_user/session.h"
#include "sim/vfio_user/testing/client.h"
#include "sim/vfio_user/transport.h"
#include "sim/world.h"

namespace vfio_user {
namespace {

using testing::Client;
using testing::Reply;

int open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory's own fd
}

// Every test: no descriptor left open when it is over.
class VfioUser : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = open_fds(); }
  void TearDown() override { EXPECT_EQ(open_fds(), fds_before_) << "file descriptors leaked"; }
  int fds_before_ = 0;
};

// A device for protocol tests: 4 KiB BAR0 of memory that records accesses, a config space, 8 MSI-X vectors.
class FakeFunction final : public PciFunction {
 public:
  FakeFunction() : bar0_(4096, 0) {
    config_.init(ConfigSpace::kVendorId, 2, 0x1234);
    config_.init(ConfigSpace::kDeviceId, 2, 0x5678);
    config_.init(ConfigSpace::kCommand, 2, 0, 0x0407);
    config_.init_bar32(0, 4096);
    config_.seal();
  }
  std::string name() const override { return "fake"; }
  uint64_t bar_size(uint32_t bar) const override { return bar == 0 ? 4096 : 0; }
  uint64_t bar_read(uint32_t, uint64_t offset, uint32_t width) override {
    uint64_t v = 0;
    std::memcpy(&v, &bar0_[offset], width);
    ++reads;
    return v;
  }
  void bar_write(uint32_t, uint64_t offset, uint32_t width, uint64_t value) override {
    std::memcpy(&bar0_[offset], &value, width);
    last_write = {offset, width, value};
    ++writes;
  }
  uint32_t config_size() const override { return 256; }
  void config_read(uint32_t offset, std::span<uint8_t> out) override { config_.read(offset, out); }
  void config_write(uint32_t offset, std::span<const uint8_t> in) override { config_.write(offset, in); }
  bool intx_disabled() const override { return config_.command() & ConfigSpace::kCommandIntxDisable; }
  void reset() override { ++resets; }
  uint32_t irq_count(uint32_t index) const override { return index == 0 || index == 1 ? 1 : index == 2 ? 8 : 0; }
  void set_interrupt_sink(std::function<void(uint32_t)> fire) override { sink = std::move(fire); }
  sim::Iommu* dma_domain() override { return &iommu; }

  std::vector<uint8_t> bar0_;
  ConfigSpace config_;
  sim::Iommu iommu;
  std::function<void(uint32_t)> sink;
  struct Access {
    uint64_t offset = 0;
    uint32_t width = 0;
    uint64_t value = 0;
  } last_write;
  int reads = 0, writes = 0, resets = 0;
};

// Server end (Session + Connection) and client end of one socketpair, in one thread: the client sends, pump()
// lets the server handle what arrived, the client reads the replies.
struct Harness {
  explicit Harness(PciFunction& fn, SessionOptions opt = {}) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    session = std::make_unique<Session>(fn, opt);
    conn = std::make_unique<Connection>(sv[1], *session);
    client = std::make_unique<Client>(sv[0]);
  }
  // Handles what arrived; false once the server ended the connection.
  bool pump() {
    if (!open) return false;
    open = conn->service(100000);
    return open;
  }
  Reply call(const std::vector<uint8_t>& msg, std::span<const int> fds = {}) {
    EXPECT_TRUE(client->send(msg, fds));
    pump();
    Reply r;
    EXPECT_TRUE(client->recv(r)) << "no reply to " << command_name(load<Header>(msg, 0).command);
    return r;
  }
  void negotiate() {
    Reply r = call(testing::version(1));
    ASSERT_FALSE(r.error());
  }
  uint32_t read32(uint32_t region, uint64_t offset) {
    Reply r = call(testing::region_read(7, region, offset, 4));
    EXPECT_FALSE(r.error()) << session->last_error();
    return r.as<uint32_t>(sizeof(RegionAccess));
  }
  // An error reply with errno `err` to `msg`, and the connection still serving.
  void expect_error(const std::vector<uint8_t>& msg, int err, std::span<const int> fds = {}) {
    Reply r = call(msg, fds);
    EXPECT_TRUE(r.error()) << "no error for command " << load<Header>(msg, 0).command;
    EXPECT_EQ(r.h.error_no, static_cast<uint32_t>(err)) << session->last_error();
    EXPECT_EQ(r.h.msg_size, kHeaderSize);
    EXPECT_TRUE(open) << conn->reason();
  }
  std::unique_ptr<Session> session;
  std::unique_ptr<Connection> conn;
  std::unique_ptr<Client> client;
  bool open = true;
};

int memfd(size_t size) {
  const int fd = ::memfd_create("guest-ram", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  return fd;
}

// ---------------------------------------------------------------------------------------------------------
// QEMU's sequence, on the 82599 model.
TEST_F(VfioUser, QemuSequenceOnThe82599) {
  namespace r = nic::ixgbe;
  sim::World world;
  IxgbeFunction fn(world, sim::IxgbeConfig{.name = "port0"});
  Harness h(fn);

  // VERSION: our capabilities, a subset of QEMU's (no migration), NUL-terminated JSON.
  Reply v = h.call(testing::version(1));
  ASSERT_FALSE(v.error());
  EXPECT_EQ(v.h.msg_id, 1);
  EXPECT_EQ(v.h.command, kVersion);
  EXPECT_EQ(v.h.flags & kFlagTypeMask, kTypeReply);
  EXPECT_EQ(v.as<Version>().major, 0);
  EXPECT_EQ(v.as<Version>().minor, 0);
  ASSERT_GT(v.payload.size(), sizeof(Version));
  EXPECT_EQ(v.payload.back(), 0);
  const auto caps = nlohmann::json::parse(reinterpret_cast<const char*>(v.payload.data() + sizeof(Version)));
  EXPECT_EQ(caps["capabilities"]["max_msg_fds"], 16);
  EXPECT_EQ(caps["capabilities"]["max_data_xfer_size"], 1u << 20);
  EXPECT_EQ(caps["capabilities"]["pgsizes"], 4096);
  EXPECT_FALSE(caps["capabilities"].contains("migration"));

  Reply info = h.call(testing::get_info(2));
  ASSERT_FALSE(info.error());
  const auto di = info.as<DeviceInfo>();
  EXPECT_EQ(di.argsz, sizeof(DeviceInfo));
  EXPECT_EQ(di.flags, static_cast<uint32_t>(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET));
  EXPECT_EQ(di.num_regions, 9u);
  EXPECT_EQ(di.num_irqs, 5u);

  const uint64_t sizes[9] = {0x20000, 0, 0, 0x4000, 0, 0, 0, 4096, 0};
  for (uint32_t i = 0; i < 9; ++i) {
    Reply ri = h.call(testing::region_info(3, i));
    ASSERT_FALSE(ri.error()) << i;
    ASSERT_EQ(ri.payload.size(), sizeof(RegionInfo));  // never truncated
    const auto info_i = ri.as<RegionInfo>();
    EXPECT_EQ(info_i.index, i);
    EXPECT_EQ(info_i.size, sizes[i]) << "region " << i;
    EXPECT_EQ(info_i.flags, sizes[i] ? static_cast<uint32_t>(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE) : 0u);
    EXPECT_FALSE(info_i.flags & VFIO_REGION_INFO_FLAG_MMAP);
  }
  const uint32_t irq_counts[5] = {1, 1, 64, 0, 0};
  for (uint32_t i = 0; i < 5; ++i) {
    Reply ii = h.call(testing::irq_info(4, i));
    ASSERT_FALSE(ii.error());
    EXPECT_EQ(ii.as<IrqInfo>().count, irq_counts[i]);
    if (irq_counts[i]) {
      EXPECT_TRUE(ii.as<IrqInfo>().flags & VFIO_IRQ_INFO_EVENTFD);
    }
  }

  // DMA_MAP of "guest RAM": a memfd, 2 MiB at IOVA 1 MiB, file offset 64 KiB; then the device reaches it.
  const int ram = memfd(4 << 20);
  Reply m = h.call(testing::dma_map(5, 0x100000, 2 << 20, 0x10000), {&ram, 1});
  ASSERT_FALSE(m.error()) << h.session->last_error();
  auto* guest = static_cast<uint8_t*>(::mmap(nullptr, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, ram, 0));
  ASSERT_NE(guest, MAP_FAILED);
  ::close(ram);  // the client's copy: the server closed its own after mapping
  ASSERT_TRUE(fn.iommu().write(0x100000 + 0x40, "hello", 6));
  EXPECT_STREQ(reinterpret_cast<char*>(guest + 0x10000 + 0x40), "hello");
  EXPECT_FALSE(fn.iommu().write(0x100000 + (2 << 20) - 2, "hello", 6)) << "past the mapping's end";
  EXPECT_EQ(fn.iommu().mappings(), 1u);

  // Config space: identity, class, and the capability list.
  EXPECT_EQ(h.read32(VFIO_PCI_CONFIG_REGION_INDEX, 0), 0x10FB8086u);
  EXPECT_EQ(h.read32(VFIO_PCI_CONFIG_REGION_INDEX, 8) >> 8, 0x020000u);
  Reply whole = h.call(testing::region_read(8, VFIO_PCI_CONFIG_REGION_INDEX, 0, 4096));  // QEMU reads it all
  ASSERT_FALSE(whole.error());
  ASSERT_EQ(whole.payload.size(), sizeof(RegionAccess) + 4096);
  const uint8_t* cfg = whole.payload.data() + sizeof(RegionAccess);
  EXPECT_TRUE(cfg[ConfigSpace::kStatus] & ConfigSpace::kStatusCapList);
  std::vector<std::pair<uint8_t, uint8_t>> caps_found;
  for (uint8_t at = cfg[0x34]; at; at = cfg[at + 1]) caps_found.push_back({at, cfg[at]});
  EXPECT_EQ(caps_found, (std::vector<std::pair<uint8_t, uint8_t>>{{0x40, 0x01}, {0x50, 0x05}, {0x70, 0x11}, {0xA0, 0x10}}));
  uint32_t table, pba;
  std::memcpy(&table, cfg + 0x74, 4);
  std::memcpy(&pba, cfg + 0x78, 4);
  EXPECT_EQ(table, 0x00000003u) << "MSI-X table in BAR3 at 0";
  EXPECT_EQ(pba, 0x00002003u) << "PBA in BAR3 at 0x2000";
  EXPECT_EQ((cfg[0x72] | cfg[0x73] << 8) & 0x7FF, 63) << "64 vectors";
  const uint16_t lnksta = static_cast<uint16_t>(cfg[0xB2] | cfg[0xB3] << 8);
  EXPECT_EQ(lnksta & 0xF, 2) << "5 GT/s";
  EXPECT_EQ((lnksta >> 4) & 0x3F, 8) << "x8";
  // Classic BAR sizing works as well (QEMU does its own).
  h.call(testing::region_write32(9, VFIO_PCI_CONFIG_REGION_INDEX, 0x10, 0xFFFFFFFF));
  EXPECT_EQ(h.read32(VFIO_PCI_CONFIG_REGION_INDEX, 0x10), ~(0x20000u - 1));

  // BAR0: STATUS and EEC as the model answers them.
  EXPECT_EQ(h.read32(0, r::STATUS.at()), fn.model().read32(r::STATUS.at()));
  const uint32_t eec = h.read32(0, r::EEC.at());
  EXPECT_TRUE(eec & r::eec::kPresent.mask());
  // An 8-byte read is two dword reads; a 2-byte read is part of one.
  Reply q = h.call(testing::region_read(10, 0, r::RAL.at(0), 8));
  ASSERT_FALSE(q.error());
  EXPECT_EQ(q.as<uint64_t>(sizeof(RegionAccess)),
            fn.model().read32(r::RAL.at(0)) | static_cast<uint64_t>(fn.model().read32(r::RAH.at(0))) << 32);
  Reply w16 = h.call(testing::region_read(11, 0, r::RAL.at(0) + 2, 2));
  EXPECT_EQ(w16.as<uint16_t>(sizeof(RegionAccess)), fn.model().read32(r::RAL.at(0)) >> 16);

  // Writes with No_reply get no reply; pipelined requests are answered in order.
  const auto eims_on = testing::region_write32(20, 0, r::EIMS.at(), 0x1, kFlagNoReply);
  const auto read_eims = testing::region_read(21, 0, r::EIMS.at(), 4);
  const auto write_ral = testing::region_write32(22, 0, r::RAL.at(1), 0xA1B2C3D4);  // waits for its reply
  const auto read_ral = testing::region_read(23, 0, r::RAL.at(1), 4);
  std::vector<uint8_t> batch;
  for (const auto* msg : {&eims_on, &read_eims, &write_ral, &read_ral}) batch.insert(batch.end(), msg->begin(), msg->end());
  ASSERT_TRUE(h.client->send(batch));
  h.pump();
  Reply r1, r2, r3;
  ASSERT_TRUE(h.client->recv(r1));
  ASSERT_TRUE(h.client->recv(r2));
  ASSERT_TRUE(h.client->recv(r3));
  EXPECT_EQ(r1.h.msg_id, 21) << "the no-reply write was not answered";
  EXPECT_EQ(r1.as<uint32_t>(sizeof(RegionAccess)), 1u) << "and was done before the read after it";
  EXPECT_EQ(r2.h.msg_id, 22);
  EXPECT_EQ(r2.payload.size(), sizeof(RegionAccess));
  EXPECT_EQ(r3.h.msg_id, 23);
  EXPECT_EQ(r3.as<uint32_t>(sizeof(RegionAccess)), 0xA1B2C3D4u);
  EXPECT_FALSE(h.client->readable(50)) << "nothing else was answered";

  // MSI-X as QEMU sets it up: count 1 without an fd (enable), then one eventfd per vector unmasked.
  Reply e1 = h.call(testing::set_irqs(30, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1));
  ASSERT_FALSE(e1.error()) << h.session->last_error();
  EXPECT_EQ(h.session->active_irq_index(), VFIO_PCI_MSIX_IRQ_INDEX);
  const int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  Reply e2 = h.call(testing::set_irqs(31, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1), {&efd, 1});
  ASSERT_FALSE(e2.error()) << h.session->last_error();
  // The model raises vector 0 (EIMS bit 0 is set above; EICS sets its cause): the eventfd fires.
  h.call(testing::region_write32(32, 0, r::EICS.at(), 0x1));
  uint64_t count = 0;
  ASSERT_EQ(::read(efd, &count, sizeof count), static_cast<ssize_t>(sizeof count)) << "the vector's eventfd did not fire";
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(h.session->stats().interrupts, 1u);
  ::close(efd);

  // DMA_UNMAP of nothing, and of a range reaching one past 2^64: success. Then the real one.
  EXPECT_FALSE(h.call(testing::dma_unmap(40, 0x90000000, 0x1000)).error());
  Reply past = h.call(testing::dma_unmap(41, 0xFFFFFFFFFFFFF000ull, 0x2000));
  EXPECT_FALSE(past.error());
  EXPECT_EQ(past.payload.size(), sizeof(DmaUnmap)) << "the reply echoes the request's entry";
  EXPECT_EQ(fn.iommu().mappings(), 1u);
  EXPECT_FALSE(h.call(testing::dma_unmap(42, 0x100000, 2 << 20)).error());
  EXPECT_EQ(fn.iommu().mappings(), 0u);
  EXPECT_EQ(fn.iommu().translate(0x100000, 4), nullptr);
  ::munmap(guest, 4 << 20);

  // FLR (Device Control bit 15, a config write that waits for its reply): the model resets.
  h.call(testing::region_write32(50, 0, r::RAL.at(1), 0x12345678));
  const uint16_t flr = 0x8000 | 0x2810;
  Reply f = h.call(testing::region_write(51, VFIO_PCI_CONFIG_REGION_INDEX, 0xA8, {reinterpret_cast<const uint8_t*>(&flr), 2}));
  ASSERT_FALSE(f.error());
  EXPECT_EQ(fn.flrs(), 1u);
  EXPECT_EQ(h.read32(VFIO_PCI_CONFIG_REGION_INDEX, 0xA8) & 0x8000, 0u) << "Initiate FLR reads 0";
  EXPECT_EQ(fn.model().read32(r::RAL.at(1)), 0u) << "the model was reset";
  EXPECT_EQ(h.read32(VFIO_PCI_CONFIG_REGION_INDEX, 0x10), 0u) << "the config space too";
  // DEVICE_RESET does the same.
  EXPECT_FALSE(h.call(testing::message(52, kDeviceReset, {})).error());
  EXPECT_EQ(fn.flrs(), 2u);

  // The client goes: the session ends, the eventfd it held is closed (TearDown checks descriptors).
  h.client->close();
  EXPECT_FALSE(h.pump());
  EXPECT_EQ(h.conn->reason(), "client disconnected");
}

// An 8-byte write reaches the device as one access of width 8; REGION_WRITE_MULTI as separate writes.
TEST_F(VfioUser, WidthsAndWriteMulti) {
  FakeFunction fn;
  Harness h(fn);
  h.negotiate();
  const uint64_t v = 0x1122334455667788ull;
  ASSERT_FALSE(h.call(testing::region_write(2, 0, 0x100, {reinterpret_cast<const uint8_t*>(&v), 8})).error());
  EXPECT_EQ(fn.last_write.width, 8u);
  EXPECT_EQ(fn.last_write.value, v);
  std::vector<uint8_t> p(8 + 2 * sizeof(WriteOne));
  const uint64_t n = 2;
  std::memcpy(p.data(), &n, 8);
  WriteOne w[2] = {{0x10, 0, 4, {1, 2, 3, 4}}, {0x20, 0, 1, {9}}};
  std::memcpy(p.data() + 8, w, sizeof w);
  Reply r = h.call(testing::message(3, kRegionWriteMulti, p));
  ASSERT_FALSE(r.error()) << h.session->last_error();
  EXPECT_EQ(r.as<uint64_t>(), 2u);
  EXPECT_EQ(fn.bar0_[0x10], 1);
  EXPECT_EQ(fn.bar0_[0x13], 4);
  EXPECT_EQ(fn.bar0_[0x20], 9);
  EXPECT_EQ(fn.writes, 3);
}

// INTx and MSI are accepted (INTx automasks, UNMASK rearms); MASK on MSI-X is refused.
TEST_F(VfioUser, IntxAndMsi) {
  FakeFunction fn;
  Harness h(fn);
  h.negotiate();
  const int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_FALSE(h.call(testing::set_irqs(2, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1), {&efd, 1}).error());
  uint64_t c = 0;
  fn.sink(3);
  fn.sink(3);  // automasked: one signal
  EXPECT_EQ(::read(efd, &c, 8), 8);
  EXPECT_EQ(c, 1u);
  ASSERT_FALSE(h.call(testing::set_irqs(3, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1)).error());
  fn.sink(0);
  EXPECT_EQ(::read(efd, &c, 8), 8);
  // INTx disable (command bit 10) keeps it quiet.
  ASSERT_FALSE(h.call(testing::set_irqs(4, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1)).error());
  h.call(testing::region_write32(5, VFIO_PCI_CONFIG_REGION_INDEX, 4, ConfigSpace::kCommandIntxDisable));
  fn.sink(0);
  EXPECT_EQ(::read(efd, &c, 8), -1);
  // MSI: enabling it disables INTx (and closes INTx's eventfd).
  const int mfd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_FALSE(h.call(testing::set_irqs(6, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1), {&mfd, 1}).error());
  EXPECT_EQ(h.session->active_irq_index(), VFIO_PCI_MSI_IRQ_INDEX);
  EXPECT_EQ(h.session->irq_fd(VFIO_PCI_INTX_IRQ_INDEX, 0), -1);
  fn.sink(5);
  EXPECT_EQ(::read(mfd, &c, 8), 8);
  // A client-side trigger (DATA_BOOL) signals the selected eventfd.
  const uint8_t yes = 1;
  ASSERT_FALSE(h.call(testing::set_irqs(7, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, {&yes, 1})).error());
  EXPECT_EQ(::read(mfd, &c, 8), 8);
  h.expect_error(testing::set_irqs(8, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1), EINVAL);
  // Disable (count 0, DATA_NONE): the eventfd is closed.
  ASSERT_FALSE(h.call(testing::set_irqs(9, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0)).error());
  EXPECT_EQ(h.session->active_irq_index(), -1);
  ::close(efd);
  ::close(mfd);
}

// ---------------------------------------------------------------------------------------------------------
// Hostile input: an error reply (the connection goes on) or a clean close, never a crash.
TEST_F(VfioUser, HostileMessagesGetErrorReplies) {
  FakeFunction fn;
  Harness h(fn);
  h.expect_error(testing::get_info(1), EINVAL);  // before VERSION
  h.expect_error(testing::message(1, kVersion, {}), EINVAL);  // no major/minor
  std::vector<uint8_t> nonul = testing::version(1);
  nonul.pop_back();
  reinterpret_cast<Header*>(nonul.data())->msg_size -= 1;
  h.expect_error(nonul, EINVAL);  // capabilities not NUL-terminated
  h.expect_error(testing::version(1, "{\"capabilities\": [1, 2"), EINVAL);
  h.expect_error(testing::version(1, std::string(100, '[') + std::string(100, ']')), EINVAL);  // too deep
  h.expect_error(testing::version(1, "{\"capabilities\":{\"pgsizes\":8192}}"), EINVAL);
  h.negotiate();
  h.expect_error(testing::version(2), EINVAL);  // twice

  // Payloads shorter than their structs (the header's size is the truth: it says 16 + 4).
  for (uint16_t cmd : {kDmaMap, kDmaUnmap, kDeviceGetRegionInfo, kDeviceGetIrqInfo, kDeviceSetIrqs, kRegionRead, kRegionWrite,
                       kRegionWriteMulti}) {
    const uint32_t four = 0;
    h.expect_error(testing::message(3, cmd, {reinterpret_cast<const uint8_t*>(&four), cmd == kRegionWriteMulti ? 0u : 4u}), EINVAL);
  }
  // argsz lies.
  h.expect_error(testing::message_of(4, kDeviceGetInfo, DeviceInfo{4, 0, 0, 0}), EINVAL);
  h.expect_error(testing::message_of(4, kDeviceGetRegionInfo, RegionInfo{16, 0, 0, 0, 0, 0}), EINVAL);
  // Bad indices.
  h.expect_error(testing::region_info(5, 9), EINVAL);
  h.expect_error(testing::region_info(5, 0xFFFFFFFF), EINVAL);
  h.expect_error(testing::irq_info(5, 7), EINVAL);
  h.expect_error(testing::region_read(5, 9, 0, 4), EINVAL);
  h.expect_error(testing::region_read(5, 100, 0, 4), EINVAL);
  h.expect_error(testing::region_read(5, 1, 0, 4), EINVAL);  // a BAR that does not exist
  // Accesses outside, unaligned, too wide, too long, zero.
  h.expect_error(testing::region_read(6, 0, 2, 4), EINVAL);
  h.expect_error(testing::region_read(6, 0, 0, 16), EINVAL);
  h.expect_error(testing::region_read(6, 0, 4092, 8), EINVAL);
  h.expect_error(testing::region_read(6, 0, 4096, 4), EINVAL);
  h.expect_error(testing::region_read(6, 0, 0xFFFFFFFFFFFFFFFCull, 4), EINVAL);
  h.expect_error(testing::region_read(6, 0, 0, 0), EINVAL);
  h.expect_error(testing::region_read(6, 0, 0, 3), EINVAL);
  h.expect_error(testing::region_read(6, 7, 200, 100), EINVAL);  // past the 256-byte config space
  h.expect_error(testing::region_read(6, 7, 0, 0x7FFFFFFF), EINVAL);  // count beyond max_data_xfer_size
  // A write whose count exceeds the data it carries.
  std::vector<uint8_t> lie = testing::region_write32(7, 0, 0, 1);
  reinterpret_cast<RegionAccess*>(lie.data() + kHeaderSize)->count = 8;
  h.expect_error(lie, EINVAL);
  EXPECT_EQ(fn.writes, 0);
  // WRITE_MULTI with a count larger than its entries, or than the maximum.
  std::vector<uint8_t> wm(8 + sizeof(WriteOne));
  uint64_t n = 5;
  std::memcpy(wm.data(), &n, 8);
  h.expect_error(testing::message(8, kRegionWriteMulti, wm), EINVAL);
  n = 1ull << 60;
  std::memcpy(wm.data(), &n, 8);
  h.expect_error(testing::message(8, kRegionWriteMulti, wm), EINVAL);
  // SET_IRQS: counts beyond the index, bad flags, bools missing.
  const uint32_t trig = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, trig, 0, 1000), EINVAL);
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, trig, 0xFFFFFFFF, 2), EINVAL);
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, trig, 7, 0xFFFFFFFF), EINVAL);
  h.expect_error(testing::set_irqs(9, 5, trig, 0, 1), EINVAL);
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1), EINVAL);
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE, 0, 1), EINVAL);
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, trig | (1u << 9), 0, 1), EINVAL);
  h.expect_error(testing::set_irqs(9, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 8), EINVAL);
  h.expect_error(testing::set_irqs(9, 3, trig, 0, 1), EINVAL);  // ERR has no interrupts
  // DMA_MAP: unaligned, zero, wrapping, overlapping, unknown flags, an offset without an fd.
  h.expect_error(testing::dma_map(10, 0x1001, 0x1000, 0), EINVAL);
  h.expect_error(testing::dma_map(10, 0x1000, 0, 0), EINVAL);
  h.expect_error(testing::dma_map(10, 0xFFFFFFFFFFFFF000ull, 0x2000, 0), EINVAL);
  h.expect_error(testing::dma_map(10, 0x1000, 0x1000, 0, 0x80), EINVAL);
  h.expect_error(testing::dma_map(10, 0x1000, 0x1000, 0x1000), EINVAL);
  ASSERT_FALSE(h.call(testing::dma_map(11, 0x10000, 0x4000, 0)).error());  // no fd: recorded, not reachable
  h.expect_error(testing::dma_map(12, 0x12000, 0x1000, 0), EEXIST);
  h.expect_error(testing::dma_map(12, 0xF000, 0x2000, 0), EEXIST);
  // DMA_MAP fds that cannot back memory: a pipe, a file too short for offset + size.
  int pipefd[2];
  ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
  h.expect_error(testing::dma_map(13, 0x100000, 0x1000, 0), EINVAL, {&pipefd[0], 1});
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  const int small = memfd(0x2000);
  h.expect_error(testing::dma_map(14, 0x100000, 0x2000, 0x1000), EINVAL, {&small, 1});
  // Two fds for one map.
  const int two[2] = {small, small};
  h.expect_error(testing::dma_map(15, 0x100000, 0x1000, 0), EINVAL, two);
  // fds on a message that takes none.
  h.expect_error(testing::region_read(16, 0, 0, 4), EINVAL, {&small, 1});
  // SET_IRQS with fewer fds than interrupts.
  h.expect_error(testing::set_irqs(17, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 4), EINVAL, {&small, 1});
  ::close(small);
  // DMA_UNMAP with flags it does not know, or dirty-page tracking.
  h.expect_error(testing::dma_unmap(18, 0, 0x1000, 0x100), EINVAL);
  h.expect_error(testing::dma_unmap(18, 0, 0x1000, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), ENOTSUP);
  // Commands this server does not take.
  h.expect_error(testing::message(19, kDmaRead, {}), EINVAL);
  h.expect_error(testing::message(19, kDeviceFeature, {}), ENOTSUP);
  h.expect_error(testing::message(19, kMigDataRead, {}), ENOTSUP);
  h.expect_error(testing::message(19, 99, {}), ENOSYS);
  h.expect_error(testing::message(19, 0xFFFF, {}), ENOSYS);
  h.expect_error(testing::message(19, kRegionRead, {}, 0x7), EINVAL);  // message type 7
  // A message larger than the server takes: E2BIG, its body discarded, the stream still in step.
  std::vector<uint8_t> big = testing::message(20, kRegionWrite, std::vector<uint8_t>((1u << 20) + 64, 0));
  std::thread writer([&] { h.client->send(big); });
  while (h.conn->bytes_in() < big.size()) h.pump();
  writer.join();
  Reply r;
  ASSERT_TRUE(h.client->recv(r));
  EXPECT_TRUE(r.error());
  EXPECT_EQ(r.h.error_no, static_cast<uint32_t>(E2BIG));
  // Still in step: a good request works.
  EXPECT_FALSE(h.call(testing::region_read(21, 0, 0, 4)).error());
  EXPECT_EQ(fn.writes, 0) << "no malformed write reached the device";
  EXPECT_TRUE(h.open);
}

TEST_F(VfioUser, ErrorsOnNoReplyMessagesAreNotAnswered) {
  FakeFunction fn;
  Harness h(fn);
  h.negotiate();
  ASSERT_TRUE(h.client->send(testing::region_write32(2, 0, 4096, 1, kFlagNoReply)));  // outside: an error
  ASSERT_TRUE(h.client->send(testing::message(3, kRegionRead, {}, kTypeReply)));       // a reply: ignored
  ASSERT_TRUE(h.client->send(testing::region_read(4, 0, 0, 4)));
  h.pump();
  Reply r;
  ASSERT_TRUE(h.client->recv(r));
  EXPECT_EQ(r.h.msg_id, 4);
  EXPECT_FALSE(r.error());
  EXPECT_FALSE(h.client->readable(50));
  EXPECT_EQ(h.session->stats().errors, 2u);
}

TEST_F(VfioUser, TooManyFdsAreRefusedAndClosed) {
  FakeFunction fn;
  Harness h(fn);
  h.negotiate();
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) fds.push_back(::eventfd(0, EFD_CLOEXEC));
  // 20 eventfds for 20 vectors: more than max_msg_fds (16), which the kernel truncates.
  h.expect_error(testing::set_irqs(2, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 8), EINVAL, fds);
  for (int f : fds) ::close(f);
  EXPECT_EQ(h.session->irq_fd(VFIO_PCI_MSIX_IRQ_INDEX, 0), -1);
  EXPECT_FALSE(h.call(testing::region_read(3, 0, 0, 4)).error()) << "and the stream is still in step";
}

TEST_F(VfioUser, BrokenStreamsCloseCleanly) {
  FakeFunction fn;
  {  // a header claiming fewer than 16 bytes: the stream is lost
    Harness h(fn);
    std::vector<uint8_t> m = testing::get_info(1);
    reinterpret_cast<Header*>(m.data())->msg_size = 8;
    ASSERT_TRUE(h.client->send(m));
    EXPECT_FALSE(h.pump());
    EXPECT_NE(h.conn->reason().find("stream lost"), std::string::npos) << h.conn->reason();
  }
  {  // a short header, then the client goes
    Harness h(fn);
    const uint8_t half[8] = {1, 0, 1, 0, 32, 0, 0, 0};
    ASSERT_TRUE(h.client->send(half));
    EXPECT_TRUE(h.pump());
    h.client->close();
    EXPECT_FALSE(h.pump());
    EXPECT_EQ(h.conn->reason(), "client disconnected in the middle of a message");
  }
  {  // a size that promises more than ever comes
    Harness h(fn);
    std::vector<uint8_t> m = testing::version(1);
    reinterpret_cast<Header*>(m.data())->msg_size += 100;
    ASSERT_TRUE(h.client->send(m));
    EXPECT_TRUE(h.pump());
    EXPECT_FALSE(h.client->readable(20)) << "waiting for the rest, not answering";
    h.client->close();
    EXPECT_FALSE(h.pump());
  }
  {  // an unsupported major version: an error reply, then the server closes
    Harness h(fn);
    Reply r = h.call(testing::version(1, testing::kQemuCaps, 1));
    EXPECT_TRUE(r.error());
    EXPECT_FALSE(h.open);
  }
}

// ---------------------------------------------------------------------------------------------------------
// DmaSpace: a vIOMMU client's one-page maps, each with a new fd of one memfd.
TEST_F(VfioUser, PerPageMapsCoalesceAndUnmapByRange) {
  sim::Iommu iommu;
  DmaSpace dma(&iommu);
  const int ram = memfd(1 << 20);
  for (uint64_t page = 0; page < 64; ++page) {
    const int fd = ::dup(ram);  // QEMU passes a new fd with every map
    ASSERT_EQ(dma.map(0x40000000 + page * 4096, 4096, 0x8000 + page * 4096, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, fd), 0);
  }
  EXPECT_EQ(dma.mappings(), 64u);
  EXPECT_EQ(dma.iommu_mappings(), 1u) << "contiguous in IOVA and in the file: one Iommu mapping";
  EXPECT_EQ(dma.files_mapped(), 1u) << "one mmap for every fd of the memfd";
  EXPECT_NE(iommu.translate(0x40000000 + 4096 - 8, 16), nullptr) << "an access across a page boundary";
  // A page mapped out of order (not contiguous in the file) stays separate.
  ASSERT_EQ(dma.map(0x40000000 + 64 * 4096, 4096, 0, VFIO_DMA_MAP_FLAG_READ, ::dup(ram)), 0);
  EXPECT_EQ(dma.iommu_mappings(), 2u);
  EXPECT_EQ(iommu.translate(0x40000000 + 65 * 4096 - 8, 16), nullptr);
  // Unmapping a range in the middle splits the mapping; one straddling an edge trims it.
  EXPECT_EQ(dma.unmap(0x40000000 + 10 * 4096, 2 * 4096), 2u * 4096);
  EXPECT_EQ(dma.iommu_mappings(), 3u);
  EXPECT_EQ(iommu.translate(0x40000000 + 10 * 4096, 4), nullptr);
  EXPECT_NE(iommu.translate(0x40000000 + 12 * 4096, 4), nullptr);
  uint8_t* a = dma.host(0x40000000 + 9 * 4096, 4096);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(dma.unmap(0x40000000 + 9 * 4096 + 2048, 4096), 2048u) << "the high half of page 9 (page 10 is gone already)";
  EXPECT_EQ(dma.host(0x40000000 + 9 * 4096, 2048), a) << "the low half of page 9 remains where it was";
  // Nothing there, and one past 2^64: nothing removed, no failure.
  EXPECT_EQ(dma.unmap(0x1000, 0x1000), 0u);
  EXPECT_EQ(dma.unmap(0xFFFFFFFFFFFFF000ull, 0x2000), 0u);
  // Everything.
  dma.unmap(0, UINT64_MAX);
  EXPECT_EQ(dma.mappings(), 0u);
  EXPECT_EQ(iommu.mappings(), 0u);
  ::close(ram);
  DmaSpace limited(&iommu, DmaSpace::Limits{.max_mappings = 2});
  EXPECT_EQ(limited.map(0x0000, 4096, 0, 1, -1), 0);
  EXPECT_EQ(limited.map(0x1000, 4096, 0, 1, -1), 0);
  EXPECT_EQ(limited.map(0x2000, 4096, 0, 1, -1), ENOSPC);
}

// ---------------------------------------------------------------------------------------------------------
// REGION_READ round trip on the 82599 model, the server in its own thread as in nicsim_server.
TEST_F(VfioUser, RegionReadRoundTrip) {
  sim::World world;
  IxgbeFunction fn(world, sim::IxgbeConfig{.name = "port0"});
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Client client(sv[0]);
  std::atomic<bool> done{false};
  std::thread server([&] {
    Session s(fn);
    Connection c(sv[1], s);
    pollfd p{sv[1], POLLIN, 0};
    while (!done && ::poll(&p, 1, 100) >= 0)
      if (!c.service()) break;
  });
  auto call = [&](const std::vector<uint8_t>& m) {
    Reply r;
    EXPECT_TRUE(client.send(m));
    EXPECT_TRUE(client.recv(r));
    return r;
  };
  ASSERT_FALSE(call(testing::version(1)).error());
  const auto read_status = testing::region_read(2, 0, nic::ixgbe::STATUS.at(), 4);
  constexpr int kReads = 20000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kReads; ++i) ASSERT_FALSE(call(read_status).error());
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / kReads;
  std::printf("REGION_READ round trip (BAR0 STATUS, socketpair, server thread): %.2f us\n", us);
  EXPECT_LT(us, 1000.0);
  done = true;
  client.close();
  server.join();
}

}  // namespace
}  // namespace vfio_user
