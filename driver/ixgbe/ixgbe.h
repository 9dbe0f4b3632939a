// Intel 82599 (ixgbe) device family. Initialization follows the 82599 datasheet §4.6.3–§4.6.8 one step
// per function, with the reserved bits set as the register descriptions require (§8.2.3.8.8, §8.2.3.9.1,
// §8.2.3.11.1). Queues, rings and the hot path are shared with the other advanced-descriptor families
// (driver/device/queue_device.h) and the device base (driver/device/device_base.h).
#pragma once

#include "driver/device/queue_device.h"

namespace nic::ixgbe {

bool is_supported_device(uint16_t vendor, uint16_t device);

class IxgbeDevice final : public AdvQueueDevice {
 public:
  IxgbeDevice(Backend& backend, const DeviceConfig& config);
  ~IxgbeDevice() override { shutdown(); }

  LinkStatus link() override;
  void set_promiscuous(bool on) override;
  std::string driver_name() const override { return "ixgbe"; }

 private:
  void bring_up();             // §4.6.3-§4.6.8, the whole init but the link wait
  void reinit() override;
  void read_counters(DeviceStats& s) override;
  void disable_interrupts();   // §4.6.3.1
  void global_reset();         // §4.6.3.2
  void wait_eeprom_and_dma();  // §4.6.3
  void init_link();            // §4.6.4
  void reset_stats();          // §4.6.5
  void init_rx();              // §4.6.7
  void init_tx();              // §4.6.8
  void enable_rx(uint32_t rxctrl);  // §4.6.7: RXCTRL written with the rx security block halted
  void stop_dma() override;
  IrqRegs setup_msix(const InterruptConfig& config) override;  // msix.cc
};

}  // namespace nic::ixgbe
