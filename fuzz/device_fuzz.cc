// Fuzz target: the whole ixgbe driver (init, rx, tx, stats, link, teardown) against a hostile device
// (sim/fakes/hostile_nic.h) whose register reads and DMA write-backs the input chooses. The driver must end
// every run without a crash, hang or sanitizer report, hand out only sane packets, never the same buffer
// twice, and give back every buffer and every byte of DMA memory.
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "driver/device/device.h"
#include "driver/seam/log.h"
#include "fuzz/fuzz_input.h"
#include "sim/fakes/hostile_nic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nic::set_log_level(nic::LogLevel::kSilent);
  fuzz::Input in(data, size);
  // The first bytes configure the driver; the rest are the adversary's and the app's choices, interleaved.
  nic::DeviceConfig cfg;
  cfg.rx_ring_size = 8u << in.u8(0, 3);
  cfg.tx_ring_size = 8u << in.u8(0, 3);
  cfg.link_timeout_ms = in.u8(0, 20);
  cfg.loopback = in.u8() & 1;
  const uint32_t app_pool_size = 8 + in.u8(0, 64);
  sim::HostileNic nic([&] { return in.empty() ? uint8_t{0} : in.u8(); });
  {
    std::unique_ptr<nic::Device> dev;
    try {
      dev = nic::open_device(nic, cfg);
    } catch (const nic::Error&) {
      if (nic.live_dma() != 0) __builtin_trap();  // a failed init frees everything it took
      return 0;
    }
    nic::Mempool app_pool(nic, app_pool_size);
    std::vector<nic::Packet> held;
    for (int op = 0; op < 4096 && !in.empty(); ++op) {
      switch (in.u8(0, 7)) {
        case 0:
          nic.rx_writeback(in.u8(), in.u32(), in.u16());
          break;
        case 1:
          nic.rx_scribble(in.u8(), in.u64(), in.u64());
          break;
        case 2:
          nic.deliver_rx(in.u16());
          break;
        case 3:
          if (in.u8() & 1) nic.complete_tx();
          else nic.tx_writeback(in.u8(), in.u32());
          break;
        case 4: {  // the app receives
          std::vector<nic::Packet> out(in.u8(1, 64));
          const size_t n = dev->rx_batch(0, out);
          std::set<const nic::PktBuf*> seen;
          for (const nic::Packet& p : held) seen.insert(p.get());
          for (size_t i = 0; i < n; ++i) {
            if (!out[i] || out[i].size() == 0 || out[i].size() > nic::Mempool::kRxBufBytes) __builtin_trap();
            if (!seen.insert(out[i].get()).second) __builtin_trap();
            out[i].data()[out[i].size() - 1] ^= 1;  // every byte handed out is the app's
            held.push_back(std::move(out[i]));
          }
          break;
        }
        case 5: {  // the app transmits: its own packets (any size, even invalid) and received ones
          std::vector<nic::Packet> out(in.u8(0, 40));
          for (auto& p : out) {
            if ((in.u8() & 3) == 0 && !held.empty()) {
              p = std::move(held.back());
              held.pop_back();
            } else {
              p = nic::Packet::alloc(app_pool, in.u16() % 2100);
            }
          }
          for (auto& p : out)
            if (p && p.size() > p.pool().data_capacity()) p.set_size(p.pool().data_capacity() + 1);  // app bug
          const size_t took = dev->tx_batch(0, out);
          for (size_t i = 0; i < took; ++i)
            if (out[i]) __builtin_trap();  // taken handles are empty
          break;
        }
        case 6:
          for (uint32_t k = in.u8(0, 16); k && !held.empty(); --k) held.pop_back();
          break;
        case 7:
          try {
            nic::DeviceStats s;
            dev->read_stats(s);
            (void)dev->link();
          } catch (const nic::Error&) {
            // a dead device may be reported; the run goes on
          }
          break;
      }
    }
    held.clear();
    dev->shutdown();
    if (app_pool.in_use() != 0) __builtin_trap();
    if (dev->rx_pool(0).in_use() != 0) __builtin_trap();  // after shutdown nothing is on the rings
  }
  if (nic.live_dma() != 0) __builtin_trap();
  return 0;
}
