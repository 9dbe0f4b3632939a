// Intel 82574 (e1000e) device family: the same Device API and the same ring code as the 82599/82576
// (driver/ring/ring.h), with the 82574's descriptor formats (extended rx, legacy tx) as the rings' format policy,
// and its own init: GIO master disable, reset, NVM auto-read, PHY auto-negotiation through MDIC, RCTL/TCTL.
// One of the 82574's two queues is used. CI runs it against QEMU's e1000e model through VFIO (tests/qemu).
//
// Not an AdvDevice: that class holds advanced-format rings; the queue glue here (one pool, one ring pair,
// shutdown order) mirrors it in a few lines rather than templating AdvDevice on the formats.
#pragma once

#include <memory>

#include "driver/device/device.h"
#include "driver/regmap/mmio.h"

namespace nic::e1000e {

bool is_supported_device(uint16_t vendor, uint16_t device);

class E1000eDevice final : public Device {
 public:
  E1000eDevice(Backend& backend, const DeviceConfig& config);
  ~E1000eDevice() override { shutdown(); }

  size_t rx_batch(uint16_t queue, std::span<Packet> out) override {
    return queue == 0 && running_ ? rx_->rx_batch(out) : 0;
  }
  size_t tx_batch(uint16_t queue, std::span<Packet> pkts) override {
    return queue == 0 && running_ ? tx_->tx_batch(pkts) : 0;
  }
  void shutdown() override;

  void read_stats(DeviceStats& stats) override;
  LinkStatus link() override;
  MacAddr mac() override;
  void set_mac(const MacAddr& mac) override;
  void set_promiscuous(bool on) override;

  std::string driver_name() const override { return "e1000e"; }
  uint16_t rx_queues() const override { return 1; }
  uint16_t tx_queues() const override { return 1; }
  Mempool& rx_pool(uint16_t queue) override;
  const RingStats& rx_ring_stats(uint16_t queue) const override;
  const RingStats& tx_ring_stats(uint16_t queue) const override;

  // One 16-bit NVM word through EERD. Throws nic::Error on timeout.
  uint16_t nvm_read(uint32_t word);

 private:
  void disable_interrupts();
  void global_reset();
  void check_mac_address();
  void init_rx();
  void init_tx();
  void ensure_present();
  void wait_for_link();

  Backend& backend_;
  Mmio mmio_;
  DeviceConfig config_;
  // Declaration order is destruction order in reverse: the rings give their buffers back before the pool goes.
  std::unique_ptr<Mempool> pool_;
  std::unique_ptr<ExtRxRing> rx_;
  std::unique_ptr<LegacyTxRing> tx_;
  bool running_ = true;
};

}  // namespace nic::e1000e
