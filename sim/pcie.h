// The PCIe link between one simulated 82599 and host memory: two independent pipes (upstream = device to
// host: memory writes and read requests; downstream = host to device: completions and MMIO writes). A pipe
// serializes TLPs one after the other at the link's byte rate (payload + per-TLP overhead) and delivers each
// `pcie_latency_ns` after its last byte left. All times are picoseconds on the World clock (ns * 1000).
//
//   write(t, n)  n bytes of posted writes, split at MPS:          visible in host memory at the returned time
//   read(t, n)   requests split at MRRS go up, completions split at the RCB come down: data on chip at the
//                returned time (two latencies plus both serializations)
//   doorbell(t)  a 4-byte MMIO write from the CPU:                 reaches the device at the returned time
//
// Posted writes on one pipe arrive in issue order, so "data, then descriptor write-back" is ordered by
// construction, as on the real link.
#pragma once

#include <algorithm>
#include <cstdint>

#include "sim/params.h"

namespace sim {

class Pcie {
 public:
  explicit Pcie(const Params& p) : p_(p) {}

  uint64_t write(uint64_t t_ps, uint64_t bytes) {
    const uint64_t tlps = std::max<uint64_t>(1, (bytes + p_.pcie_max_payload - 1) / p_.pcie_max_payload);
    up_bytes_ += bytes + tlps * p_.pcie_write_overhead;
    up_free_ = std::max(t_ps, up_free_) + (bytes + tlps * p_.pcie_write_overhead) * p_.pcie_ps_per_byte;
    return up_free_ + latency_ps();
  }

  uint64_t read(uint64_t t_ps, uint64_t bytes) {
    const uint64_t reqs = std::max<uint64_t>(1, (bytes + p_.pcie_max_read_request - 1) / p_.pcie_max_read_request);
    up_bytes_ += reqs * p_.pcie_read_request_bytes;
    up_free_ = std::max(t_ps, up_free_) + reqs * p_.pcie_read_request_bytes * p_.pcie_ps_per_byte;
    const uint64_t at_host = up_free_ + latency_ps();
    const uint64_t cpls = std::max<uint64_t>(1, (bytes + p_.pcie_read_completion - 1) / p_.pcie_read_completion);
    down_bytes_ += bytes + cpls * p_.pcie_completion_overhead;
    down_free_ = std::max(at_host, down_free_) + (bytes + cpls * p_.pcie_completion_overhead) * p_.pcie_ps_per_byte;
    return down_free_ + latency_ps();
  }

  // Posted writes may pass completions (PCIe ordering rules), so a doorbell does not queue behind read data.
  uint64_t doorbell(uint64_t t_ps) {
    down_bytes_ += 4 + p_.pcie_write_overhead;
    return t_ps + (4 + p_.pcie_write_overhead) * p_.pcie_ps_per_byte + latency_ps();
  }

  // How much work the downstream pipe still holds at t (host side, ps).
  uint64_t downstream_backlog_ps(uint64_t t_ps) const { return down_free_ > t_ps ? down_free_ - t_ps : 0; }
  // When the upstream pipe has sent everything issued so far (device time, ps).
  uint64_t upstream_free_ps() const { return up_free_; }
  uint64_t latency_ps() const { return p_.pcie_latency_ns * 1000; }
  // Bytes put on each pipe, TLP overhead included (for utilization figures).
  uint64_t upstream_bytes() const { return up_bytes_; }
  uint64_t downstream_bytes() const { return down_bytes_; }
  void reset() { up_free_ = down_free_ = 0; }

 private:
  const Params& p_;
  uint64_t up_free_ = 0, down_free_ = 0;
  uint64_t up_bytes_ = 0, down_bytes_ = 0;
};

}  // namespace sim
