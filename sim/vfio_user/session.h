// One vfio-user client session: the protocol's command handling for one PciFunction (QEMU's
// docs/interop/vfio-user.rst). Transport-free: it takes one whole message and the file descriptors that came
// with it and appends its reply to a buffer, so the same code serves a socket (sim/vfio_user/transport.h), the
// tests and the fuzzer.
//
// Every length, offset, count and index in a message is checked against the message's size and the device's
// regions before anything is used; a malformed message gets an error reply (its errno in the header), or none
// when it asked for none (No_reply), and the session goes on. Nothing a client sends can make the session read
// outside the message or its buffers. Descriptors a message brings that the command does not keep are closed.
//
// Commands: VERSION (first, once), DMA_MAP/DMA_UNMAP (sim/vfio_user/dma_space.h), DEVICE_GET_INFO,
// DEVICE_GET_REGION_INFO, DEVICE_GET_IRQ_INFO, DEVICE_SET_IRQS, REGION_READ/REGION_WRITE, REGION_WRITE_MULTI,
// DEVICE_RESET. Refused with an errno: GET_REGION_IO_FDS, DEVICE_FEATURE, migration and dirty-page commands
// (ENOTSUP; migration is not offered in VERSION), DMA_READ/DMA_WRITE sent by a client (EINVAL: they go from
// server to client). This server never sends DMA_READ/DMA_WRITE: QEMU passes an fd with every DMA_MAP of guest
// RAM, which the device then reaches directly; memory mapped without an fd is recorded but unreachable (the
// device's accesses there are IOMMU faults, counted by the model).
//
// Interrupts: INTx (1, maskable, automasked as VFIO's), MSI (1) and MSI-X (the device's count) with eventfds
// (ACTION_TRIGGER + DATA_EVENTFD; no fds de-assigns, so QEMU's first "MSI-X, count 1, no fd" enables MSI-X
// with nothing connected yet); DATA_NONE with count 0 disables an index; DATA_NONE/DATA_BOOL triggers fire
// the eventfds (loopback). Enabling one index disables the one active before (VFIO wants that done
// explicitly; QEMU does, and a lenient server loses nothing).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/vfio_user/dma_space.h"
#include "sim/vfio_user/pci_function.h"
#include "sim/vfio_user/protocol.h"

namespace vfio_user {

struct SessionOptions {
  uint32_t max_data_xfer = 1u << 20;  // max_data_xfer_size: largest REGION_READ/WRITE count taken
  uint32_t max_msg_fds = 16;          // max_msg_fds: the most fds a message may carry (QEMU's own cap is 16)
  bool write_multiple = true;         // offer REGION_WRITE_MULTI
};

class Session {
 public:
  explicit Session(PciFunction& fn, SessionOptions opt = {});
  // The client is gone: its memory is unmapped, its eventfds closed; the device keeps its state (the protocol's
  // rule for a disconnect: a client that reconnects sets up DMA and interrupts again).
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  enum class Result { kOk, kClose };
  // One whole message (msg.size() == its header's msg_size >= kHeaderSize) and the fds received with it; the
  // session owns those fds from here (kept or closed). Appends the reply, if one is due, to `reply`.
  Result handle(std::span<const uint8_t> msg, std::span<const int> fds, std::vector<uint8_t>& reply);
  // A message the transport could not take whole (too large, too many fds): answered with `err` unless it
  // asked for no reply.
  void refuse(const Header& h, int err, const char* why, std::vector<uint8_t>& reply);

  // The largest message handle() can be given (the transport discards larger ones and calls refuse()).
  uint32_t max_message() const { return static_cast<uint32_t>(kHeaderSize + sizeof(RegionAccess)) + opt_.max_data_xfer; }
  uint32_t max_msg_fds() const { return opt_.max_msg_fds; }

  struct Stats {
    uint64_t messages = 0, errors = 0, no_reply = 0, fds_received = 0, fds_kept = 0;
    uint64_t region_reads = 0, region_writes = 0, bar_reads = 0, bar_writes = 0, config_reads = 0,
             config_writes = 0, write_multi = 0;
    uint64_t dma_maps = 0, dma_unmaps = 0, irq_sets = 0, interrupts = 0, resets = 0;
  };
  const Stats& stats() const { return stats_; }
  const DmaSpace& dma() const { return dma_; }
  bool negotiated() const { return negotiated_; }
  // Why the last error reply was sent ("REGION_READ: region 9 does not exist"), for logs and tests.
  const std::string& last_error() const { return last_error_; }
  // The eventfd for interrupt `sub` of IRQ index `index`, -1 if none (tests).
  int irq_fd(uint32_t index, uint32_t sub) const;
  // The IRQ index interrupts go to now (VFIO_PCI_*_IRQ_INDEX), -1 if none.
  int active_irq_index() const { return active_; }

 private:
  struct Ctx;  // the message being handled
  Result dispatch(Ctx& c);
  Result fail(Ctx& c, int err, std::string why);
  uint8_t* begin_reply(Ctx& c, size_t payload);
  Result version(Ctx& c);
  Result dma_map(Ctx& c);
  Result dma_unmap(Ctx& c);
  Result get_info(Ctx& c);
  Result get_region_info(Ctx& c);
  Result get_irq_info(Ctx& c);
  Result set_irqs(Ctx& c);
  Result region_read(Ctx& c);
  Result region_write(Ctx& c);
  Result write_multi(Ctx& c);
  Result reset(Ctx& c);
  // Checks one region access; returns 0 or an errno with `why` set.
  int check_access(uint32_t region, uint64_t offset, uint64_t count, std::string& why) const;
  uint64_t region_size(uint32_t region) const;
  void write_region(uint32_t region, uint64_t offset, std::span<const uint8_t> data);
  void deliver(uint32_t vector);
  static void signal(int fd);
  void close_irq(uint32_t index);

  PciFunction& fn_;
  SessionOptions opt_;
  DmaSpace dma_;
  Stats stats_;
  bool negotiated_ = false;
  std::string last_error_;
  std::string caps_json_;  // the VERSION reply's capabilities, NUL included
  static constexpr uint32_t kIrqIndices = 5;  // INTx, MSI, MSI-X, ERR, REQ
  std::array<std::vector<int>, kIrqIndices> irq_fds_;  // eventfd per interrupt, -1 when none
  std::array<bool, kIrqIndices> irq_enabled_{};
  int active_ = -1;
  bool intx_masked_ = false;
  int intx_unmask_fd_ = -1;
};

}  // namespace vfio_user
