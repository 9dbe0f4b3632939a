// udpburst: a burst of numbered UDP datagrams through the kernel's sockets, and a receiver that accounts for
// each one: the traffic //tests/qemu:qemu_vfio_user_test passes between Linux's ixgbe ports (busybox has no
// UDP sender). Each datagram's payload is its sequence number (4 bytes, big-endian) then bytes that depend on
// it and their offset, so the receiver checks every byte as well as the count. The sender loses nothing to a
// full transmit queue: it waits and sends the datagram again (IP_RECVERR makes the kernel say so).
//   udpburst --send 10.9.0.2 --port 9000 --count 1000 --size 512
//   udpburst --recv --port 9000 --count 1000 --timeout-ms 5000
// The receiver prints "received N of COUNT, bad B, duplicate D, out of order O" and exits 0 only for all
// COUNT, none bad or duplicate.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "driver/seam/error.h"
#include "tools/app.h"

namespace {

uint8_t pattern(uint32_t seq, size_t i) { return static_cast<uint8_t>(seq * 31 + i * 7 + 1); }

int udp_socket() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw nic::Error(std::string("socket(AF_INET, SOCK_DGRAM): ") + std::strerror(errno));
  return fd;
}

int send_burst(const std::string& to, uint16_t port, uint32_t count, uint32_t size, uint32_t gap_us) {
  if (size < 4) throw nic::Error("--size must be at least 4 (the sequence number)");
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  if (::inet_pton(AF_INET, to.c_str(), &dst.sin_addr) != 1) throw nic::Error("--send: '" + to + "' is not an IPv4 address");
  const int fd = udp_socket();
  // Without IP_RECVERR the kernel drops a datagram its full transmit queue cannot take and sendto() still
  // succeeds; with it, sendto() says ENOBUFS and the datagram is sent again below.
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof on) != 0)
    throw nic::Error(std::string("setsockopt(IP_RECVERR): ") + std::strerror(errno));
  std::vector<uint8_t> buf(size);
  uint64_t retries = 0;
  uint32_t sent = 0;
  for (uint32_t seq = 0; seq < count; ++seq) {
    buf[0] = static_cast<uint8_t>(seq >> 24), buf[1] = static_cast<uint8_t>(seq >> 16);
    buf[2] = static_cast<uint8_t>(seq >> 8), buf[3] = static_cast<uint8_t>(seq);
    for (size_t i = 4; i < size; ++i) buf[i] = pattern(seq, i);
    // ENOBUFS: the interface's queue is full; wait for it rather than lose the datagram here.
    ssize_t n;
    while ((n = ::sendto(fd, buf.data(), size, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst)) < 0 &&
           (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)) {
      ++retries;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    if (n != static_cast<ssize_t>(size)) {
      std::fprintf(stderr, "udpburst: sendto %s:%u: %s\n", to.c_str(), port, n < 0 ? std::strerror(errno) : "short write");
      break;
    }
    ++sent;
    if (gap_us) std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
  }
  ::close(fd);
  std::printf("sent %u of %u datagrams of %u bytes to %s:%u (%llu waits for a full transmit queue)\n", sent, count, size,
              to.c_str(), port, static_cast<unsigned long long>(retries));
  return sent == count ? 0 : 1;
}

int receive(uint16_t port, uint32_t count, uint32_t timeout_ms) {
  const int fd = udp_socket();
  // A burst may arrive faster than this loop runs: room for all of it (SO_RCVBUFFORCE passes net.core.rmem_max
  // with CAP_NET_ADMIN; without it, SO_RCVBUF gets what rmem_max allows).
  const int rcvbuf = static_cast<int>(std::min<uint64_t>(uint64_t{count} * 4096, 256u << 20));
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_port = htons(port);
  me.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0)
    throw nic::Error("bind UDP port " + std::to_string(port) + ": " + std::strerror(errno));
  std::printf("listening on UDP port %u for %u datagrams\n", port, count);
  std::fflush(stdout);
  std::vector<bool> seen(count, false);
  uint32_t got = 0, bad = 0, dup = 0, reordered = 0;
  int64_t last = -1;
  std::vector<uint8_t> buf(65536);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 4) {
      if (n >= 0) ++bad;
      continue;
    }
    const uint32_t seq = static_cast<uint32_t>(buf[0]) << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
    bool ok = seq < count;
    for (ssize_t i = 4; ok && i < n; ++i) ok = buf[static_cast<size_t>(i)] == pattern(seq, static_cast<size_t>(i));
    if (!ok) {
      ++bad;
      continue;
    }
    if (seen[seq]) {
      ++dup;
      continue;
    }
    seen[seq] = true;
    ++got;
    if (static_cast<int64_t>(seq) < last) ++reordered;
    last = seq;
  }
  ::close(fd);
  std::printf("received %u of %u, bad %u, duplicate %u, out of order %u\n", got, count, bad, dup, reordered);
  return got == count && bad == 0 && dup == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  app::Flags f("udpburst",
               "udpburst --send IPV4 --port P [--count N] [--size BYTES] [--gap-us U]\n"
               "udpburst --recv --port P [--count N] [--timeout-ms T]\n"
               "Sends numbered UDP datagrams, or receives and checks them (count, order, every payload byte).");
  f.add("send", "", "send to this IPv4 address");
  f.add_bool("recv", "receive and check");
  f.add("port", "9000", "UDP port");
  f.add("count", "1000", "datagrams");
  f.add("size", "512", "payload bytes per datagram (at least 4)");
  f.add("gap-us", "0", "sender: pause between datagrams, in microseconds");
  f.add("timeout-ms", "10000", "receiver: give up after this long");
  if (!f.parse(argc, argv)) return f.exit_code();
  return app::run_main([&] {
    const bool send = !f.str("send").empty();
    if (send == f.on("recv")) throw nic::Error("give exactly one of --send IPV4 and --recv (try --help)");
    const uint16_t port = static_cast<uint16_t>(f.u32("port", 1, 65535));
    const uint32_t count = f.u32("count", 1, 10'000'000);
    if (send) return send_burst(f.str("send"), port, count, f.u32("size", 4, 65507), f.u32("gap-us", 0, 1'000'000));
    return receive(port, count, f.u32("timeout-ms", 1, 3'600'000));
  });
}
