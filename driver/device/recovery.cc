// The watchdog and the recovery sequence of every family (DeviceBase), in the spirit of Linux ixgbe's service
// task: a handful of register reads per watchdog call, none on the hot path.
#include <algorithm>

#include "driver/device/device_base.h"
#include "driver/seam/error.h"
#include "driver/seam/log.h"

namespace nic {

Health DeviceBase::watchdog() {
  if (health_.dead) return Health::kDead;
  if (!running_) return Health::kOk;  // shut down by the app
  try {
    if (mmio_.read(layout_.status) == 0xFFFFFFFFu) {
      mark_dead("device reads all-ones (removed from the bus or dead)");
      return Health::kDead;
    }
    // Init set this bit for the device's whole life; finding it clear means the device reset itself.
    if (!(mmio_.read(layout_.configured, 0) & layout_.configured_mask)) {
      ++health_.device_resets;
      return recover("device lost its configuration (reset by itself?)", true);
    }
    const bool up = link().up;
    if (up != health_.link_up) {
      ++health_.link_changes;
      health_.link_up = up;
      log(up ? LogLevel::kInfo : LogLevel::kWarn, "%s: link %s", backend_.name().c_str(), up ? "up" : "down");
    }
    const uint64_t now = backend_.now_ns();
    const uint64_t timeout = static_cast<uint64_t>(config_.tx_hang_timeout_ms) * 1'000'000;
    bool hung = false;
    for (uint16_t q = 0; q < tx_queues(); ++q) {
      const TxState t = reclaim_tx(q);
      if (tx_hang_[q].hung(t.in_flight, t.packets, up, now, timeout)) hung = true;
    }
    // Receive: slots the device took and never wrote back (ring.h, reclaim_lost) go back to it.
    for (uint16_t q = 0; q < rx_queues(); ++q) reclaim_lost_rx(q, mmio_.read(layout_.rdh, q));
    if (hung) {
      ++health_.tx_hangs;
      return recover("tx unit hang: descriptors in flight, none completed", false);
    }
    return up ? Health::kOk : Health::kLinkDown;
  } catch (const DeviceDead& e) {
    mark_dead(e.what());
    return Health::kDead;
  }
}

// Reset and re-initialize the device from config_ on the queues of init (nothing is allocated: once
// privileges are dropped, new DMA memory could not be mapped). Every buffer in a ring goes back to its
// pool; what is dropped that way is counted in health_.
Health DeviceBase::recover(const char* why, bool device_lost_registers) {
  log(LogLevel::kWarn, "%s: %s; resetting the device", backend_.name().c_str(), why);
  ++health_.recoveries;
  try {
    // 1. Stop DMA: receive off, every queue off, and wait (bounded) until the device says so.
    quiesce();
    // 2. The device's counters before the reset zeroes them: banked, handed out by the next read_stats().
    ensure_present();
    DeviceStats before;
    read_counters(before);
    carry_.bank(before);
    // 3. Empty the rings. Transmit: keep what completed; what the device never processed (TDH..TDT) is
    // dropped. When the device lost its registers nobody knows, so every unconfirmed packet counts as dropped.
    // Receive: frames the device completed are dropped.
    for (uint16_t q = 0; q < tx_queues(); ++q) {
      uint32_t dropped = reclaim_tx(q).in_flight;
      if (!device_lost_registers) {
        const uint32_t size = config_.tx_ring_size;
        const uint32_t head = mmio_.read(layout_.tdh, q), tail = mmio_.read(layout_.tdt, q);
        if (head < size && tail < size) dropped = std::min(dropped, (tail - head) & (size - 1));
      }
      health_.tx_discarded += dropped;
      reset_tx(q);
    }
    health_.rx_discarded += discard_rx();
    // 4. Re-arm: the family's whole init again, which programs the rings and starts the queues (rx rings
    // filled afresh), then the interrupt registers the reset cleared, and the hang checks start over.
    reinit();
    if (irq_) irq_->set_regs(setup_msix(irq_config_));
    for (TxHangCheck& h : tx_hang_) h.reset();
    health_.link_up = link().up;
    return Health::kRecovered;
  } catch (const Error& e) {
    mark_dead(std::string("recovery failed: ") + e.what());
    return Health::kDead;
  }
}

// The device is gone (or unusable): nothing will DMA any more, so every buffer goes back to its pool.
void DeviceBase::mark_dead(const std::string& why) {
  log(LogLevel::kError, "%s: %s; device stopped", backend_.name().c_str(), why.c_str());
  health_.dead = true;
  health_.link_up = false;
  running_ = false;
  for (uint16_t q = 0; q < tx_queues(); ++q) health_.tx_discarded += reclaim_tx(q).in_flight;
  release_buffers();
}

}  // namespace nic
