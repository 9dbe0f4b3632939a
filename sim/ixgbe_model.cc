// The 82599 model (sim/ixgbe_model.h): construction, the cable and the link, fault injection, event dispatch.
// The rest by concern: ixgbe_registers.cc (register file, reset, behaviour table), ixgbe_desc.cc (descriptor
// engines, write-backs), ixgbe_irq.cc (interrupts), ixgbe_rx.cc and ixgbe_tx.cc (the timed data path),
// ixgbe_functional.cc (the functional data path).
#include "sim/ixgbe_model.h"

#include <algorithm>
#include <cstring>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts

Ixgbe82599::Ixgbe82599(World& world, Iommu& iommu, IxgbeConfig config)
    : world_(world), functional_(world.functional()), iommu_(iommu), config_(std::move(config)),
      regs_(kBarSize / 4, 0), def_of_(kBarSize / 4, -1), sfp_(config_.sfp), pcie_(world.params()) {
  for (size_t i = 0; i < std::size(kMap); ++i)
    for (uint32_t k = 0; k < kMap[i].count; ++k)
      if (kMap[i].at(k) < kBarSize) def_of_[kMap[i].at(k) / 4] = static_cast<int16_t>(i);
  struct LoopPort final : Endpoint {
    Ixgbe82599* dev;
    void receive(Bytes&& f, uint64_t t) override { dev->on_loopback(std::move(f), t); }
    void receive_view(std::span<const uint8_t> f, uint64_t) override { dev->ingress(f, nullptr); }
  };
  auto* lp = new LoopPort;
  lp->dev = this;
  loop_port_.reset(lp);
  loop_link_ = world_.make_link(loop_port_.get());
  // EEPROM: a part number (PBA, words 0x15-0x16, the legacy two-word form) and the checksum word.
  eeprom_[0x15] = 0x1234;
  eeprom_[0x16] = 0x5678;
  // Device capabilities (word 0x2C): bit 0, any SFP+ module may be used (not only Intel-branded ones); bit 7
  // clear, so Linux checks ESDP.SDP2 (module present) before it believes LINKS.
  eeprom_[0x2C] = 0x0001;
  // SFP+ init sequences (word 0x2B points to the list): after a skipped word, pairs of {module type, offset
  // of its sequence} ending in 0xFFFF, with Linux's type numbers: 3/4 direct-attach copper on LAN 0/1, 5/6
  // SR/LR (and what is set up like them) on LAN 0/1. A sequence is a skipped word, then values written to
  // CORECTL (analog settings) until 0xFFFF: the model has no analog front end, so each sequence is empty.
  eeprom_[0x2B] = 0x0040;
  const uint16_t list[] = {0x0000, 3, 0x0050, 4, 0x0050, 5, 0x0050, 6, 0x0050, 0xFFFF};
  std::copy(std::begin(list), std::end(list), eeprom_.begin() + 0x40);
  eeprom_[0x50] = 0x0000;
  eeprom_[0x51] = 0xFFFF;
  // The firmware module (word 0x0F points to it): Intel's shared code (Linux's ixgbe, DPDK's PMD) checks that
  // an SFI port's firmware is newer than version 5 and otherwise reports a "pre-production adapter", which
  // DPDK treats as a failed init. Module word 4 points to the pass-through patch configuration block, whose
  // word 7 is the patch version; module word 2 (LESM parameters) is 0: no link-establishment firmware.
  eeprom_[0x0F] = 0x0060;
  eeprom_[0x60 + 4] = 0x0068;
  eeprom_[0x68 + 7] = 0x0006;
  uint16_t sum = 0;
  for (size_t i = 0; i < 0x3F; ++i) sum = static_cast<uint16_t>(sum + eeprom_[i]);
  eeprom_[0x3F] = static_cast<uint16_t>(0xBABA - sum);
  reset();
  reset_written_at_ = UINT64_MAX;  // power-on, not a software reset
  reset_done_at_ = world_.now();
}

void Ixgbe82599::connect(Endpoint* peer) {
  if (far_) {  // leaving a duplex cable: both ends lose it
    Ixgbe82599* other = far_;
    far_ = other->far_ = nullptr;
    other->tx_link_ = nullptr;
    other->link_up_at_ = UINT64_MAX;
    other->link_changed(true);
  }
  tx_link_ = peer ? world_.make_link(peer) : nullptr;
  if (!peer) link_up_at_ = UINT64_MAX;
}

void Ixgbe82599::cable(Ixgbe82599& a, Ixgbe82599& b, Endpoint* a_to_b, Endpoint* b_to_a) {
  a.connect(a_to_b ? a_to_b : &b);
  b.connect(b_to_a ? b_to_a : &a);
  a.far_ = &b;
  b.far_ = &a;
  // A powered port trains as soon as a cable is plugged in (no driver needed), as after power-on.
  for (Ixgbe82599* d : {&a, &b})
    if (d->link_up_at_ == UINT64_MAX) d->link_up_at_ = d->world_.now() + d->world_.params().link_up_ns;
  a.phy_changed();
}

uint64_t Ixgbe82599::link_up_at() const {
  const auto phy_at = [](const Ixgbe82599& d) {
    if (d.link_fault_ || d.removed_ || !(d.forced_link() || d.cabled())) return UINT64_MAX;
    return std::max(d.link_up_at_, d.reset_done_at_);
  };
  const uint64_t mine = phy_at(*this);
  return far_ && !forced_link() ? std::max(mine, phy_at(*far_)) : mine;
}

void Ixgbe82599::phy_changed() {
  link_changed(false);
  if (far_) far_->link_changed(true);
}

void Ixgbe82599::link_changed(bool from_far_end) {
  if (from_far_end && !removed_) set_causes(eicr::kLinkStatusChange.mask());
  const uint64_t at = link_up_at();
  ++link_gen_;
  if (at == UINT64_MAX) return;
  // LSC when the link comes up (§8.2.3.5.1: any change of LINKS.LINK_UP), unless something changes first.
  if (at > world_.now()) world_.schedule(at, this, kLinkUp, link_gen_);
  for (uint32_t q = 0; q < kQueues; ++q)
    if (txq_[q].enable_at != UINT64_MAX) schedule_kick(q, std::max(at, world_.now()));
}

// ---------------------------------------------------------------------------------------------------------
// Fault injection
void Ixgbe82599::fault_link_down(bool down) {
  if (down == link_fault_) return;
  link_fault_ = down;
  set_causes(eicr::kLinkStatusChange.mask());
  // Retrain: the link comes back after auto-negotiation (or at once when forced up), then queued frames go.
  if (!down) {
    const uint64_t now = world_.now();
    link_up_at_ = forced_link() ? now + 1000 : cabled() ? now + world_.params().link_up_ns : UINT64_MAX;
  }
  phy_changed();
}

void Ixgbe82599::fault_tx_hang(bool on) {
  tx_hang_ = on;
  if (on) return;
  for (uint32_t q = 0; q < kQueues; ++q)
    if (txq_[q].enable_at != UINT64_MAX) schedule_kick(q, world_.now());
}

void Ixgbe82599::fault_rx_stall(bool on) {
  rx_stall_ = on;
  if (!on) drain_rx();
}

void Ixgbe82599::fault_reset() {
  reset();
  reset_written_at_ = UINT64_MAX;  // not software's reset: no quiet period is owed
}

void Ixgbe82599::fault_remove() {
  removed_ = true;
  phy_changed();
  counters_.rx_lost_reset += rx_fifo_.size();
  for (uint32_t q = 0; q < kQueues; ++q)
    if (txq_[q].enable_at != UINT64_MAX) counters_.tx_lost_reset += tx_unprocessed(q);
  rx_fifo_.clear();
  rx_fifo_bytes_ = 0;
}

void Ixgbe82599::on_event(uint32_t kind, uint64_t a) {
  const auto [q, gen] = QueueEvent::unpack(a);
  switch (kind) {
    case kTxKick:
      if (world_.now() >= txq_[q].kick_at) txq_[q].kick_at = UINT64_MAX;
      tx_process(q);
      break;
    case kRxDoorbell:
      while (fetch(Ring::kRx, q)) {
      }
      drain_rx();
      break;
    case kRxDescArrive: desc_arrive(Ring::kRx, q, gen); break;
    case kTxDescArrive: desc_arrive(Ring::kTx, q, gen); break;
    case kRxDrain:
      rx_drain_scheduled_ = false;
      drain_rx();
      break;
    case kHostWrite: apply_host_writes(); break;
    case kTxDataDone: tx_data_done(q, gen); break;
    case kRxFlush:
    case kTxFlush: {
      DescEngine& g = engine(kind == kRxFlush ? Ring::kRx : Ring::kTx, q);
      if (g.gen != gen) break;
      g.flush_armed = false;
      if (kind == kRxFlush) rx_writeback(q);
      else tx_writeback(q);
      break;
    }
    case kItr:
      vec_[q].timer = false;
      try_fire(q);
      break;
    case kLinkUp:
      if (a == link_gen_ && link_up()) set_causes(eicr::kLinkStatusChange.mask());
      break;
    default: break;
  }
}

}  // namespace sim
