// vfio-user over an AF_UNIX stream socket: message framing, SCM_RIGHTS descriptors, the listening socket.
//
// Framing: a message is a 16-byte header whose msg_size covers the whole message. The connection reads exactly
// what the current message still needs (the rest of its header, then the rest of its body), never past its
// end, so the descriptors the kernel hands out with a read belong to the message being read: a client sends
// each message (and its fds) with one sendmsg(), and the kernel detaches an skb's fds on its first read. All
// fds received while a message is read are that message's; more than max_msg_fds is an error reply (the
// kernel already closed what did not fit: MSG_CTRUNC), the ones received are closed.
//
// A header whose msg_size is below 16 cannot be resynchronised: the connection closes. A message larger than
// the session takes gets an E2BIG reply and its body is read and discarded. The Framer is the byte-level part,
// socket-free, so the fuzzer drives the same code with arbitrary chunks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/vfio_user/protocol.h"
#include "sim/vfio_user/session.h"

namespace vfio_user {

class Framer {
 public:
  explicit Framer(uint32_t max_message) : max_(std::max<uint32_t>(max_message, kHeaderSize)), buf_(max_) {}
  // Where the next bytes go, and at most how many to read now (never 0).
  uint8_t* space() { return discard_ ? buf_.data() : buf_.data() + have_; }
  size_t want() const;
  enum class Event {
    kNone,       // more bytes needed
    kMessage,    // message() holds one whole message; call next() when done with it
    kOversize,   // header() announced more than max_message: its body will be discarded
    kBadSize,    // header() announced fewer than 16 bytes: the stream is lost
  };
  // `n` bytes (n <= want()) were written at space().
  Event commit(size_t n);
  std::span<const uint8_t> message() const { return {buf_.data(), have_}; }
  const Header& header() const { return header_; }
  void next() { have_ = 0; }
  bool idle() const { return have_ == 0 && discard_ == 0; }

 private:
  uint32_t max_;
  std::vector<uint8_t> buf_;
  size_t have_ = 0;
  uint64_t discard_ = 0;  // body bytes of an oversize message still to drop
  Header header_{};
};

// One client on a connected socket (non-blocking). service() reads what has arrived, hands each message to
// the session, sends its reply; one thread, no locking (the caller serialises with the device model).
class Connection {
 public:
  Connection(int fd, Session& session);  // owns fd
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Handles up to `budget` messages without blocking on input. false: the connection is over (peer closed,
  // unrecoverable stream, send failure, or the session said so); reason() says why.
  bool service(int budget = 64);
  int fd() const { return fd_; }
  const std::string& reason() const { return reason_; }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }

 private:
  bool send_reply();
  void drop_fds();
  int fd_;
  Session& session_;
  Framer framer_;
  std::vector<int> fds_;  // received with the message being read
  bool fds_truncated_ = false;
  std::vector<uint8_t> reply_;
  std::vector<uint8_t> cmsg_;
  std::string reason_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
};

// A listening AF_UNIX stream socket at `path`. A stale socket file there (nobody accepting) is replaced; a
// live one (another server), a non-socket file, a path too long for sockaddr_un or an unusable directory is
// an error: returns -1 with `error` saying which.
int listen_unix(const std::string& path, std::string& error);
// accept4() non-blocking and close-on-exec; -1 on EAGAIN or error.
int accept_client(int listen_fd);

}  // namespace vfio_user
