#include "sim/vfio_user/transport.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vfio_user {

size_t Framer::want() const {
  if (discard_) return static_cast<size_t>(std::min<uint64_t>(discard_, buf_.size()));
  if (have_ < kHeaderSize) return kHeaderSize - have_;
  return header_.msg_size - have_;
}

Framer::Event Framer::commit(size_t n) {
  if (discard_) {
    discard_ -= std::min<uint64_t>(n, discard_);
    return Event::kNone;
  }
  have_ += n;
  if (have_ < kHeaderSize) return Event::kNone;
  if (have_ == kHeaderSize) {
    std::memcpy(&header_, buf_.data(), kHeaderSize);
    if (header_.msg_size < kHeaderSize) return Event::kBadSize;
    if (header_.msg_size > max_) {
      discard_ = header_.msg_size - kHeaderSize;
      have_ = 0;
      return Event::kOversize;
    }
  }
  return have_ == header_.msg_size ? Event::kMessage : Event::kNone;
}

// ---------------------------------------------------------------------------------------------------------
Connection::Connection(int fd, Session& session)
    : fd_(fd), session_(session), framer_(session.max_message()), cmsg_(CMSG_SPACE(sizeof(int) * session.max_msg_fds())) {
  reply_.reserve(4096);
}

Connection::~Connection() {
  drop_fds();
  if (fd_ >= 0) ::close(fd_);
}

void Connection::drop_fds() {
  for (int f : fds_) ::close(f);
  fds_.clear();
  fds_truncated_ = false;
}

bool Connection::service(int budget) {
  for (int handled = 0; handled < budget;) {
    iovec iov{framer_.space(), framer_.want()};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cmsg_.data();
    m.msg_controllen = cmsg_.size();
    const ssize_t n = ::recvmsg(fd_, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      reason_ = std::string("recvmsg: ") + std::strerror(errno);
      return false;
    }
    // Descriptors first: whatever happens next, they are this message's (and closed if it is refused).
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int f;
        std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
        if (fds_.size() < session_.max_msg_fds()) fds_.push_back(f);
        else {
          ::close(f);
          fds_truncated_ = true;
        }
      }
    }
    if (m.msg_flags & MSG_CTRUNC) fds_truncated_ = true;  // the kernel closed the ones that did not fit
    if (n == 0) {
      reason_ = framer_.idle() ? "client disconnected" : "client disconnected in the middle of a message";
      drop_fds();
      return false;
    }
    bytes_in_ += static_cast<uint64_t>(n);
    switch (framer_.commit(static_cast<size_t>(n))) {
      case Framer::Event::kNone: break;
      case Framer::Event::kBadSize:
        reason_ = "message header with size " + std::to_string(framer_.header().msg_size) + " (< 16): stream lost";
        drop_fds();
        return false;
      case Framer::Event::kOversize:
        ++handled;
        session_.refuse(framer_.header(), E2BIG, "message larger than max_data_xfer_size allows", reply_);
        drop_fds();
        if (!send_reply()) return false;
        break;
      case Framer::Event::kMessage: {
        ++handled;
        Session::Result r;
        if (fds_truncated_) {
          session_.refuse(framer_.header(), EINVAL, "more fds than max_msg_fds", reply_);
          drop_fds();
          r = Session::Result::kOk;
        } else {
          r = session_.handle(framer_.message(), fds_, reply_);
          fds_.clear();  // the session owns them now
        }
        framer_.next();
        if (!send_reply()) return false;
        if (r == Session::Result::kClose) {
          reason_ = "session ended: " + session_.last_error();
          return false;
        }
        break;
      }
    }
  }
  return true;
}

bool Connection::send_reply() {
  size_t off = 0;
  while (off < reply_.size()) {
    const ssize_t n = ::send(fd_, reply_.data() + off, reply_.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The client is not reading its replies: wait a while (QEMU gives up on a reply after 5 s anyway).
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 5000) > 0) continue;
      reason_ = "client stopped reading replies";
      return false;
    }
    reason_ = std::string("send: ") + std::strerror(errno);
    return false;
  }
  bytes_out_ += reply_.size();
  reply_.clear();
  return true;
}

// ---------------------------------------------------------------------------------------------------------
int listen_unix(const std::string& path, std::string& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    error = "socket path '" + path + "' is " + (path.empty() ? "empty" : "longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes");
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error = path + " exists and is not a socket";
      return -1;
    }
    // A socket file: in use if something accepts on it, stale (left by a server that died) otherwise.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      error = path + ": address in use (another server is listening there)";
      return -1;
    }
    if (::unlink(path.c_str()) != 0) {
      error = "cannot remove the stale socket " + path + ": " + std::strerror(errno);
      return -1;
    }
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket(AF_UNIX): ") + std::strerror(errno);
    return -1;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    error = "cannot bind " + path + ": " + std::strerror(e) + (e == EADDRINUSE ? " (address in use)" : "") +
            (e == ENOENT ? " (its directory does not exist)" : "");
    ::close(fd);
    return -1;
  }
  if (::listen(fd, 4) != 0) {
    error = "listen on " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

int accept_client(int listen_fd) { return ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); }

}  // namespace vfio_user
