// The 82599 model's register file (sim/ixgbe_model.h): reset, MMIO reads and writes, and the behaviour
// table: what each register does beyond storing a value, one row per register, looked up by its index in the
// register table (driver/ixgbe/regs.h), as QEMU's device models index theirs by offset.
#include "sim/ixgbe_model.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts
using nic::reg::Access;
using nic::reg::RegDef;

namespace {

std::string hex(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%05x", v);
  return s;
}

bool is(const RegDef& d, const RegDef& which) { return d.base == which.base; }

// 64-bit statistics: reading the high half clears both halves (the low half is read first).
bool is_counter_low(const RegDef& d) { return is(d, GORCL) || is(d, GOTCL) || is(d, TORL) || is(d, QBRC_L); }

}  // namespace

// Aliased register ranges resolve to one storage location.
uint32_t Ixgbe82599::canonical(uint32_t offset) const {
  if (int64_t i = SRRCTL_ALIAS.index_of(offset); i >= 0) return SRRCTL.at(static_cast<uint32_t>(i));
  if (int64_t i = DCA_RXCTRL_ALIAS.index_of(offset); i >= 0) return DCA_RXCTRL.at(static_cast<uint32_t>(i));
  return offset;
}

// ---------------------------------------------------------------------------------------------------------
// Reset (§4.6.3.2): every register back to its reset value, queues off, FIFOs flushed, link down.
void Ixgbe82599::reset() {
  const uint64_t now = world_.now();
  ++reg_epoch_;
  // Frames inside the device are lost: in the packet buffer, or written back to nobody (rx); descriptors
  // handed over but not yet processed (tx).
  counters_.rx_lost_reset += rx_fifo_.size();
  for (const HostWrite& w : host_writes_) counters_.rx_lost_reset += w.rx;
  for (uint32_t q = 0; q < kQueues; ++q) {
    orphan_n_[q] = 0;
    if (txq_[q].enable_at == UINT64_MAX) continue;
    counters_.tx_lost_reset += tx_unprocessed(q);
    orphan_n_[q] = r(TDLEN.at(q)) / 16;
    orphan_tail_[q] = r(TDT.at(q));
  }
  tx_hang_ = false;  // a global reset un-wedges the transmit engine
  strict_.reset();
  for (const RegDef& d : kMap)
    for (uint32_t k = 0; k < d.count; ++k)
      if (d.at(k) < kBarSize) r(d.at(k)) = d.reset_of(k);
  // RAL/RAH[0] from the EEPROM's IA field, address valid.
  const auto& m = config_.mac;
  r(RAL.at(0)) = m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24;
  r(RAH.at(0)) = m[4] | m[5] << 8 | rah::kAddressValid.mask();
  for (uint32_t q = 0; q < kQueues; ++q) {
    reset_ring(Ring::kRx, q);
    reset_ring(Ring::kTx, q);
    rxq_[q].enable_at = txq_[q].enable_at = UINT64_MAX;
  }
  rx_fifo_.clear();
  rx_fifo_bytes_ = 0;
  host_writes_.clear();  // in-flight DMA of the old life is lost (its queues' generations changed anyway)
  tx_pb_.clear();
  tx_pb_bytes_ = 0;
  for (Vector& v : vec_) v = Vector{v.next_ok, false, false, v.timer, v.fired};
  an_restarted_ = false;
  sfp_.drive(true, true);  // I2CCTL's reset value releases both lines
  spi_.reset();            // EEC.EE_REQ clear: the EEPROM deselected
  reset_written_at_ = now;
  reset_done_at_ = now + world_.params().reset_ns;
  link_up_at_ = cabled() ? reset_done_at_ + world_.params().link_up_ns : UINT64_MAX;
  phy_changed();
}

// ---------------------------------------------------------------------------------------------------------
// Register behaviour. Reads: what the device returns instead of (or on top of) the stored value. Writes: what
// happens after the value is stored (kRW), after the written ones cleared it (kRW1C), or instead of storing
// (kWO). Registers without a row are plain storage with the access kind the register table gives them.
const Ixgbe82599::Behaviour Ixgbe82599::kBehaviours[] = {
    // The doorbells first (most writes under traffic).
    {&RDT, nullptr, &Ixgbe82599::write_rdt},
    {&TDT, nullptr, &Ixgbe82599::write_tdt},
    {&CTRL, &Ixgbe82599::read_ctrl, &Ixgbe82599::write_ctrl},
    {&STATUS, &Ixgbe82599::read_status, nullptr},
    {&EEC, &Ixgbe82599::read_eec, &Ixgbe82599::write_eec},
    {&EERD, nullptr, &Ixgbe82599::write_eerd},
    {&SWSM, &Ixgbe82599::read_swsm, nullptr},
    {&ESDP, &Ixgbe82599::read_esdp, nullptr},
    {&I2CCTL, &Ixgbe82599::read_i2cctl, &Ixgbe82599::write_i2cctl},
    {&ANLP1, &Ixgbe82599::read_anlp1, nullptr},
    {&LINKS, &Ixgbe82599::read_links, nullptr},
    {&AUTOC, nullptr, &Ixgbe82599::write_autoc},
    {&RDRXCTL, &Ixgbe82599::read_rdrxctl, nullptr},
    {&RXCTRL, nullptr, &Ixgbe82599::write_rxctrl},
    {&RXDCTL, &Ixgbe82599::read_rxdctl, &Ixgbe82599::write_rxdctl},
    {&TXDCTL, &Ixgbe82599::read_txdctl, &Ixgbe82599::write_txdctl},
    {&RDBAL, nullptr, &Ixgbe82599::write_rx_ring},
    {&RDBAH, nullptr, &Ixgbe82599::write_rx_ring},
    {&RDLEN, nullptr, &Ixgbe82599::write_rx_ring},
    {&RDH, nullptr, &Ixgbe82599::write_rx_ring},
    {&TDBAL, nullptr, &Ixgbe82599::write_tx_ring},
    {&TDBAH, nullptr, &Ixgbe82599::write_tx_ring},
    {&TDLEN, nullptr, &Ixgbe82599::write_tdlen},
    {&TDH, nullptr, &Ixgbe82599::write_tx_ring},
    {&EICR, nullptr, &Ixgbe82599::write_eicr},
    {&EICS, &Ixgbe82599::read_eics, &Ixgbe82599::write_eics},
    {&EIMS, nullptr, &Ixgbe82599::write_eims},
    {&EIMC, nullptr, &Ixgbe82599::write_eimc},
    {&EIAM, nullptr, &Ixgbe82599::write_eiam},
    {&EICS_EX, nullptr, &Ixgbe82599::write_eics_ex},
    {&EIMS_EX, nullptr, &Ixgbe82599::write_eims_ex},
    {&EIMC_EX, nullptr, &Ixgbe82599::write_eimc_ex},
    {&EIAM_EX, nullptr, &Ixgbe82599::write_eiam_ex},
};

// kMap index -> its behaviour row (nullptr: plain storage). Built once; a row for a register the table does
// not have is a programming error caught by the first device constructed.
const std::vector<const Ixgbe82599::Behaviour*>& Ixgbe82599::behaviour_of() {
  static const std::vector<const Behaviour*> by_index = [] {
    std::vector<const Behaviour*> v(std::size(kMap), nullptr);
    for (const Behaviour& b : kBehaviours) {
      size_t i = 0;
      while (i < std::size(kMap) && kMap[i].base != b.reg->base) ++i;
      if (i == std::size(kMap) || v[i] != nullptr) std::abort();  // not in the register table, or twice
      v[i] = &b;
    }
    return v;
  }();
  return by_index;
}

uint32_t Ixgbe82599::read_ctrl(uint32_t, uint32_t v) { return in_reset() ? v | ctrl::kResetMask : v; }
// §8.2.3.1.2: GIO Master Enable Status clears once CTRL.GIO Master Disable is set and no master request is
// pending (the model's DMA has none outstanding when software looks: it completes within an event).
uint32_t Ixgbe82599::read_status(uint32_t, uint32_t) {
  return r(CTRL.at()) & ctrl::kMasterDisable.mask() ? 0 : status::kMasterEnable.mask();
}
// §4.6.3: the EEPROM auto-read after a reset; §8.2.3.2.1: software's direct access, granted (EE_GNT) while
// EE_REQ is set and the auto-read is over (no firmware here competes for the EEPROM), its lines then reaching
// the SPI EEPROM (sim/spi_eeprom.h) and EE_DO following its output.
bool Ixgbe82599::eeprom_granted(uint32_t eec) const {
  return (eec & eec::kRequest.mask()) && world_.now() >= reset_done_at_ + world_.params().eeprom_ns;
}
uint32_t Ixgbe82599::read_eec(uint32_t, uint32_t v) {
  v &= ~(eec::kDataOut.mask() | eec::kGrant.mask() | eec::kAddrSize.mask() | eec::kSize.mask());
  v |= eec::kPresent.mask() | eec::kSize.make(1);  // 2^(1 + 6) = 128 words (eeprom_), 8-bit SPI addresses
  static_assert(sizeof(eeprom_) / 2 == 128);
  if (eeprom_granted(v)) v |= eec::kGrant.mask() | (spi_.dout() ? eec::kDataOut.mask() : 0);
  return world_.now() >= reset_done_at_ + world_.params().eeprom_ns ? v | eec::kAutoReadDone.mask() : v;
}
void Ixgbe82599::write_eec(uint32_t, uint32_t, uint32_t v) {
  if (eeprom_granted(v))
    spi_.drive(v & eec::kClock.mask(), v & eec::kChipSelect.mask(), v & eec::kDataIn.mask());
  else
    spi_.reset();  // no grant: the lines stay with the MAC, which keeps the EEPROM deselected
}
uint32_t Ixgbe82599::read_links(uint32_t, uint32_t) {
  return link_up() ? links::kLinkUp.mask() | links::kSpeed.make(links::kSpeed10G) : 0;
}
uint32_t Ixgbe82599::read_rdrxctl(uint32_t, uint32_t v) {  // §4.6.3: DMA init done after a reset
  return world_.now() >= reset_done_at_ + world_.params().dma_init_ns ? v | rdrxctl::kDmaInitDone.mask() : v;
}
// §8.2.3.4.9: SMBI reads 0 when the semaphore is free, and that read takes it (the bit then reads 1 until
// software writes 0). SWESMBI is plain storage: with no firmware modelled, software always gets it.
uint32_t Ixgbe82599::read_swsm(uint32_t, uint32_t v) {
  if (!(v & swsm::kSmbi.mask())) r(SWSM.at()) = v | swsm::kSmbi.mask();
  return v;
}
// SDP2 is the SFP+ cage's module-present pin.
uint32_t Ixgbe82599::read_esdp(uint32_t, uint32_t v) {
  return sfp_.kind() != SfpModule::Kind::kEmpty ? v | esdp::kSdp2.mask() : v & ~esdp::kSdp2.mask();
}
// The two-wire bus to the module: the OUT bits as written, the IN bits as the lines are (sim/sfp.h).
uint32_t Ixgbe82599::read_i2cctl(uint32_t, uint32_t v) {
  v &= ~(i2cctl::kClkIn.mask() | i2cctl::kDataIn.mask());
  return v | (sfp_.scl() ? i2cctl::kClkIn.mask() : 0) | (sfp_.sda() ? i2cctl::kDataIn.mask() : 0);
}
void Ixgbe82599::write_i2cctl(uint32_t, uint32_t, uint32_t v) {
  sfp_.drive(v & i2cctl::kClkOut.mask(), v & i2cctl::kDataOut.mask());
}
// AN_STATE leaves 0 once auto-negotiation was restarted (the model has no AN state machine: state 1 stands
// for "started"); back to 0 at reset.
uint32_t Ixgbe82599::read_anlp1(uint32_t, uint32_t v) {
  return an_restarted_ ? v | anlp1::kAnState.make(1) : v & ~anlp1::kAnState.mask();
}
// §8.2.3.2.2: a write with START reads the word at ADDR; DONE and DATA are there at once (the read of a
// serial EEPROM takes microseconds; software polls DONE either way).
void Ixgbe82599::write_eerd(uint32_t, uint32_t, uint32_t v) {
  if (!(v & eerd::kStart.mask())) return;
  const uint32_t addr = eerd::kAddr.get(v);
  const uint16_t data = addr < eeprom_.size() ? eeprom_[addr] : 0xFFFF;
  r(EERD.at()) = eerd::kDone.mask() | eerd::kAddr.make(addr) | eerd::kData.make(data);
}

// RXDCTL/TXDCTL.ENABLE reads back 1 only once the queue is enabled (§4.6.7, §4.6.8: software polls it).
uint32_t Ixgbe82599::read_rxdctl(uint32_t q, uint32_t v) {
  return world_.now() >= rxq_[q].enable_at ? v | rxdctl::kEnable.mask() : v & ~rxdctl::kEnable.mask();
}
uint32_t Ixgbe82599::read_txdctl(uint32_t q, uint32_t v) {
  return world_.now() >= txq_[q].enable_at ? v | txdctl::kEnable.mask() : v & ~txdctl::kEnable.mask();
}

void Ixgbe82599::write_rdt(uint32_t q, uint32_t, uint32_t) {
  if (functional_) return drain_rx();  // frames waiting in the packet buffer go at once
  // The doorbell reaches the device one PCIe latency later; then it may fetch the new descriptors.
  world_.schedule(ceil_ns(pcie_.doorbell(now_ps())), this, kRxDoorbell, arg(q, rxq_[q].gen));
}
void Ixgbe82599::write_tdt(uint32_t q, uint32_t, uint32_t v) {
  if (r(TDLEN.at(q)) == 0 && orphan_n_[q] != 0) {  // a queue this device forgot in a reset
    counters_.tx_lost_reset += (v % orphan_n_[q] + orphan_n_[q] - orphan_tail_[q] % orphan_n_[q]) % orphan_n_[q];
    orphan_tail_[q] = v;
  }
  if (functional_) return tx_process(q);  // every handed-over frame goes at once
  schedule_kick(q, ceil_ns(pcie_.doorbell(now_ps())));
}
void Ixgbe82599::write_ctrl(uint32_t, uint32_t, uint32_t v) {
  r(CTRL.at()) = v & ~ctrl::kResetMask;  // self-clearing bits
  if (v & ctrl::kReset.mask()) {
    reset();
  } else if (v & ctrl::kLinkReset.mask()) {
    link_up_at_ = cabled() ? world_.now() + world_.params().link_up_ns : UINT64_MAX;
    phy_changed();
  }
}
void Ixgbe82599::write_autoc(uint32_t, uint32_t, uint32_t v) {
  r(AUTOC.at()) = v & ~autoc::kAnRestart.mask();  // self-clearing
  if (!(v & autoc::kAnRestart.mask())) return;
  an_restarted_ = true;
  const uint64_t now = world_.now();
  link_up_at_ = forced_link() ? now + 1000 : cabled() ? now + world_.params().link_up_ns : UINT64_MAX;
  phy_changed();
}
void Ixgbe82599::write_rxctrl(uint32_t, uint32_t, uint32_t v) {
  if (v & rxctrl::kRxEnable.mask()) drain_rx();
}
// Queue enable (§4.6.7, §4.6.8): ENABLE becomes visible queue_enable_ns later; a change of it restarts the
// ring's descriptor engine; disabling a tx queue abandons what it had not processed.
void Ixgbe82599::write_queue_enable(Ring ring, uint32_t q, uint32_t old, uint32_t v) {
  DescEngine& st = engine(ring, q);
  const bool was = old & rxdctl::kEnable.mask(), on = v & rxdctl::kEnable.mask();
  if (ring == Ring::kTx && was && !on) counters_.tx_lost_reset += tx_unprocessed(q);
  if (on != was) reset_ring(ring, q);
  if (on && !was) st.enable_at = world_.now() + world_.params().queue_enable_ns;
  if (!on) st.enable_at = UINT64_MAX;
}
void Ixgbe82599::write_rxdctl(uint32_t q, uint32_t old, uint32_t v) { write_queue_enable(Ring::kRx, q, old, v); }
void Ixgbe82599::write_txdctl(uint32_t q, uint32_t old, uint32_t v) { write_queue_enable(Ring::kTx, q, old, v); }
// A new ring base, length or head starts the ring's descriptor engine afresh.
void Ixgbe82599::write_rx_ring(uint32_t q, uint32_t, uint32_t) { reset_ring(Ring::kRx, q); }
void Ixgbe82599::write_tx_ring(uint32_t q, uint32_t, uint32_t) { reset_ring(Ring::kTx, q); }
void Ixgbe82599::write_tdlen(uint32_t q, uint32_t, uint32_t) {
  orphan_n_[q] = 0;
  reset_ring(Ring::kTx, q);
}
// Interrupt registers (§7.3.1, §8.2.3.5): EICR is write-1-to-clear, EICS sets causes, EIMS sets and EIMC clears
// mask bits. Vectors have their own set/mask/clear/auto-mask pairs (the _EX registers); bits 15:0 of the low
// registers and of the [0] register are one set of bits, so a write to either changes both.
void Ixgbe82599::write_eicr(uint32_t, uint32_t old, uint32_t v) { clear_causes(v & old); }
void Ixgbe82599::write_eics(uint32_t, uint32_t, uint32_t v) {
  for (uint32_t b = 0; b < 16; ++b)
    if (v & (1u << b)) raise(static_cast<int>(b));
  set_causes(v & eicr::kOtherCauses.mask());
}
// Linux's ixgbe reads EICS to see the causes without clearing them (its workaround for a clear-on-read
// erratum, ixgbe_msix_other()): a read returns EICR and clears nothing.
uint32_t Ixgbe82599::read_eics(uint32_t, uint32_t) { return r(EICR.at()); }
void Ixgbe82599::write_eics_ex(uint32_t i, uint32_t, uint32_t v) {
  for (uint32_t b = 0; b < 32; ++b)
    if (v & (1u << b)) raise(static_cast<int>(32 * i + b));
}
void Ixgbe82599::write_eims(uint32_t, uint32_t old, uint32_t v) {
  r(EIMS.at()) = old | v;  // writing 1 sets, 0 has no effect
  const uint32_t vectors = v & eicr::kRxTxQueues.mask();
  const uint32_t fresh = vectors & ~r(EIMS_EX.at(0));
  r(EIMS_EX.at(0)) |= vectors;
  unmasked(0, msix_mode() ? fresh : v & ~old & eicr::kRxTxQueues.mask());
  // An other cause that waited while masked interrupts now.
  if (v & ~old & r(EICR.at()) & eicr::kOtherCauses.mask()) raise_other();
}
void Ixgbe82599::write_eimc(uint32_t, uint32_t, uint32_t v) {
  r(EIMS.at()) &= ~v;
  r(EIMS_EX.at(0)) &= ~(v & eicr::kRxTxQueues.mask());
}
void Ixgbe82599::write_eims_ex(uint32_t i, uint32_t old, uint32_t v) {
  r(EIMS_EX.at(i)) = old | v;
  if (i == 0) r(EIMS.at()) |= v & eicr::kRxTxQueues.mask();
  if (msix_mode()) unmasked(i, v & ~old);
}
void Ixgbe82599::write_eimc_ex(uint32_t i, uint32_t, uint32_t v) {
  r(EIMS_EX.at(i)) &= ~v;
  if (i == 0) r(EIMS.at()) &= ~(v & eicr::kRxTxQueues.mask());
}
void Ixgbe82599::write_eiam(uint32_t, uint32_t, uint32_t v) {
  const uint32_t low = eicr::kRxTxQueues.mask();
  r(EIAM_EX.at(0)) = (r(EIAM_EX.at(0)) & ~low) | (v & low);
}
void Ixgbe82599::write_eiam_ex(uint32_t i, uint32_t, uint32_t v) {
  const uint32_t low = eicr::kRxTxQueues.mask();
  if (i == 0) r(EIAM.at()) = (r(EIAM.at()) & ~low) | (v & low);
}
void Ixgbe82599::unmasked(uint32_t word, uint32_t bits) {
  for (uint32_t b = 0; b < 32; ++b)  // causes that were pending while masked fire now (EITR permitting)
    if (bits & (1u << b) && 32 * word + b < kVectors) try_fire(32 * word + b);
}

// ---------------------------------------------------------------------------------------------------------
// MMIO
uint32_t Ixgbe82599::read32(uint32_t offset) {
  if (removed_) return 0xFFFFFFFFu;  // nobody answers: the root complex completes the read with all-ones
  if (offset % 4 != 0 || offset >= kBarSize) {
    report("mmio.bad-offset", "read at " + hex(offset));
    return 0;
  }
  offset = canonical(offset);
  if (in_reset_quiet() && offset != CTRL.at())
    report("mmio.access-during-reset", "read " + hex(offset) + " within 1 ms of CTRL.RST (§8.2.3.1.1)");
  const int16_t idx = def_of_[offset / 4];
  if (idx < 0) {
    report("mmio.unknown-register", "read " + hex(offset));
    return 0;
  }
  const RegDef& d = kMap[idx];
  uint32_t& cell = r(offset);
  const Behaviour* b = behaviour_of()[static_cast<size_t>(idx)];
  const uint32_t index = static_cast<uint32_t>(d.index_of(offset));
  const uint32_t v = b && b->read ? (this->*b->read)(index, cell) : cell;
  strict_.after_read(d, index, v);  // what software saw (sim/strict.h)
  switch (d.access) {
    case Access::kRC:
      if (is_counter_low(d)) break;
      cell = 0;
      if (is(d, GORCH)) r(GORCL.at()) = 0;
      if (is(d, GOTCH)) r(GOTCL.at()) = 0;
      if (is(d, TORH)) r(TORL.at()) = 0;
      if (is(d, QBRC_H)) r(QBRC_L.at(index)) = 0;
      break;
    case Access::kWO:  // reads 0, unless its behaviour row answers reads (EICS)
      return b && b->read ? v : 0;
    case Access::kRW1C:  // EICR also clears on read while GPIE.OCD = 0
      clear_causes(cell);
      cell = 0;
      break;
    default:
      break;
  }
  return v;
}

void Ixgbe82599::write32(uint32_t offset, uint32_t value) {
  if (removed_) return;
  if (offset % 4 != 0 || offset >= kBarSize) {
    report("mmio.bad-offset", "write " + hex(value) + " at " + hex(offset));
    return;
  }
  offset = canonical(offset);
  if (in_reset_quiet())
    report("mmio.access-during-reset", "write " + hex(offset) + " within 1 ms of CTRL.RST (§8.2.3.1.1)");
  const int16_t idx = def_of_[offset / 4];
  if (idx < 0) {
    report("mmio.unknown-register", "write " + hex(value) + " at " + hex(offset));
    return;
  }
  const RegDef& d = kMap[idx];
  const Behaviour* b = behaviour_of()[static_cast<size_t>(idx)];
  if (!is(d, RDT) && !is(d, TDT)) ++reg_epoch_;  // the doorbells change no view (tails are read per frame)
  uint32_t& cell = r(offset);
  strict_check(d, offset, cell, value);  // every mode: outside strict mode only the `always` rules report
  const uint32_t old = cell;
  switch (d.access) {
    case Access::kRO:
    case Access::kRC:
      report("mmio.write-read-only", "write " + hex(value) + " to " + std::string(d.name));
      return;
    case Access::kWO: break;                        // nothing stored
    case Access::kRW1C: cell &= ~value; break;      // ones clear
    case Access::kRW: cell = value; break;
  }
  if (b && b->write) (this->*b->write)(static_cast<uint32_t>(d.index_of(offset)), old, value);
}

void Ixgbe82599::strict_check(const RegDef& d, uint32_t offset, uint32_t old, uint32_t v) {
  const Params& p = world_.params();
  const uint64_t now = world_.now();
  const StrictView view{regs_.data(), now >= reset_done_at_ + std::max(p.eeprom_ns, p.dma_init_ns), config_.strict, now,
                        &diag_, world_.clock_ns()};
  strict_.before_write(d, static_cast<uint32_t>(d.index_of(offset)), old, v, view);
}

uint32_t Ixgbe82599::tx_unprocessed(uint32_t q) const {
  const uint32_t n = r(TDLEN.at(q)) / 16, tail = r(TDT.at(q)), head = txq_[q].head;
  return n == 0 || tail >= n || head >= n ? 0 : (tail + n - head) % n;
}

}  // namespace sim
