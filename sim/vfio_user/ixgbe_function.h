// The 82599 model (sim::Ixgbe82599) as a vfio-user PCI function: what a guest driver (Linux's ixgbe, DPDK's
// PMD) sees through QEMU's vfio-user-pci.
//
//   BAR0  128 KiB memory, 32-bit: the model's registers (read32/write32). 8-byte accesses are two dword
//         accesses, low then high; 1- and 2-byte reads read the dword; 1- and 2-byte writes read the dword,
//         merge and write it (a read side effect, e.g. a clear-on-read counter, happens then: drivers write
//         registers whole).
//   BAR3  16 KiB memory, 32-bit: the MSI-X table (offset 0, 64 vectors) and PBA (0x2000), as an 82599 with
//         32-bit BARs has them (datasheet §9.3.6.1). QEMU emulates MSI-X itself and forwards only PBA reads;
//         here BAR3 is plain memory, PBA bits zero.
//   config  4 KiB, 82599-like (§9.3): 8086:<device id>, class 020000, subsystem 8086:000c, INTA; capabilities
//         PM (0x40), MSI (0x50, 64-bit, per-vector masking), MSI-X (0x70: 64 vectors, table BAR3+0, PBA
//         BAR3+0x2000), PCI Express v2 endpoint (0xA0: FLR, max payload 512 B, link x8 at 5 GT/s); no extended
//         capabilities. Device Control's Initiate FLR (bit 15) resets the function: the model
//         (Ixgbe82599::fault_reset(), a reset without software's quiet period) and the config space.
//   DMA   through this function's own sim::Iommu (one domain per function, as a guest's IOMMU gives each
//         device its own), into which the session maps the guest's memory.
//   IRQs  the model's interrupt vectors (Ixgbe82599::on_interrupt) go to the session: MSI-X vector v, or the
//         one MSI/INTx interrupt.
//
// Registers the model does not have (reads 0, writes dropped, reported by the model as mmio.unknown-register)
// are tallied per offset here, with the datasheet's name where known, for the server's report of what a
// driver needed that the model lacks (unknown_report()).
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/iommu.h"
#include "sim/ixgbe_model.h"
#include "sim/vfio_user/config_space.h"
#include "sim/vfio_user/pci_function.h"
#include "sim/world.h"

namespace vfio_user {

class IxgbeFunction final : public PciFunction {
 public:
  static constexpr uint32_t kMsixVectors = 64;  // the 82599's MSI-X table size (the model's EITRs: 24)
  static constexpr uint32_t kMsixBarSize = 0x4000, kPbaOffset = 0x2000;
  struct Options {
    // Print each BAR0 register the model does not have, the first time it is touched.
    std::FILE* log_unknown = nullptr;
    uint16_t subsystem_id = 0x000C;  // 8086:000c, an X520-2 (82599ES SFP+)
  };
  // The world must outlive the function; the function must not move (the model schedules events on itself).
  IxgbeFunction(sim::World& world, sim::IxgbeConfig config) : IxgbeFunction(world, std::move(config), Options{}) {}
  IxgbeFunction(sim::World& world, sim::IxgbeConfig config, Options options);
  ~IxgbeFunction() override;

  sim::Ixgbe82599& model() { return model_; }
  sim::Iommu& iommu() { return iommu_; }

  std::string name() const override { return model_.config().name; }
  uint64_t bar_size(uint32_t bar) const override;
  uint64_t bar_read(uint32_t bar, uint64_t offset, uint32_t width) override;
  void bar_write(uint32_t bar, uint64_t offset, uint32_t width, uint64_t value) override;
  uint32_t config_size() const override { return ConfigSpace::kSize; }
  void config_read(uint32_t offset, std::span<uint8_t> out) override { config_.read(offset, out); }
  void config_write(uint32_t offset, std::span<const uint8_t> in) override;
  bool intx_disabled() const override { return config_.command() & ConfigSpace::kCommandIntxDisable; }
  void reset() override;
  uint32_t irq_count(uint32_t index) const override;
  void set_interrupt_sink(std::function<void(uint32_t)> fire) override { sink_ = std::move(fire); }
  sim::Iommu* dma_domain() override { return &iommu_; }

  // BAR0 offsets the model has no register at, with how often each was read and written.
  struct Unknown {
    uint64_t reads = 0, writes = 0;
    uint32_t last_written = 0;
  };
  const std::map<uint32_t, Unknown>& unknown() const { return unknown_; }
  // One line per unknown offset: "0x10014 EERD (EEPROM read) reads 3 writes 3 last 0x00000001".
  std::string unknown_report() const;
  // The datasheet's name of an 82599 BAR0 register, for reports ("" if this table does not know it).
  static std::string register_name(uint32_t offset);
  uint64_t flrs() const { return flrs_; }
  uint64_t subword_writes() const { return subword_writes_; }

 private:
  uint32_t read_reg(uint32_t offset);
  void write_reg(uint32_t offset, uint32_t value);
  void note_unknown(uint32_t offset, bool write, uint32_t value);
  void build_config(const Options& o);

  sim::Iommu iommu_;  // before model_: the model keeps a reference
  sim::Ixgbe82599 model_;
  ConfigSpace config_;
  std::vector<uint8_t> msix_bar_;
  std::vector<bool> known_;  // per BAR0 dword: the model has a register there
  std::map<uint32_t, Unknown> unknown_;
  std::FILE* log_unknown_;
  std::function<void(uint32_t)> sink_;
  uint32_t pcie_cap_ = 0;
  uint64_t flrs_ = 0, subword_writes_ = 0;
};

}  // namespace vfio_user
