// Intel 82599 (ixgbe) device family. Initialization follows the 82599 datasheet §4.6.3–§4.6.8 one step
// per function, with the reserved-bit corrections found after ixy (see ../shared/reference).
#pragma once

#include <memory>
#include <vector>

#include "driver/device.h"
#include "driver/mmio.h"

namespace nic::ixgbe {

bool is_supported_device(uint16_t vendor, uint16_t device);

class IxgbeDevice final : public Device {
 public:
  IxgbeDevice(Backend& backend, const DeviceConfig& config);
  ~IxgbeDevice() override;

  size_t rx_batch(uint16_t queue, std::span<Packet> out) override {
    return queue < rx_.size() && running_ ? rx_[queue]->rx_batch(out) : 0;
  }
  size_t tx_batch(uint16_t queue, std::span<Packet> pkts) override {
    return queue < tx_.size() && running_ ? tx_[queue]->tx_batch(pkts) : 0;
  }
  void shutdown() override;
  void read_stats(DeviceStats& stats) override;
  LinkStatus link() override;
  MacAddr mac() override;
  void set_mac(const MacAddr& mac) override;
  void set_promiscuous(bool on) override;

  std::string driver_name() const override { return "ixgbe"; }
  uint16_t rx_queues() const override { return static_cast<uint16_t>(rx_.size()); }
  uint16_t tx_queues() const override { return static_cast<uint16_t>(tx_.size()); }
  Mempool& rx_pool(uint16_t queue) override { return *pools_.at(queue); }
  const RingStats& rx_ring_stats(uint16_t queue) const override { return rx_.at(queue)->stats(); }
  const RingStats& tx_ring_stats(uint16_t queue) const override { return tx_.at(queue)->stats(); }
  TxRing& tx_ring(uint16_t queue) { return *tx_.at(queue); }

 private:
  void disable_interrupts();  // §4.6.3.1
  void global_reset();        // §4.6.3.2
  void wait_eeprom_and_dma(); // §4.6.3
  void init_link();           // §4.6.4
  void reset_stats();         // §4.6.5
  void init_rx();             // §4.6.7
  void init_tx();             // §4.6.8
  void start_rx_queue(uint16_t q);  // §4.6.7.1
  void start_tx_queue(uint16_t q);  // §4.6.8.1
  void wait_for_link();

  Backend& backend_;
  Mmio mmio_;
  DeviceConfig config_;
  std::vector<std::unique_ptr<Mempool>> pools_;
  std::vector<std::unique_ptr<RxRing>> rx_;
  std::vector<std::unique_ptr<TxRing>> tx_;
  bool running_ = true;
};

}  // namespace nic::ixgbe
