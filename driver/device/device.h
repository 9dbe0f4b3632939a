// The driver's public API: a device handle with rx/tx queues, batch calls on spans of Packets, stats, MAC,
// link. Device families (ixgbe, igb, e1000e) implement it on top of a Backend and the shared rings.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "driver/seam/backend.h"
#include "driver/seam/error.h"
#include "driver/mem/mempool.h"
#include "driver/ring/ring.h"

namespace nic {

using MacAddr = std::array<uint8_t, 6>;
std::string format_mac(const MacAddr& mac);

struct LinkStatus {
  bool up = false;
  uint32_t speed_mbps = 0;  // 0 when down
};

// Counters read from the device (they clear on read there; here they accumulate).
struct DeviceStats {
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_missed = 0;    // dropped by the device: rx packet buffer full (MPC)
  uint64_t rx_no_desc = 0;   // dropped by the device: no free descriptor with SRRCTL.DROP_EN (QPRDC)
  uint64_t rx_crc_errors = 0;
};

struct DeviceConfig {
  uint16_t rx_queues = 1;
  uint16_t tx_queues = 1;
  uint32_t rx_ring_size = 512;
  uint32_t tx_ring_size = 512;
  // Buffers per rx queue's mempool; 0 = rx_ring_size + tx_ring_size (room for packets in flight to tx).
  uint32_t rx_pool_size = 0;
  bool promiscuous = true;
  bool loopback = false;            // MAC loopback (HLREG0.LPBK on the 82599): tx comes back to rx
  uint32_t link_timeout_ms = 10000;  // 0 = do not wait for link
  // Device::watchdog(): a tx queue with descriptors in flight and no completion for this long, while the
  // link is up, is hung ("Tx Unit Hang") and the device is reset and re-initialized. 0 = never.
  uint32_t tx_hang_timeout_ms = 1000;
};

// Device::enable_interrupts(): MSI-X, one vector per rx queue (rx queue q -> vector q).
struct InterruptConfig {
  // Interrupt moderation (EITR): at least this many microseconds between two interrupts of one vector.
  // 0 = none. The 82599 counts in 2.048 us units (up to 1046 us), the 82576 in 1 us units (up to 8191 us).
  uint32_t interval_us = 100;
};

// What Device::watchdog() found.
enum class Health {
  kOk,         // running, link up
  kLinkDown,   // running, no link: frames queued for transmit wait, nothing arrives
  kRecovered,  // a tx hang or a device reset was found; the device was re-initialized from its config
  kDead,       // the device is gone (all-ones reads) or could not be re-initialized: rx/tx do nothing
};

// Reliability counters kept by the driver (Device::health()).
struct DeviceHealth {
  bool dead = false;
  bool link_up = false;
  uint64_t link_changes = 0;    // link transitions the watchdog saw
  uint64_t tx_hangs = 0;        // tx queues found hung
  uint64_t device_resets = 0;   // times the device was found reset (its queues disabled behind our back)
  uint64_t recoveries = 0;      // re-initializations performed
  // Packets the driver discarded while recovering: tx packets handed to the device that it had not
  // processed (TDH..TDT; all unconfirmed ones when the device lost its registers), and frames the device had
  // already written to the rx ring. Both are counted as drops; buffers go back to their pools.
  uint64_t tx_discarded = 0;
  uint64_t rx_discarded = 0;
};

class Device {
 public:
  virtual ~Device() = default;

  // Receives up to out.size() packets from `queue`; entries must be empty handles. Returns the count.
  virtual size_t rx_batch(uint16_t queue, std::span<Packet> out) = 0;
  // Takes a prefix of `pkts` for transmission on `queue`; taken handles become empty. Returns its length.
  virtual size_t tx_batch(uint16_t queue, std::span<Packet> pkts) = 0;

  // Stops the device's DMA (receive off, queues disabled) and returns every buffer its rings hold to the
  // buffers' pools. Afterwards rx/tx do nothing. Apps whose devices forward into each other call it on all
  // of them before destroying any (a tx ring may hold buffers from another device's pool); destruction
  // calls it too.
  virtual void shutdown() = 0;

  // Accumulates the device's clear-on-read counters into `stats`. Throws DeviceDead if the device is gone.
  virtual void read_stats(DeviceStats& stats) = 0;

  // Health check for the app to call periodically (e.g. every 10-100 ms; never on the hot path): notices
  // link changes, a dead device (all-ones), a device that reset itself, and tx queues whose descriptors
  // stopped completing; recovers the last two by re-initializing the device from its config (buffers in
  // the rings go back to their pools and are counted in health()). Families without one report kOk.
  virtual Health watchdog() { return Health::kOk; }
  virtual DeviceHealth health() const { return {}; }

  // --- Interrupts (MSI-X through the backend's eventfds). Families without them throw nic::Error from
  // enable_interrupts() and wait_rx(). After enable_interrupts() every rx queue's vector is masked except
  // while the app waits for it, so a queue that is being polled raises no interrupts at all.
  virtual void enable_interrupts(const InterruptConfig& config);
  // Blocks until rx queue `queue` has a frame or its interrupt fired (true), or `timeout_ms` passed or a
  // signal arrived (false). Returns true at once when a frame is already waiting. Clears the queue's cause,
  // unmasks its vector, sleeps in poll(2) on the eventfd, masks the vector again and consumes the eventfd.
  virtual bool wait_rx(uint16_t queue, uint32_t timeout_ms);
  // The same in pieces, to wait on several queues or devices in one poll(2): arm_rx() clears the cause and
  // unmasks the vector and returns true when a frame already waits (then do not sleep); poll
  // rx_interrupt_fd() for POLLIN; disarm_rx() masks the vector again and consumes the eventfd.
  virtual bool arm_rx(uint16_t queue);
  virtual void disarm_rx(uint16_t queue);
  virtual int rx_interrupt_fd(uint16_t queue) const { return (void)queue, -1; }
  // Interrupts taken on rx queue `queue` (eventfd counts consumed) since enable_interrupts().
  virtual uint64_t rx_interrupts(uint16_t queue) const { return (void)queue, 0; }
  virtual LinkStatus link() = 0;
  virtual MacAddr mac() = 0;
  virtual void set_mac(const MacAddr& mac) = 0;
  virtual void set_promiscuous(bool on) = 0;

  virtual std::string driver_name() const = 0;
  virtual uint16_t rx_queues() const = 0;
  virtual uint16_t tx_queues() const = 0;
  // The mempool behind rx queue q (apps allocate tx packets from their own pools).
  virtual Mempool& rx_pool(uint16_t queue) = 0;
  virtual const RingStats& rx_ring_stats(uint16_t queue) const = 0;
  virtual const RingStats& tx_ring_stats(uint16_t queue) const = 0;
};

// Opens the right family for the backend's PCI identity (82599 → ixgbe, 82576 → igb, 82574 → e1000e) and
// initializes it.
// Throws nic::Error with a clear message for unsupported devices or failed init.
std::unique_ptr<Device> open_device(Backend& backend, const DeviceConfig& config);
// True for the PCI ids some family drives (82599, 82576, 82574 families).
bool is_supported_device(uint16_t vendor, uint16_t device);

}  // namespace nic
