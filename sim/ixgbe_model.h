// The 82599 device model: register file with datasheet semantics, rx and tx engines, MAC, link.
//
// Where each rule lives:
//   register semantics ........ read32()/write32() and the on_write_*/on_read_* helpers (reset values and
//                               access kinds come from driver/ixgbe/regs.h, the single register table)
//   reset / EEPROM / DMA init . reset(), eeprom_done(), dma_done()          (§4.6.3)
//   link ...................... link_up(), on AUTOC writes                  (§4.6.4)
//   rx: filter, packet buffer . receive(), accept()                         (§7.1.1, §7.1.2)
//   rx: descriptors, DMA ...... drain_rx(), deliver()                       (§7.1.6)
//   tx: descriptors, wire ..... tx_process()                                (§7.2)
//   statistics ................ count_rx()/count_tx()                       (§8.2.3.23)
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "driver/reg.h"
#include "sim/diag.h"
#include "sim/iommu.h"
#include "sim/world.h"

namespace sim {

struct IxgbeConfig {
  std::string name = "sim";
  std::array<uint8_t, 6> mac{0x02, 0x53, 0x49, 0x4d, 0x00, 0x00};  // "SIM", locally administered
  uint16_t device_id = 0x10FB;                                    // 82599ES SFP+
};

class Ixgbe82599 final : public Endpoint, public EventTarget {
 public:
  static constexpr uint32_t kBarSize = 0x20000;  // 128 KB of BAR0 is modelled
  static constexpr uint32_t kQueues = 64;

  Ixgbe82599(World& world, Iommu& iommu, IxgbeConfig config);

  uint32_t read32(uint32_t offset);
  void write32(uint32_t offset, uint32_t value);

  // Wire side.
  void receive(Bytes&& frame, uint64_t t) override;
  void on_event(uint32_t kind, uint64_t arg) override;
  // Cable this port's transmit side to `peer` (and nothing else). nullptr unplugs it.
  void connect(Endpoint* peer);
  bool cabled() const { return tx_link_ != nullptr; }
  bool link_up() const;

  const IxgbeConfig& config() const { return config_; }
  Diagnostics& diag() { return diag_; }

  // Counters the model keeps beyond the datasheet's (why a frame never reached a descriptor).
  struct Counters {
    uint64_t rx_link_down = 0, rx_disabled = 0, rx_filtered = 0, rx_queue_disabled = 0;
    uint64_t tx_no_cable = 0, dma_faults = 0;
  };
  const Counters& counters() const { return counters_; }
  size_t rx_fifo_frames() const { return rx_fifo_.size(); }

 private:
  enum EventKind : uint32_t { kTxKick = 1, kLoopback = 2 };
  struct Queue {
    uint64_t enable_at = UINT64_MAX;  // when ENABLE becomes visible
  };

  uint32_t& r(uint32_t offset) { return regs_[offset / 4]; }
  uint32_t r(uint32_t offset) const { return regs_[offset / 4]; }
  uint32_t canonical(uint32_t offset) const;
  void report(const char* rule, const std::string& detail) { diag_.report(rule, detail, world_.now()); }

  void reset();
  bool in_reset() const { return world_.now() < reset_done_at_; }
  // Within 1 ms of a software reset (§8.2.3.1.1); power-on is not one.
  bool in_reset_quiet() const {
    return reset_written_at_ != UINT64_MAX && world_.now() - reset_written_at_ < world_.params().reset_quiet_ns;
  }
  uint32_t read_special(const nic::reg::RegDef& d, uint32_t offset, uint32_t v) const;
  void write_special(const nic::reg::RegDef& d, uint32_t offset, uint32_t old, uint32_t v);

  // rx
  void on_loopback(Bytes&& frame, uint64_t t);
  void ingress(Bytes&& frame);
  bool accept(const Bytes& frame) const;
  void drain_rx();
  enum class Deliver { kDone, kNoDescriptor, kDropped };
  Deliver deliver(uint32_t q, const Bytes& frame);
  // tx
  void tx_process(uint32_t q);
  void count_tx(uint32_t q, const Bytes& frame);
  void add64(uint32_t lo_offset, uint64_t v);

  World& world_;
  Iommu& iommu_;
  IxgbeConfig config_;
  Diagnostics diag_;
  Counters counters_;
  std::vector<uint32_t> regs_;
  std::vector<int16_t> def_of_;  // index into kMap per word, -1 = no register
  std::array<Queue, kQueues> rxq_{}, txq_{};
  uint64_t reset_written_at_ = 0;
  uint64_t reset_done_at_ = 0;
  uint64_t link_up_at_ = UINT64_MAX;
  Link* tx_link_ = nullptr;
  std::unique_ptr<Endpoint> loop_port_;  // MAC loopback (HLREG0.LPBK) delivers here
  Link* loop_link_ = nullptr;
  uint64_t wire_free_ps_ = 0;  // when the wire is idle again, in picoseconds
  std::deque<Bytes> rx_fifo_;
  uint64_t rx_fifo_bytes_ = 0;
  std::array<bool, kQueues> tx_kick_pending_{};
};

}  // namespace sim
