// Fuzz target: the vfio-user server's framing and command handling (sim/vfio_user) on the 82599 model, fed
// arbitrary bytes as a client's byte stream. File descriptors cannot be fuzzed (none are passed): DMA_MAP
// without one records a range the device cannot reach, SET_IRQS without eventfds enables and de-assigns.
//
// Input: byte 0 shapes the stream: bit 7 set = no VERSION is sent first (by default one is, so the fuzzer
// reaches every command at once); bits 6:0 = the most bytes one read delivers (0: whatever the framer asks
// for), so messages arrive split as they may from a socket. The rest is the stream.
#include <cstdint>
#include <vector>

#include "sim/vfio_user/ixgbe_function.h"
#include "sim/vfio_user/session.h"
#include "sim/vfio_user/testing/client.h"
#include "sim/vfio_user/transport.h"
#include "sim/world.h"

namespace {

bool feed(vfio_user::Framer& framer, vfio_user::Session& session, const uint8_t* data, size_t size, size_t cap,
          std::vector<uint8_t>& reply) {
  size_t at = 0;
  while (at < size) {
    size_t n = std::min(framer.want(), size - at);
    if (cap) n = std::min(n, cap);
    std::memcpy(framer.space(), data + at, n);
    at += n;
    switch (framer.commit(n)) {
      case vfio_user::Framer::Event::kNone: break;
      case vfio_user::Framer::Event::kBadSize: return false;
      case vfio_user::Framer::Event::kOversize:
        session.refuse(framer.header(), E2BIG, "too large", reply);
        break;
      case vfio_user::Framer::Event::kMessage: {
        const auto r = session.handle(framer.message(), {}, reply);
        framer.next();
        if (r == vfio_user::Session::Result::kClose) return false;
        break;
      }
    }
    reply.clear();
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  sim::World world({}, sim::Fidelity::kFunctional);
  vfio_user::IxgbeFunction fn(world, sim::IxgbeConfig{.name = "fuzz"});
  // A small max_data_xfer keeps the framer's buffer (and the oversize path) cheap to reach.
  vfio_user::Session session(fn, vfio_user::SessionOptions{.max_data_xfer = 8192});
  vfio_user::Framer framer(session.max_message());
  std::vector<uint8_t> reply;
  const size_t cap = data[0] & 0x7F;
  if (!(data[0] & 0x80)) {
    const auto v = vfio_user::testing::version(0);
    if (!feed(framer, session, v.data(), v.size(), 0, reply)) __builtin_trap();  // a valid VERSION must pass
  }
  feed(framer, session, data + 1, size - 1, cap, reply);
  world.advance(1000);  // whatever the messages set in motion runs (DMA into nothing mapped faults, counted)
  return 0;
}
