// The device base every family stands on, whatever its descriptor format (82599, 82576, 82574):
//   - the config checks and the register layout the shared code uses (FamilyLayout);
//   - MAC address, presence check, bounded link wait, receive-side scaling;
//   - statistics that survive a reset (CounterCarry, recovery.h);
//   - the watchdog and the recovery sequence (recovery.cc);
//   - MSI-X rx interrupts, shutdown.
// The queues themselves (a mempool and a ring pair of one descriptor format per queue, and the hot path) are
// QueueDevice<Rx, Tx> (queue_device.h), on top of this. A family derives from QueueDevice and supplies the
// datasheet steps that differ: its init (reinit), stopping DMA, its counters, its MSI-X programming.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "driver/device/device.h"
#include "driver/device/interrupts.h"
#include "driver/device/recovery.h"
#include "driver/regmap/mmio.h"
#include "driver/regmap/reg.h"

namespace nic {

// Where a family keeps the registers the shared code uses. Families write it with designated initializers
// and static_assert(layout.roles_match()): a register in another's role is a compile error.
struct FamilyLayout {
  // Per-queue ring registers (index = queue).
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
  // ENABLE in RXDCTL and TXDCTL (bit 25 on the 82599 and the 82576). 0: the family has no per-queue enable
  // (the 82574: RCTL.EN and TCTL.EN switch its queues).
  uint32_t queue_enable;
  uint32_t max_queues;  // queues this driver uses at most
  // Receive address 0 (the port's MAC): low 4 bytes, high 2 bytes + AV (bit 31).
  const reg::RegDef& ral;
  const reg::RegDef& rah;
  const reg::RegDef& status;  // never reads all-ones while the device is on the bus
  // A bit of register 0 of `configured` that init sets and only a reset (or the driver's own stop) clears:
  // the watchdog finding it clear while running means the device reset itself.
  const reg::RegDef& configured;
  uint32_t configured_mask;

  // Every register is the one its role names (RDBAL as rdbal, ...).
  constexpr bool roles_match() const {
    auto is = [](const reg::RegDef& r, std::string_view name) { return std::string_view(r.name) == name; };
    return is(rdbal, "RDBAL") && is(rdbah, "RDBAH") && is(rdlen, "RDLEN") && is(rdh, "RDH") && is(rdt, "RDT") &&
           is(rxdctl, "RXDCTL") && is(tdbal, "TDBAL") && is(tdbah, "TDBAH") && is(tdlen, "TDLEN") && is(tdh, "TDH") &&
           is(tdt, "TDT") && is(txdctl, "TXDCTL") && is(ral, "RAL") && is(rah, "RAH") && is(status, "STATUS") &&
           configured_mask != 0 && max_queues != 0;
  }
};

class DeviceBase : public Device {
 public:
  ~DeviceBase() override = default;

  void shutdown() final;
  void read_stats(DeviceStats& stats) final;
  Health watchdog() final;  // recovery.cc
  DeviceHealth health() const final { return health_; }

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

 protected:
  // Checks the config against the layout (queue counts, ring sizes); throws nic::Error naming `family`.
  DeviceBase(Backend& backend, const DeviceConfig& config, const FamilyLayout& layout, const char* family);

  // Family constructors end with this: logs, allocates the queues, runs the family's full init (reinit()),
  // and if that throws stops DMA (queues may already be enabled) before the rings and pools are freed;
  // then waits for link.
  void start(const char* chip);
  // Throws DeviceDead when the device no longer answers (surprise removal: every read returns all-ones).
  void ensure_present();
  // Bounded link wait (config.link_timeout_ms); logs the outcome.
  void wait_for_link();
  // Receive-side scaling, as the 82599 and the 82576 take it: the 40-byte Toeplitz key into `rssrk` (byte k
  // in bits 8(k%4)+7:8(k%4) of register k/4), the 128 one-byte `reta` entries round-robin over the rx queues
  // (at most 16), then `mrqc_value` (the family's RSS mode and hashed fields) into `mrqc`. Call with RX off.
  void program_rss(const reg::RegDef& mrqc, const reg::RegDef& reta, const reg::RegDef& rssrk, uint32_t mrqc_value);
  bool running() const { return running_; }

  // --- Family hooks: the datasheet steps that differ.
  // Stop receive/transmit DMA (and interrupts) before the queues are disabled and the rings give their
  // buffers back (shutdown, recovery).
  virtual void stop_dma() = 0;
  // The whole datasheet init (global reset included) on the allocated queues, without the link wait. Run by
  // start() and again by recovery. Throws like the constructor does (recovery then reports the device dead).
  virtual void reinit() = 0;
  // MSI-X mode, rx queue q -> vector q for every rx queue, moderation, auto-clear; vectors left masked
  // (enable_interrupts(), and again after a recovery's reset). Returns the cause/mask registers. The default
  // throws (a family without interrupts).
  virtual IrqRegs setup_msix(const InterruptConfig& config) {
    (void)config;
    throw Error(std::string(driver_name()) + ": MSI-X interrupts not implemented for this family");
  }
  // Adds the family's clear-on-read counters to `s`.
  virtual void read_counters(DeviceStats& s) = 0;

  // --- Queue hooks: QueueDevice implements them on its rings.
  struct TxState {
    uint32_t in_flight = 0;  // descriptors handed to the device and not completed
    uint64_t packets = 0;    // packets the ring has sent (RingStats::packets)
  };
  virtual void allocate_queues() = 0;            // every queue's pool and rings (once, in start())
  virtual TxState reclaim_tx(uint16_t q) = 0;    // reclaims completed descriptors, then reports
  virtual void reset_tx(uint16_t q) = 0;         // every buffer back, ring as constructed (device stopped)
  virtual void reclaim_lost_rx(uint16_t q, uint32_t device_head) = 0;  // BasicRxRing::reclaim_lost
  virtual uint64_t discard_rx() = 0;             // frames completed in the rx rings taken off and dropped;
                                                 // every buffer back to its pool (device stopped)
  virtual void release_buffers() = 0;            // every ring's buffers back to their pools (device stopped)
  virtual bool rx_has_frame(uint16_t q) const = 0;

  Backend& backend_;
  Mmio mmio_;
  DeviceConfig config_;
  const FamilyLayout& layout_;

 private:
  // recovery.cc
  Health recover(const char* why, bool device_lost_registers);
  void mark_dead(const std::string& why);
  // Stops DMA and disables every queue, waiting (bounded) until the device says each is off.
  void quiesce();

  bool running_ = true;
  std::unique_ptr<RxInterrupts> irq_;  // set by enable_interrupts()
  InterruptConfig irq_config_;
  std::vector<TxHangCheck> tx_hang_;   // one per tx queue
  CounterCarry carry_;
  DeviceHealth health_;
};

}  // namespace nic
