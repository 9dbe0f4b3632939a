// Fuzz target: the driver's real rx path (BasicRxRing::rx_batch) against a device that writes whatever the
// input says into the receive descriptors: DD on slots never handed back, lengths 0 or beyond the buffer,
// missing EOP, garbage in every field. The driver must hand out only sane packets, never the same buffer
// twice, and get every buffer back into its pool. Every input runs against each descriptor format: advanced
// (82599/82576) and extended (82574), and with each descriptor scan (driver/ring/rx_scan.h: scalar, SSE2, AVX2 where
// the CPU has it): every scan must deliver the same frames (sizes, order, buffers) and count the same drops.
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/seam/log.h"
#include "driver/mem/mempool.h"
#include "driver/ring/ring.h"
#include "driver/ring/rx_scan.h"
#include "fuzz/fuzz_input.h"
#include "sim/fakes/null_nic.h"

namespace {

// What the app saw: per poll, the sizes delivered and each buffer's position in its pool; then the ring's counters.
using Trace = std::vector<uint64_t>;

template <class Ring>
Trace run(const uint8_t* data, size_t size, nic::rxscan::Kind kind) {
  Trace trace;
  sim::NullNic nic("null");  // only its DMA memory and MMIO sink are used here
  nic::set_log_level(nic::LogLevel::kSilent);
  fuzz::Input in(data, size);
  const uint32_t ring_size = 8u << in.u8(0, 3);  // 8..64
  nic::Mempool pool(nic, ring_size + in.u8(0, 64));
  std::vector<nic::Packet> held;
  {
    Ring ring(nic, pool, ring_size, 0x01018);
    ring.set_scan(kind);
    ring.fill();
    auto* desc = static_cast<volatile typename Ring::Desc*>(nic.to_virt(ring.ring_iova(), ring.ring_bytes()));
    while (!in.empty()) {
      switch (in.u8(0, 3)) {
        case 0: {  // the "device" writes back a descriptor
          const uint32_t slot = in.u8(0, 255) % ring_size;
          desc[slot].wb.status_error = in.u32();
          desc[slot].wb.length = in.u16();
          break;
        }
        case 1: {  // the device writes raw bytes over a descriptor (buffer address included)
          const uint32_t slot = in.u8(0, 255) % ring_size;
          auto* raw = reinterpret_cast<volatile uint64_t*>(&desc[slot]);
          raw[0] = in.u64();
          raw[1] = in.u64();
          break;
        }
        case 2: {  // the app polls
          std::vector<nic::Packet> out(in.u8(1, 64));
          const size_t n = ring.rx_batch(out);
          if (n > out.size()) __builtin_trap();
          std::set<const nic::PktBuf*> seen;
          for (const nic::Packet& p : held) seen.insert(p.get());
          trace.push_back(n);
          for (size_t i = 0; i < n; ++i) {
            trace.push_back(uint64_t{out[i].size()} << 32 | static_cast<uint64_t>(out[i].get() - pool.metadata().data()));
            if (!out[i] || out[i].size() == 0 || out[i].size() > ring.max_frame_bytes()) __builtin_trap();
            if (!seen.insert(out[i].get()).second) __builtin_trap();  // the same buffer handed out twice
            std::memset(out[i].data(), 0xA5, out[i].size());            // the app owns every byte it was given
            held.push_back(std::move(out[i]));
          }
          for (size_t i = n; i < out.size(); ++i)
            if (out[i]) __builtin_trap();
          break;
        }
        case 3:  // the app frees some of what it holds
          for (uint32_t k = in.u8(0, 16); k && !held.empty(); --k) held.pop_back();
          break;
      }
    }
    held.clear();
    const nic::RingStats& st = ring.stats();
    trace.insert(trace.end(), {st.packets, st.bytes, st.no_buf, st.bad_desc, st.rx_errors});
  }
  if (pool.in_use() != 0) __builtin_trap();  // ring destroyed, app holds nothing: all buffers are home
  return trace;
}

template <class Ring>
void run_every_scan(const uint8_t* data, size_t size) {
  using nic::rxscan::Kind;
  const Trace scalar = run<Ring>(data, size, Kind::kScalar);
  for (Kind kind : {Kind::kSse2, Kind::kAvx2})
    if (nic::rxscan::available(kind) && run<Ring>(data, size, kind) != scalar) __builtin_trap();  // scans disagree
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run_every_scan<nic::RxRing>(data, size);
  run_every_scan<nic::ExtRxRing>(data, size);
  return 0;
}
