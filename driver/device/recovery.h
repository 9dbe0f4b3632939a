// The two pieces of state recovery keeps, as small objects with no device behind them (tests/recovery_test.cc
// drives them directly). The watchdog and the recovery sequence that use them are DeviceBase::watchdog() and
// DeviceBase::recover() in recovery.cc.
#pragma once

#include <cstdint>

#include "driver/device/device.h"

namespace nic {

// The device's clear-on-read counters across a reset. Recovery reads the counters before it resets the
// device (the reset zeroes them) and banks them here; the next read_stats() hands the banked counts out
// once, before the device's own. Nothing is counted twice and nothing is lost.
class CounterCarry {
 public:
  void bank(const DeviceStats& counted) { add(banked_, counted); }
  // Adds what is banked to `s` and empties the bank.
  void drain_into(DeviceStats& s) {
    add(s, banked_);
    banked_ = {};
  }
  const DeviceStats& banked() const { return banked_; }

 private:
  static void add(DeviceStats& to, const DeviceStats& from) {
    to.rx_packets += from.rx_packets;
    to.tx_packets += from.tx_packets;
    to.rx_bytes += from.rx_bytes;
    to.tx_bytes += from.tx_bytes;
    to.rx_missed += from.rx_missed;
    to.rx_no_desc += from.rx_no_desc;
    to.rx_crc_errors += from.rx_crc_errors;
  }

  DeviceStats banked_;
};

// Tx hang detection for one queue ("Tx Unit Hang", in the spirit of Linux ixgbe's service task). Progress =
// descriptors completed since the last look: fewer in flight than before plus what was sent since. A queue
// with descriptors in flight, the link up and no progress for longer than the timeout is hung. A queue with
// nothing in flight, or no link, is never hung (frames wait for the link, as they should).
class TxHangCheck {
 public:
  // One look at the queue (after its completed descriptors were reclaimed). Returns true when it is hung.
  // timeout_ns 0: never hung.
  bool hung(uint32_t in_flight, uint64_t packets_sent, bool link_up, uint64_t now_ns, uint64_t timeout_ns) {
    const bool progress = in_flight == 0 || in_flight < in_flight_ + (packets_sent - packets_);
    bool is_hung = false;
    if (progress || !link_up || since_ns_ == 0) since_ns_ = now_ns;
    else if (timeout_ns != 0 && now_ns - since_ns_ > timeout_ns) is_hung = true;
    in_flight_ = in_flight;
    packets_ = packets_sent;
    return is_hung;
  }
  // After a recovery: the queue starts afresh.
  void reset() { *this = TxHangCheck{}; }

 private:
  uint64_t since_ns_ = 0;  // last time the queue made progress (or had nothing to do, or no link)
  uint32_t in_flight_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace nic
