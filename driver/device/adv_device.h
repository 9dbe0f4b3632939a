// The part of a device family that is the same for every NIC using advanced descriptors (82599, 82576):
// queues (mempool + rx ring + tx ring per queue), the hot path, ring programming, queue start, shutdown.
// A family supplies its register layout (FamilyLayout) and the datasheet steps that differ.
#pragma once

#include <memory>
#include <vector>

#include "driver/device/device.h"
#include "driver/device/interrupts.h"
#include "driver/regmap/mmio.h"
#include "driver/regmap/reg.h"

namespace nic {

// Where a family keeps the registers the shared code uses: per-queue ring registers, the queue-enable bit
// (bit 25 on both 82599 and 82576, in RXDCTL and TXDCTL), the MAC address, and STATUS (presence check).
struct FamilyLayout {
  const reg::RegDef& rdbal;
  const reg::RegDef& rdbah;
  const reg::RegDef& rdlen;
  const reg::RegDef& rdh;
  const reg::RegDef& rdt;
  const reg::RegDef& rxdctl;
  const reg::RegDef& tdbal;
  const reg::RegDef& tdbah;
  const reg::RegDef& tdlen;
  const reg::RegDef& tdh;
  const reg::RegDef& tdt;
  const reg::RegDef& txdctl;
  uint32_t queue_enable;  // mask of ENABLE in RXDCTL/TXDCTL
  uint32_t max_queues;
  const reg::RegDef& ral;  // receive address 0 (the port's MAC), low 4 and high 2 bytes + AV (bit 31)
  const reg::RegDef& rah;
  const reg::RegDef& status;  // never reads all-ones while the device is on the bus
};

class AdvDevice : public Device {
 public:
  ~AdvDevice() override = default;

  size_t rx_batch(uint16_t queue, std::span<Packet> out) final {
    return queue < rx_.size() && running_ ? rx_[queue]->rx_batch(out) : 0;
  }
  size_t tx_batch(uint16_t queue, std::span<Packet> pkts) final {
    return queue < tx_.size() && running_ ? tx_[queue]->tx_batch(pkts) : 0;
  }
  void shutdown() final;
  void read_stats(DeviceStats& stats) final;
  Health watchdog() final;
  DeviceHealth health() const final { return health_; }

  // MSI-X rx interrupts (driver/device/interrupts.h): the family's setup_msix() programs the device.
  void enable_interrupts(const InterruptConfig& config) final;
  bool wait_rx(uint16_t queue, uint32_t timeout_ms) final;
  bool arm_rx(uint16_t queue) final;
  void disarm_rx(uint16_t queue) final;
  int rx_interrupt_fd(uint16_t queue) const final { return irq_ && queue < irq_->vectors() ? irq_->fd(queue) : -1; }
  uint64_t rx_interrupts(uint16_t queue) const final {
    return irq_ && queue < irq_->vectors() ? irq_->taken(queue) : 0;
  }

  MacAddr mac() final;  // RAL(0)/RAH(0)
  void set_mac(const MacAddr& mac) final;
  uint16_t rx_queues() const final { return static_cast<uint16_t>(rx_.size()); }
  uint16_t tx_queues() const final { return static_cast<uint16_t>(tx_.size()); }
  Mempool& rx_pool(uint16_t queue) final { return *pools_.at(queue); }
  const RingStats& rx_ring_stats(uint16_t queue) const final { return rx_.at(queue)->stats(); }
  // Counts across recoveries (recovery resets the ring in place).
  const RingStats& tx_ring_stats(uint16_t queue) const final;

 protected:
  AdvDevice(Backend& backend, const DeviceConfig& config, const FamilyLayout& layout, const char* family);

  // Allocates queue q's mempool and rings and programs base/length/head/tail (rx and tx alike). During
  // recovery (the queue exists) it allocates nothing: it reuses the pool and rx ring (after harvesting frames
  // the device completed) and resets the tx ring in place.
  RxRing& setup_rx_ring(uint16_t q);
  TxRing& setup_tx_ring(uint16_t q);
  // Fill the ring, enable the queue, wait for the enable to stick, hand the ring to the device.
  void start_rx_queue(uint16_t q);
  void start_tx_queue(uint16_t q);
  // Receive-side scaling, as both 82599 and 82576 take it: the 40-byte Toeplitz key into `rssrk` (byte k in
  // bits 8(k%4)+7:8(k%4) of register k/4), the 128 one-byte `reta` entries round-robin over the rx queues
  // (at most 16), then `mrqc_value` (the family's RSS mode and hashed fields) into `mrqc`. Call with RX off.
  void program_rss(const reg::RegDef& mrqc, const reg::RegDef& reta, const reg::RegDef& rssrk, uint32_t mrqc_value);
  // Throws DeviceDead when the device no longer answers (surprise removal: every read returns all-ones).
  void ensure_present();
  // Bounded link wait (config.link_timeout_ms); logs the outcome.
  void wait_for_link();
  // Family constructors end with this: logs, runs the family's full init (reinit()), and if that throws
  // stops DMA (queues may already be enabled) before the rings and pools are freed; then waits for link.
  void start(const char* chip);
  // Family hook for shutdown(): stop receive/transmit DMA before the rings give their buffers back.
  virtual void stop_dma() = 0;
  // Family hook for recovery: the whole datasheet init again (global reset included) on the existing queues,
  // without waiting for link. Throws like the constructor does. A family without one cannot recover: the
  // watchdog then reports the device dead (kDead) instead of resetting it.
  virtual void reinit() { throw Error(std::string(driver_name()) + ": recovery (re-initialization) not implemented"); }
  // Family hook for enable_interrupts() (and again after a recovery's reset): MSI-X mode, rx queue q ->
  // vector q for every rx queue, moderation, auto-clear; vectors left masked. Returns the EICR/EIMS/EIMC
  // offsets. The default throws (a family without interrupts).
  virtual IrqRegs setup_msix(const InterruptConfig& config) {
    (void)config;
    throw Error(std::string(driver_name()) + ": MSI-X interrupts not implemented for this family");
  }
  // read_stats() for every family: presence check, counters saved before a recovery's reset, then the
  // family's clear-on-read counters (read_counters).
  virtual void read_counters(DeviceStats& s) = 0;
  void add_saved_stats(DeviceStats& s);

  Backend& backend_;
  Mmio mmio_;
  DeviceConfig config_;
  const FamilyLayout& layout_;

 private:
  std::vector<std::unique_ptr<Mempool>> pools_;
  std::vector<std::unique_ptr<RxRing>> rx_;
  std::vector<std::unique_ptr<TxRing>> tx_;
  bool running_ = true;
  std::unique_ptr<RxInterrupts> irq_;  // set by enable_interrupts()
  InterruptConfig irq_config_;

  // Watchdog state.
  Health recover(const char* why, bool device_lost_registers);
  void mark_dead(const std::string& why);
  struct TxWatch {
    uint64_t since_ns = 0;  // last time queue q made progress (or had nothing to do, or no link)
    uint32_t in_flight = 0;
    uint64_t packets = 0;
  };
  std::vector<TxWatch> tx_watch_;
  DeviceStats saved_stats_;
  DeviceHealth health_;
};

}  // namespace nic
