// A minimal vfio-user client for tests and the fuzzer's seed corpus: builds messages as QEMU's vfio-user-pci
// does (hw/vfio-user/{proxy,device,container}.c) and speaks them over a socket, with SCM_RIGHTS fds.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "sim/vfio_user/protocol.h"

namespace vfio_user::testing {

inline std::vector<uint8_t> message(uint16_t id, uint16_t command, std::span<const uint8_t> payload, uint32_t flags = 0) {
  std::vector<uint8_t> m(kHeaderSize + payload.size());
  const Header h{id, command, static_cast<uint32_t>(m.size()), flags, 0};
  std::memcpy(m.data(), &h, sizeof h);
  if (!payload.empty()) std::memcpy(m.data() + kHeaderSize, payload.data(), payload.size());
  return m;
}
template <typename T>
std::vector<uint8_t> message_of(uint16_t id, uint16_t command, const T& payload, uint32_t flags = 0) {
  return message(id, command, {reinterpret_cast<const uint8_t*>(&payload), sizeof payload}, flags);
}

// QEMU 11's proposal: its capabilities (migration included, which this server does not offer back).
inline const char* kQemuCaps =
    R"({"capabilities":{"migration":{"pgsize":4096,"max_bitmap_size":268435456},"max_msg_fds":16,)"
    R"("max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":65535,"write_multiple":true}})";

inline std::vector<uint8_t> version(uint16_t id, const std::string& json = kQemuCaps, uint16_t major = kMajor, uint16_t minor = kMinor) {
  std::vector<uint8_t> p(sizeof(Version));
  const Version v{major, minor};
  std::memcpy(p.data(), &v, sizeof v);
  p.insert(p.end(), json.begin(), json.end());
  p.push_back(0);
  return message(id, kVersion, p);
}
inline std::vector<uint8_t> get_info(uint16_t id) { return message_of(id, kDeviceGetInfo, DeviceInfo{sizeof(DeviceInfo), 0, 0, 0}); }
inline std::vector<uint8_t> region_info(uint16_t id, uint32_t index) {
  return message_of(id, kDeviceGetRegionInfo, RegionInfo{sizeof(RegionInfo), 0, index, 0, 0, 0});
}
inline std::vector<uint8_t> irq_info(uint16_t id, uint32_t index) {
  return message_of(id, kDeviceGetIrqInfo, IrqInfo{sizeof(IrqInfo), 0, index, 0});
}
inline std::vector<uint8_t> dma_map(uint16_t id, uint64_t iova, uint64_t size, uint64_t offset,
                                    uint32_t flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) {
  return message_of(id, kDmaMap, DmaMap{sizeof(DmaMap), flags, offset, iova, size});
}
inline std::vector<uint8_t> dma_unmap(uint16_t id, uint64_t iova, uint64_t size, uint32_t flags = 0) {
  return message_of(id, kDmaUnmap, DmaUnmap{sizeof(DmaUnmap), flags, iova, size});
}
inline std::vector<uint8_t> region_read(uint16_t id, uint32_t region, uint64_t offset, uint32_t count) {
  return message_of(id, kRegionRead, RegionAccess{offset, region, count});
}
inline std::vector<uint8_t> region_write(uint16_t id, uint32_t region, uint64_t offset, std::span<const uint8_t> data,
                                         uint32_t flags = 0) {
  std::vector<uint8_t> p(sizeof(RegionAccess) + data.size());
  const RegionAccess a{offset, region, static_cast<uint32_t>(data.size())};
  std::memcpy(p.data(), &a, sizeof a);
  if (!data.empty()) std::memcpy(p.data() + sizeof a, data.data(), data.size());
  return message(id, kRegionWrite, p, flags);
}
inline std::vector<uint8_t> region_write32(uint16_t id, uint32_t region, uint64_t offset, uint32_t value, uint32_t flags = 0) {
  return region_write(id, region, offset, {reinterpret_cast<const uint8_t*>(&value), 4}, flags);
}
inline std::vector<uint8_t> set_irqs(uint16_t id, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                                     std::span<const uint8_t> data = {}) {
  std::vector<uint8_t> p(sizeof(IrqSet) + data.size());
  const IrqSet s{static_cast<uint32_t>(p.size()), flags, index, start, count};
  std::memcpy(p.data(), &s, sizeof s);
  if (!data.empty()) std::memcpy(p.data() + sizeof s, data.data(), data.size());
  return message(id, kDeviceSetIrqs, p);
}

struct Reply {
  Header h{};
  std::vector<uint8_t> payload;
  bool error() const { return h.flags & kFlagError; }
  template <typename T>
  T as(size_t at = 0) const {
    T v{};
    if (at + sizeof v <= payload.size()) std::memcpy(&v, payload.data() + at, sizeof v);
    return v;
  }
};

// The client end of a connected stream socket (blocking).
class Client {
 public:
  explicit Client(int fd) : fd_(fd) {}
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  int fd() const { return fd_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send(std::span<const uint8_t> bytes, std::span<const int> fds = {}) {
    iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    std::vector<uint8_t> control;
    if (!fds.empty()) {
      control.assign(CMSG_SPACE(fds.size() * sizeof(int)), 0);
      m.msg_control = control.data();
      m.msg_controllen = control.size();
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
      std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
    }
    const ssize_t n = ::sendmsg(fd_, &m, MSG_NOSIGNAL);
    return n == static_cast<ssize_t>(bytes.size());
  }

  // Reads one whole reply; false on EOF, error or when nothing arrives within timeout_ms.
  bool recv(Reply& r, int timeout_ms = 2000) {
    if (!read_exact(&r.h, sizeof r.h, timeout_ms)) return false;
    if (r.h.msg_size < kHeaderSize) return false;
    r.payload.resize(r.h.msg_size - kHeaderSize);
    return r.payload.empty() || read_exact(r.payload.data(), r.payload.size(), timeout_ms);
  }
  // True when something (or EOF) is waiting to be read within timeout_ms.
  bool readable(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
  }
  // True when the server closed its end (EOF waiting).
  bool closed(int timeout_ms = 1000) {
    if (!readable(timeout_ms)) return false;
    uint8_t b;
    return ::recv(fd_, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
  }

 private:
  bool read_exact(void* p, size_t n, int timeout_ms) {
    auto* b = static_cast<uint8_t*>(p);
    while (n) {
      if (!readable(timeout_ms)) return false;
      const ssize_t got = ::recv(fd_, b, n, 0);
      if (got <= 0) return false;
      b += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }
  int fd_;
};

}  // namespace vfio_user::testing
