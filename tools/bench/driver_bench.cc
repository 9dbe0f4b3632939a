// Google Benchmark: the driver's hot-path pieces in isolation on the null device (device work is excluded
// with manual timing: only the driver call is timed). Per-packet figures are items_per_second.
//   ./bazelw run -c opt //tools/bench:driver_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <vector>

#include "driver/device/device.h"
#include "driver/seam/log.h"
#include "sim/fakes/null_nic.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Port {
  sim::NullNic nic{"null"};
  std::unique_ptr<nic::Device> dev;
  Port() {
    nic::set_log_level(nic::LogLevel::kError);
    nic::DeviceConfig cfg;
    cfg.link_timeout_ms = 0;
    dev = nic::open_device(nic, cfg);
  }
};

void BM_MempoolAllocFree(benchmark::State& state) {
  sim::NullNic nic("null");
  nic::Mempool pool(nic, 4096);
  std::vector<nic::PktBuf*> bufs(state.range(0));
  for (auto _ : state) {
    const uint32_t n = pool.alloc_bulk(bufs);
    for (uint32_t i = 0; i < n; ++i) pool.free(bufs[i]);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MempoolAllocFree)->Arg(1)->Arg(32);

void BM_RxOnly(benchmark::State& state) {
  Port p;
  std::vector<nic::Packet> bufs(state.range(0));
  int64_t pkts = 0;
  for (auto _ : state) {
    p.nic.deliver_rx();
    const auto t0 = Clock::now();
    const size_t n = p.dev->rx_batch(0, bufs);
    for (size_t i = 0; i < n; ++i) bufs[i].reset();
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - t0).count());
    pkts += static_cast<int64_t>(n);
  }
  state.SetItemsProcessed(pkts);
  p.dev->shutdown();
}
BENCHMARK(BM_RxOnly)->Arg(1)->Arg(8)->Arg(32)->Arg(64)->Arg(256)->UseManualTime();

void BM_TxOnly(benchmark::State& state) {
  Port p;
  nic::Mempool pool(p.nic, 4096);
  std::vector<nic::Packet> bufs(state.range(0));
  int64_t pkts = 0;
  for (auto _ : state) {
    p.nic.complete_tx();
    for (auto& b : bufs) b = nic::Packet::alloc(pool, 60);
    const auto t0 = Clock::now();
    const size_t n = p.dev->tx_batch(0, bufs);
    state.SetIterationTime(std::chrono::duration<double>(Clock::now() - t0).count());
    for (auto& b : bufs) b.reset();
    pkts += static_cast<int64_t>(n);
  }
  state.SetItemsProcessed(pkts);
  p.dev->shutdown();
}
BENCHMARK(BM_TxOnly)->Arg(1)->Arg(8)->Arg(32)->Arg(64)->Arg(256)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
