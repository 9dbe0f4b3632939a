// The driver's public API: a device handle with rx/tx queues, batch calls on spans of Packets, stats, MAC,
// link. Device families (ixgbe, igb) implement it on top of a Backend and the shared rings.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "driver/backend.h"
#include "driver/error.h"
#include "driver/mempool.h"
#include "driver/ring.h"

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

// Opens the right family for the backend's PCI identity (82599 → ixgbe, 82576 → igb) and initializes it.
// Throws nic::Error with a clear message for unsupported devices or failed init.
std::unique_ptr<Device> open_device(Backend& backend, const DeviceConfig& config);

}  // namespace nic
