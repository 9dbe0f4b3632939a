// Intel 82574 (e1000e) device family: the same Device API, device base and ring code as the 82599/82576
// (driver/device/queue_device.h), with the 82574's descriptor formats (extended rx, legacy tx) as the rings'
// format policy, and its own init: GIO master disable, reset, NVM auto-read, PHY auto-negotiation through
// MDIC, RCTL/TCTL. One of the 82574's two queues is used. CI runs it against QEMU's e1000e model through VFIO
// (tests/qemu).
#pragma once

#include "driver/device/queue_device.h"

namespace nic::e1000e {

bool is_supported_device(uint16_t vendor, uint16_t device);

class E1000eDevice final : public QueueDevice<ExtRxRing, LegacyTxRing> {
 public:
  E1000eDevice(Backend& backend, const DeviceConfig& config);
  ~E1000eDevice() override { shutdown(); }

  LinkStatus link() override;
  void set_promiscuous(bool on) override;
  std::string driver_name() const override { return "e1000e"; }

  // One 16-bit NVM word through EERD. Throws nic::Error on timeout.
  uint16_t nvm_read(uint32_t word);

 private:
  void reinit() override;  // the whole init but the link wait
  void read_counters(DeviceStats& s) override;
  void stop_dma() override;
  IrqRegs setup_msix(const InterruptConfig& config) override;
  void disable_interrupts();
  void global_reset();
  void check_mac_address();
  void init_rx();
  void init_tx();
};

}  // namespace nic::e1000e
