// Intel 82576 (igb) device family: the same queues, rings and hot path as the 82599 (AdvQueueDevice), its own
// register layout and init: reset, EEPROM auto-read, PHY auto-negotiation through MDIC, RCTL/TCTL.
// CI runs it against QEMU's igb model through real VFIO (tests/qemu).
#pragma once

#include "driver/device/queue_device.h"

namespace nic::igb {

bool is_supported_device(uint16_t vendor, uint16_t device);

class IgbDevice final : public AdvQueueDevice {
 public:
  IgbDevice(Backend& backend, const DeviceConfig& config);
  ~IgbDevice() override { shutdown(); }

  LinkStatus link() override;
  void set_promiscuous(bool on) override;
  std::string driver_name() const override { return "igb"; }


 private:
  void bring_up();  // the whole init but the link wait
  void reinit() override;
  void read_counters(DeviceStats& s) override;
  void disable_interrupts();
  void global_reset();
  void init_rx();
  void init_tx();
  void stop_dma() override;
  IrqRegs setup_msix(const InterruptConfig& config) override;  // msix.cc
};

}  // namespace nic::igb
