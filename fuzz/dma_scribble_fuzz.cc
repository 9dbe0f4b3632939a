// Fuzz target: a device that writes whatever it likes over every byte it can reach. Two simulated 82599 ports
// (the input picks the timed or functional model, ring sizes and queues) carry traffic both ways while the
// input writes arbitrary bytes over any DMA region of either port — descriptor rings, packet buffers in use
// or free — between the app's rx, tx, free, stats, watchdog and shutdown calls.
//
// What the device can reach is packet bytes and descriptors (driver/mem/mempool.h keeps buffer metadata in host
// memory; IOVAs are not host addresses), so whatever it writes, the driver must:
//   - not crash, hang or trip a sanitizer;
//   - hand out only packets of its own rx pool, 1..data_capacity() bytes long, never a buffer twice;
//   - after shutdown, have every buffer of every pool back: the pool balance exact, dead port or not.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "driver/device/device.h"
#include "driver/seam/error.h"
#include "driver/seam/log.h"
#include "fuzz/fuzz_input.h"
#include "sim/sim_backend.h"
#include "sim/world.h"

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

struct Port {
  std::unique_ptr<sim::SimNic> nic;
  std::unique_ptr<nic::Device> dev;
  std::unique_ptr<nic::Mempool> app_pool;  // what this port's app sends from
};

struct Harness {
  sim::World world;
  Port port[2];
  std::vector<nic::Packet> held;  // received packets the app keeps (any port's)
  std::set<const nic::PktBuf*> held_set;
  uint32_t seq = 0;

  explicit Harness(sim::Fidelity model) : world({}, model) {
    for (int i = 0; i < 2; ++i) {
      sim::IxgbeConfig c;
      c.name = "sim:" + std::to_string(i);
      c.mac = {0x02, 0x53, 0x49, 0x4d, 0x00, static_cast<uint8_t>(i)};
      c.strict = false;  // the device's own DMA faults are the point here, not the driver's register rules
      port[i].nic = std::make_unique<sim::SimNic>(world, c);
    }
    sim::Ixgbe82599::cable(port[0].nic->device(), port[1].nic->device());
  }

  // Writes `len` bytes (from the input) at `offset` into DMA region `which` of port `p`, as the device could.
  void scribble(fuzz::Input& in, int p, uint32_t which, uint32_t offset, uint32_t len) {
    const std::vector<nic::DmaRegion> regions = port[p].nic->regions();
    if (regions.empty()) return;
    const nic::DmaRegion& r = regions[which % regions.size()];
    offset %= r.size;
    len = std::min<uint32_t>(len, r.size - offset);
    auto* dst = static_cast<uint8_t*>(r.virt) + offset;
    const size_t got = in.bytes(dst, len);
    std::memset(dst + got, 0xFF, len - got);  // past the input's end: all-ones, as a dead device reads
  }

  // A write-back shaped write: 16 bytes at a 16-byte boundary whose status word has DD (and maybe EOP) set,
  // so the fuzzer reaches the ring code's checks without having to guess the format.
  void fake_writeback(fuzz::Input& in, int p, uint32_t which, uint32_t slot) {
    const std::vector<nic::DmaRegion> regions = port[p].nic->regions();
    if (regions.empty()) return;
    const nic::DmaRegion& r = regions[which % regions.size()];
    const size_t off = (slot * 16ull) % (r.size & ~size_t{15});
    uint8_t wb[16];
    const uint64_t lo = in.u64();
    const uint32_t status_error = in.u32() | 1u;  // bit 0: DD (rx and tx write-back formats)
    const uint32_t len_vlan = in.u32();
    std::memcpy(wb, &lo, 8);
    std::memcpy(wb + 8, &status_error, 4);
    std::memcpy(wb + 12, &len_vlan, 4);
    std::memcpy(static_cast<uint8_t*>(r.virt) + off, wb, 16);
  }

  void send(fuzz::Input& in, int p, uint16_t q, uint32_t n) {
    Port& src = port[p];
    std::vector<nic::Packet> batch(n);
    const nic::MacAddr dst = {0x02, 0x53, 0x49, 0x4d, 0x00, static_cast<uint8_t>(1 - p)};
    for (auto& pkt : batch) {
      if ((in.u8() & 3) == 0 && !held.empty()) {  // forward a received packet (another pool's buffer)
        pkt = std::move(held.back());
        held_set.erase(pkt.get());
        held.pop_back();
        continue;
      }
      pkt = nic::Packet::alloc(*src.app_pool, 60 + in.u16() % 1455);
      if (!pkt) break;
      std::memcpy(pkt.data(), dst.data(), 6);
      std::memcpy(pkt.data() + 14, &seq, 4);
      ++seq;
    }
    const size_t took = src.dev->tx_batch(q, batch);
    for (size_t i = 0; i < took; ++i)
      if (batch[i]) fail();  // taken handles are empty
  }

  void receive(int p, uint16_t q, uint32_t n, bool keep) {
    nic::Device& dev = *port[p].dev;
    std::vector<nic::Packet> out(n);
    const size_t got = dev.rx_batch(q, out);
    if (got > n) fail();
    const nic::Mempool& pool = dev.rx_pool(q);
    const auto* lo = static_cast<const uint8_t*>(pool.dma_region().virt);
    const auto* hi = lo + pool.dma_region().size;
    for (size_t i = 0; i < got; ++i) {
      nic::Packet& pkt = out[i];
      if (!pkt || pkt.size() == 0 || pkt.size() > pool.data_capacity()) fail();
      if (&pkt.pool() != &pool) fail();  // a buffer of this queue's pool, nobody else's
      if (pkt.data() < lo || pkt.data() + pkt.size() > hi) fail();
      if (held_set.count(pkt.get())) fail();  // handed out twice
      pkt.data()[pkt.size() - 1] ^= 1;        // every byte handed out is the app's to write
      if (keep) {
        held_set.insert(pkt.get());
        held.push_back(std::move(pkt));
      }
    }
  }

  void release(uint32_t k) {
    for (; k && !held.empty(); --k) {
      held_set.erase(held.back().get());
      held.pop_back();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nic::set_log_level(nic::LogLevel::kSilent);
  fuzz::Input in(data, size);
  const uint8_t setup = in.u8();
  Harness h(setup & 1 ? sim::Fidelity::kFunctional : sim::Fidelity::kTimed);
  nic::DeviceConfig cfg;
  cfg.rx_queues = cfg.tx_queues = 1 + ((setup >> 1) & 1);
  cfg.rx_ring_size = 8u << ((setup >> 2) & 3);  // 8..64: small rings wrap often
  cfg.tx_ring_size = 8u << ((setup >> 4) & 3);
  cfg.link_timeout_ms = 100;
  cfg.tx_hang_timeout_ms = 1 + in.u8(0, 19);
  for (Port& p : h.port) {
    p.dev = nic::open_device(*p.nic, cfg);  // nothing hostile has happened yet: init must succeed
    p.app_pool = std::make_unique<nic::Mempool>(*p.nic, 64);
  }
  const uint16_t queues = cfg.rx_queues;

  bool down[2] = {false, false};  // shut down by the app
  for (int op = 0; op < 256 && !in.empty(); ++op) {
    const uint8_t b = in.u8();
    const int p = b >> 7;
    const uint16_t q = (b >> 4) % queues;
    switch (b & 15) {
      case 0:
      case 1:
        h.scribble(in, p, in.u8(), in.u32(), in.u8(1, 64));
        break;
      case 2:
        h.fake_writeback(in, p, in.u8(), in.u16());
        break;
      case 3:
      case 4:
        h.send(in, p, q, in.u8(1, 32));
        break;
      case 5:
      case 6:
        h.world.advance(1'000 + in.u16() * 100ull);  // up to 6.5 ms of virtual time
        break;
      case 7:
      case 8:
        h.receive(p, q, in.u8(1, 64), in.u8() & 1);
        break;
      case 9:
        h.release(in.u8(0, 64));
        break;
      case 10:
        try {
          nic::DeviceStats s;
          h.port[p].dev->read_stats(s);
          (void)h.port[p].dev->link();
        } catch (const nic::Error&) {
          // a dead device is reported; the run goes on
        }
        break;
      case 11:
      case 12: {
        const nic::Health health = h.port[p].dev->watchdog();
        if (down[p] && health == nic::Health::kRecovered) fail();  // a shut-down port stays down
        break;
      }
      case 13:
        h.world.advance(20'000'000);  // long enough for every hang timeout to expire
        (void)h.port[0].dev->watchdog();
        (void)h.port[1].dev->watchdog();
        break;
      case 14:
        h.port[p].dev->shutdown();
        down[p] = true;
        break;
      default:
        (void)h.port[p].dev->health();
        break;
    }
  }
  h.release(~0u);
  // Ports forward into each other: shut both down before looking at any pool (a tx ring may hold the other
  // port's rx buffers).
  for (Port& p : h.port) p.dev->shutdown();
  for (Port& p : h.port) {
    if (p.app_pool->in_use() != 0) fail();
    for (uint16_t q = 0; q < queues; ++q)
      if (p.dev->rx_pool(q).in_use() != 0) fail();
  }
  for (Port& p : h.port) {
    p.app_pool.reset();
    p.dev.reset();
  }
  for (Port& p : h.port)
    if (p.nic->dma_regions() != 0) fail();  // every byte of DMA memory given back
  return 0;
}
