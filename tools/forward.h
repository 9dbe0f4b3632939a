// One forwarding step, ixy-fwd semantics: receive a batch on `rx` queue q, touch each packet (as a real app
// would; ixy does this), send it on `tx` queue q; what tx does not take is dropped (and freed) here. Returns
// how many packets were received. tools/fwd runs it, and the benchmarks measure exactly it: it is never
// inlined, so callgrind's --toggle-collect='*forward*' counts this and nothing else (tools/bench/RESULTS.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "driver/device/device.h"

namespace app {

[[gnu::noinline]] inline size_t forward(nic::Device& rx, nic::Device& tx, std::vector<nic::Packet>& bufs,
                                        uint16_t q = 0) {
  const size_t n = rx.rx_batch(q, bufs);
  for (size_t i = 0; i < n; ++i) bufs[i].data()[1]++;
  const size_t sent = tx.tx_batch(q, std::span(bufs.data(), n));
  for (size_t i = sent; i < n; ++i) bufs[i].reset();
  return n;
}

}  // namespace app
