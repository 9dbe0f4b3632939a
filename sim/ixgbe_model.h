// The 82599 device model: register file with datasheet semantics, rx and tx engines, MAC, link.
//
// Where each rule lives:
//   register semantics ........ read32()/write32() and the behaviour table kBehaviours, one row per register
//                               with a read_*/write_* handler (ixgbe_registers.cc; reset values and access
//                               kinds come from driver/ixgbe/regs.h, the single register table)
//   reset / EEPROM / DMA init . reset(), eeprom_done(), dma_done()          (§4.6.3)
//   link ...................... link_up(), on AUTOC writes                  (§4.6.4)
//   rx: filter, packet buffer . receive(), accept()                         (§7.1.1, §7.1.2)
//   rx: descriptors, DMA ...... drain_rx(), deliver()                       (§7.1.6)
//   tx: descriptors, wire ..... tx_process(); checksum offload tx_offload()  (§7.2, §7.2.5)
//   statistics ................ count_rx()/count_tx()                       (§8.2.3.23)
//   strict mode (datasheet rules for software) ... the rule table and checker in sim/strict.h; the model
//                               calls it from write32() and read32() in every mode (IxgbeConfig::strict
//                               selects all rules, otherwise only the `always` ones report)
//   fault injection ........... fault_*() below; each is a flag or one call, checked at the edge of the
//                               engine it affects (link_up(), tx_process(), drain_rx(), read32/write32)
//
// Timing (cycle-approximate, every constant in sim/params.h):
//   doorbells ................. an RDT/TDT write reaches the engines one PCIe latency later (Pcie::doorbell)
//   descriptor fetch .......... fetch(): on-chip cache per queue; a fetch happens on demand (cache empty) or
//                               when fewer than PTHRESH are cached and at least HTHRESH wait in host memory;
//                               one read of up to the free cache space (Pcie::read: two latencies)
//   rx DMA .................... deliver(): data then the descriptor write-back as posted writes; DD becomes
//                               visible when the write-back lands (apply_host_writes(), a release store)
//   write-back batching ....... writeback(): WTHRESH = 0 writes each descriptor (rx) / RS descriptor (tx) at
//                               once; WTHRESH > 0 waits for that many done descriptors, or wb_flush_ns
//   rx packet buffer .......... RXPBSIZE: frames wait here for descriptors or PCIe; full -> MPC;
//                               SRRCTL.DROP_EN drops at once when no descriptor exists (QPRDC)
//   tx packet buffer .......... TXPBSIZE: data fetched ahead of the wire; full -> the engine waits
//   wire ...................... serialization incl. preamble/IFG, scheduled in ps
//   interrupts ................ raise(): EICR cause bits; a vector fires when its cause is set and unmasked,
//                               at most once per EITR interval; counted in interrupts(v)
//
// Functional mode (World::functional(), sim/world.h): everything above except the timing. The engines are in
// sim/ixgbe_functional.cc: an RDT write delivers waiting frames at once (rx_now(): the descriptor is read from
// the host ring, data and write-back written in one step, each descriptor written back as it completes,
// whatever WTHRESH says); a TDT write transmits every handed-over frame at once (tx_now(): DD on RS
// descriptors at once, the frame lent to the peer without a copy). Register semantics, filters, RSS, packet
// buffer limits (frames wait there only while the ring has no descriptor), statistics, interrupts, strict
// rules and the faults behave as in timed mode, with one difference for fault_dma(): the functional engines
// translate a ring once (not per descriptor) and write back without a separate translation, so an injected
// fault always lands on a frame's buffer: that frame is dropped, the queue goes on.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "driver/regmap/reg.h"
#include "sim/diag.h"
#include "sim/iommu.h"
#include "sim/ixgbe_datapath.h"
#include "sim/pcie.h"
#include "sim/sfp.h"
#include "sim/spi_eeprom.h"
#include "sim/strict.h"
#include "sim/world.h"

namespace sim {

struct IxgbeConfig {
  std::string name = "sim";
  std::array<uint8_t, 6> mac{0x02, 0x53, 0x49, 0x4d, 0x00, 0x00};  // "SIM", locally administered
  uint16_t device_id = 0x10FB;                                    // 82599ES SFP+
  // Check every register write against the datasheet's rules for software (sim/strict.h); each violation
  // is reported through diag() under the rule's id with its datasheet section.
  bool strict = false;
  // What sits in the SFP+ cage (sim/sfp.h): a passive direct-attach cable, an SR optic, or nothing.
  SfpModule::Kind sfp = SfpModule::Kind::kDirectAttach;
};

class Ixgbe82599 final : public Endpoint, public EventTarget {
 public:
  static constexpr uint32_t kBarSize = 0x20000;  // 128 KB of BAR0 is modelled
  static constexpr uint32_t kQueues = 64;
  static constexpr uint32_t kVectors = 24;  // EITR[0..23] are modelled

  Ixgbe82599(World& world, Iommu& iommu, IxgbeConfig config);
  Ixgbe82599(const Ixgbe82599&) = delete;  // events, links and the EEPROM's lines point into it
  Ixgbe82599& operator=(const Ixgbe82599&) = delete;

  uint32_t read32(uint32_t offset);
  void write32(uint32_t offset, uint32_t value);

  // Wire side.
  void receive(Bytes&& frame, uint64_t t) override;
  void receive_view(std::span<const uint8_t> frame, uint64_t t) override;
  void on_event(uint32_t kind, uint64_t arg) override;
  // Cable this port's transmit side to `peer`, an endpoint with no PHY of its own (a sink, a capture, a
  // traffic source's receiver): it always listens, so the link is up whenever this port's PHY is. nullptr
  // unplugs the cable (and detaches a port cabled with cable()).
  void connect(Endpoint* peer);
  // One duplex cable between two ports: each one's transmit reaches the other's receive (through `a_to_b` /
  // `b_to_a` when given, e.g. a capture tap that forwards to the port). It is one link with two ends: up at
  // both once both PHYs have trained, down at both when either end resets, retrains, loses signal or is
  // removed (the far end sees loss of signal and stops transmitting; frames already on the wire are lost,
  // counted as rx_link_down by the receiver). Each end's LSC cause is set when the far end changes it.
  static void cable(Ixgbe82599& a, Ixgbe82599& b, Endpoint* a_to_b = nullptr, Endpoint* b_to_a = nullptr);
  bool cabled() const { return tx_link_ != nullptr; }
  // This end's PHY: trained, not in reset, no signal loss, still on the bus.
  bool phy_up() const {
    if (world_.now() < link_up_at_ || in_reset() || link_fault_ || removed_) return false;
    return forced_link() || cabled();
  }
  // LINKS.LINK_UP: this end's PHY and, on a duplex cable, the far end's (not when link up is forced, as
  // for loopback).
  bool link_up() const { return phy_up() && (!far_ || forced_link() || far_->phy_up()); }

  const IxgbeConfig& config() const { return config_; }
  const SfpModule& sfp() const { return sfp_; }
  Diagnostics& diag() { return diag_; }
  void set_strict(bool on) { config_.strict = on; }

  // --- Fault injection: things that happen to real cards, on demand (tests, tools/soak).
  // Link loss (cable pulled, peer reset, PHY trouble): LINKS reads down at once and frames arriving are lost
  // (rx_link_down); frames queued for transmit wait. Restoring it retrains: up again after link_up_ns.
  void fault_link_down(bool down);
  // The transmit engine stops processing descriptors (a stuck TDH, the condition Linux ixgbe calls
  // "Tx Unit Hang"). Frames stay on the ring, no DD is written. A global reset (CTRL.RST) clears it.
  void fault_tx_hang(bool on);
  // Receive DMA stops (e.g. a stalled PCIe upstream): frames pile up in the rx packet buffer, which then
  // overflows (MPC). Clearing it lets the buffer drain.
  void fault_rx_stall(bool on);
  // The next `n` DMA accesses of this device's IOMMU domain fault (shared by every port of the world, as
  // one VFIO container is): a refused descriptor fetch stalls that queue, a refused buffer drops the frame
  // (functional mode: only buffer accesses count, see the top of this file).
  void fault_dma(uint32_t n) { iommu_.inject_faults(n); }
  // The device resets itself under traffic (as after a PCIe/firmware event): every register returns to its
  // reset value, queues and receive are off, the link retrains; frames inside the device are lost.
  void fault_reset();
  // Surprise removal: every read returns all-ones, writes are dropped, DMA stops. Permanent.
  void fault_remove();
  bool removed() const { return removed_; }
  bool tx_hung() const { return tx_hang_; }

  // Counters the model keeps beyond the datasheet's (why a frame never reached a descriptor).
  struct Counters {
    uint64_t rx_link_down = 0, rx_disabled = 0, rx_filtered = 0, rx_queue_disabled = 0;
    uint64_t tx_no_cable = 0, dma_faults = 0;
    // Lifetime totals of frames the device dropped, by cause (registers clear on read and on reset; these
    // do not): for harnesses that account for every frame (tools/soak).
    uint64_t rx_no_desc = 0;       // QPRDC: no descriptor, SRRCTL.DROP_EN
    uint64_t rx_missed = 0;        // MPC: rx packet buffer full
    uint64_t rx_lost_reset = 0;    // received, then lost inside the device by a reset or queue disable
    uint64_t rx_dma_drops = 0;     // received, then dropped by an IOMMU fault or an unusable queue
    uint64_t tx_lost_reset = 0;    // descriptors handed over (TDH..TDT) and abandoned by a reset/disable
    uint64_t tx_bad_frames = 0;    // frames not sent: IOMMU fault on a buffer, bad descriptor
    uint64_t tx_checksum_offloads = 0;  // frames whose checksums the device inserted (POPTS IXSM/TXSM)
    uint64_t rx_good = 0, tx_good = 0;  // lifetime GPRC and GPTC (the registers clear on read and at reset)
    // Of rx_no_desc + rx_missed, the drops that happened while the simulation ran behind its pace
    // (World::behind_pace(), sim/runner.h): the driver could not have run then. The rest were the driver's.
    uint64_t rx_pace_drops = 0;
    // Timing model activity.
    uint64_t desc_fetches = 0;      // descriptor read bursts (rx + tx)
    uint64_t writebacks = 0;        // descriptor write-back bursts (rx + tx)
    uint64_t rx_pcie_waits = 0;     // times a frame waited in the packet buffer for the upstream pipe
    uint64_t tx_pb_full_waits = 0;  // times the tx engine waited for room in the tx packet buffer
  };
  const Counters& counters() const { return counters_; }
  const SpiEeprom& eeprom_spi() const { return spi_; }
  size_t rx_fifo_frames() const { return rx_fifo_.size(); }
  uint64_t rx_fifo_bytes() const { return rx_fifo_bytes_; }
  const Pcie& pcie() const { return pcie_; }

  // Interrupts: how often MSI-X vector `v` fired (EITR-moderated). The hook, if set, runs inside the model
  // (device thread in threaded mode) each time a vector fires; an eventfd backend would signal from it.
  uint64_t interrupts(uint32_t v) const { return v < kVectors ? vec_[v].fired : 0; }
  std::function<void(uint32_t vector, uint64_t t_ns)> on_interrupt;
  // Threaded mode: true while a tail write to rx queue q is posted but not yet taken in (SimNic's doorbells).
  // The tail is then on its way, as an RDT write crossing PCIe is: a frame waits for it in the packet buffer
  // instead of being dropped for want of a descriptor.
  std::function<bool(uint32_t q)> rx_doorbell_posted;

 private:
  enum EventKind : uint32_t {
    kTxKick = 1, kLoopback = 2, kRxDoorbell = 3, kRxDescArrive = 4, kTxDescArrive = 5, kRxDrain = 6,
    kHostWrite = 7, kTxDataDone = 8, kRxFlush = 9, kTxFlush = 10, kItr = 11, kLinkUp = 12,
  };
  using RawDesc = std::array<uint64_t, 2>;
  struct Fetch {
    uint32_t first, count;
  };
  // A descriptor write-back (and, for rx, the frame data) in flight to host memory; applied at t_ns.
  struct HostWrite {
    uint64_t t_ns = 0;
    bool rx = false;              // an rx frame's data and write-backs, or one tx write-back
    uint8_t q = 0;
    uint32_t gen = 0;
    uint64_t ring_base = 0;
    uint32_t ring_n = 0, first = 0, ndesc = 0, bsize = 0;
    Bytes frame;                  // rx: bytes to write into the buffers
    // rx: buffer IOVA per descriptor, in place for the usual frames (no allocation per frame)
    static constexpr uint32_t kInlineBufs = 8;
    std::array<uint64_t, kInlineBufs> buf_inline{};
    std::vector<uint64_t> buf_more;  // descriptors kInlineBufs.. of a frame that needs more
    uint64_t& buf(uint32_t i) { return i < kInlineBufs ? buf_inline[i] : buf_more[i - kInlineBufs]; }
    bool cause = false;           // tx: raise the queue's interrupt cause when applied
  };
  struct TxDone {  // a tx frame whose data is on chip at t_ns: its descriptors may be written back
    uint64_t t_ns;
    uint32_t ndesc;
    uint32_t first;    // ring index of its first descriptor
    uint64_t rs_mask;  // bit i: descriptor first + i has RS (a frame has at most the cache's 40 descriptors)
  };
  // A queue pair's two descriptor rings and the registers that define each one (§8.2.3.8, §8.2.3.9).
  enum class Ring : uint8_t { kRx, kTx };
  struct RingRegs {
    const nic::reg::RegDef &bal, &bah, &len, &head, &tail, &ctl;
  };
  static constexpr RingRegs kRingRegs[2] = {
      {nic::ixgbe::RDBAL, nic::ixgbe::RDBAH, nic::ixgbe::RDLEN, nic::ixgbe::RDH, nic::ixgbe::RDT, nic::ixgbe::RXDCTL},
      {nic::ixgbe::TDBAL, nic::ixgbe::TDBAH, nic::ixgbe::TDLEN, nic::ixgbe::TDH, nic::ixgbe::TDT, nic::ixgbe::TXDCTL},
  };
  static constexpr const RingRegs& regs_of(Ring ring) { return kRingRegs[static_cast<int>(ring)]; }
  // One ring's descriptor engine. enable_at and head serve both models; the rest is the timed model's
  // on-chip descriptor cache and write-back accounting.
  struct DescEngine {
    uint64_t enable_at = UINT64_MAX;  // when ENABLE becomes visible
    uint32_t gen = 0;                 // bumped when the ring is reset: stale fetches/writes are ignored
    uint32_t fetch_next = 0;          // next ring index to fetch
    uint32_t inflight = 0;            // descriptors being fetched
    Fifo<Fetch> fetches;
    Fifo<RawDesc> cache;        // fetched, not yet used; front is ring index `head`
    uint32_t head = 0;
    uint32_t wb_pending = 0;          // descriptors done, not yet written back
    bool flush_armed = false;
  };
  // Functional model: the ring's registers decoded once, again after any register write or reset
  // (reg_epoch_) or IOMMU mapping change (Iommu::epoch()); see refresh_view().
  struct FunctionalView {
    uint64_t view_regs = UINT64_MAX, view_iommu = UINT64_MAX;
    uint8_t* host_ring = nullptr;     // the descriptor ring's host address; nullptr: not mapped in one piece
    uint32_t view_n = 0;              // descriptors in the ring
    Iommu::Window buffers;            // the mapping this queue's last buffer was in (its pool, usually)
  };
  struct RxQueue : DescEngine, FunctionalView {
    std::vector<HostWrite> held;      // timed: frames whose write-back waits for WTHRESH
    uint32_t view_bsize = 0;          // functional: buffer size
    bool view_ok = false;             // functional: descriptor type, buffer size and ring length usable
    bool view_strip = false;          // functional: CRC stripped (HLREG0.RXCRCSTRP)
    bool view_strip_mismatch = false; // functional: HLREG0.RXCRCSTRP != RDRXCTL.CRCSTRIP
  };
  struct TxQueue : DescEngine, FunctionalView {
    std::vector<uint32_t> rs_pending; // timed: RS slots done, not yet written back
    Fifo<TxDone> tx_done;       // timed: frames whose data read is in flight
    uint64_t kick_at = UINT64_MAX;    // timed: earliest scheduled kick
    std::array<dp::TxContext, nic::txctx::kSlots> contexts{};  // the last context descriptor per IDX
  };
  DescEngine& engine(Ring ring, uint32_t q) {
    return ring == Ring::kRx ? static_cast<DescEngine&>(rxq_[q]) : static_cast<DescEngine&>(txq_[q]);
  }
  const DescEngine& engine(Ring ring, uint32_t q) const {
    return ring == Ring::kRx ? static_cast<const DescEngine&>(rxq_[q]) : static_cast<const DescEngine&>(txq_[q]);
  }
  struct Vector {
    uint64_t next_ok = 0;  // earliest time the EITR interval allows the next interrupt
    bool pending = false;  // a queue cause arrived since the vector last fired (masked by EIMS_EX)
    bool other = false;    // an other cause arrived since then (masked by its EIMS cause bit; IVAR_MISC)
    bool timer = false;
    uint64_t fired = 0;
  };

  uint32_t& r(uint32_t offset) { return regs_[offset / 4]; }
  uint32_t r(uint32_t offset) const { return regs_[offset / 4]; }
  uint32_t canonical(uint32_t offset) const;
  // Every id is checked against sim/strict.h's tables at compile time (RuleId).
  void report(RuleId rule, const std::string& detail) { sim::report(diag_, rule.rule(), detail, world_.now()); }
  void strict_check(const nic::reg::RegDef& d, uint32_t offset, uint32_t old, uint32_t v);
  uint32_t tx_unprocessed(uint32_t q) const;  // descriptors between the engine's head and TDT
  // A ring's base address. Rings are 128-byte aligned (§8.2.3.8.1, §8.2.3.9.5): the device does not use bits
  // 6:0 of RDBAL/TDBAL (strict mode reports software that sets them: ring.base-misaligned).
  uint64_t ring_base(Ring ring, uint32_t q) const {
    const RingRegs& g = regs_of(ring);
    return (static_cast<uint64_t>(r(g.bah.at(q))) << 32 | r(g.bal.at(q))) & ~uint64_t{0x7F};
  }

  void reset();
  bool in_reset() const { return world_.now() < reset_done_at_; }
  bool forced_link() const { return r(nic::ixgbe::AUTOC.at()) & nic::ixgbe::autoc::kForceLinkUp.mask(); }
  // When the link (both ends) comes up if nothing changes, UINT64_MAX if it will not by itself.
  uint64_t link_up_at() const;
  // This end's PHY changed (reset, retrain, signal loss, removal): tell both ends' transmit engines.
  void phy_changed();
  // The link's state or its next up time changed: transmit engines wake when it comes up.
  void link_changed(bool from_far_end);
  // Within 1 ms of a software reset (§8.2.3.1.1); power-on is not one.
  bool in_reset_quiet() const {
    return reset_written_at_ != UINT64_MAX && world_.now() - reset_written_at_ < world_.params().reset_quiet_ns;
  }
  // Register behaviour (sim/ixgbe_registers.cc): one row per register that does more than store a value;
  // `index` is the element of a register array (the queue), `stored` / `old` the value held before.
  using ReadFn = uint32_t (Ixgbe82599::*)(uint32_t index, uint32_t stored);  // (a read may have effects)
  using WriteFn = void (Ixgbe82599::*)(uint32_t index, uint32_t old, uint32_t value);
  struct Behaviour {
    const nic::reg::RegDef* reg;
    ReadFn read;
    WriteFn write;
  };
  static const Behaviour kBehaviours[];
  static const std::vector<const Behaviour*>& behaviour_of();  // by index in nic::ixgbe::kMap
  uint32_t read_ctrl(uint32_t, uint32_t);
  uint32_t read_status(uint32_t, uint32_t);
  uint32_t read_eec(uint32_t, uint32_t);
  void write_eec(uint32_t, uint32_t, uint32_t);
  bool eeprom_granted(uint32_t eec) const;
  uint32_t read_links(uint32_t, uint32_t);
  uint32_t read_rdrxctl(uint32_t, uint32_t);
  uint32_t read_rxdctl(uint32_t, uint32_t);
  uint32_t read_txdctl(uint32_t, uint32_t);
  uint32_t read_swsm(uint32_t, uint32_t);
  uint32_t read_esdp(uint32_t, uint32_t);
  uint32_t read_i2cctl(uint32_t, uint32_t);
  uint32_t read_anlp1(uint32_t, uint32_t);
  void write_i2cctl(uint32_t, uint32_t, uint32_t);
  void write_eerd(uint32_t, uint32_t, uint32_t);
  void write_rdt(uint32_t, uint32_t, uint32_t);
  void write_tdt(uint32_t, uint32_t, uint32_t);
  void write_ctrl(uint32_t, uint32_t, uint32_t);
  void write_autoc(uint32_t, uint32_t, uint32_t);
  void write_rxctrl(uint32_t, uint32_t, uint32_t);
  void write_queue_enable(Ring ring, uint32_t q, uint32_t old, uint32_t v);
  void write_rxdctl(uint32_t, uint32_t, uint32_t);
  void write_txdctl(uint32_t, uint32_t, uint32_t);
  void write_rx_ring(uint32_t, uint32_t, uint32_t);
  void write_tx_ring(uint32_t, uint32_t, uint32_t);
  void write_tdlen(uint32_t, uint32_t, uint32_t);
  void write_eicr(uint32_t, uint32_t, uint32_t);
  void write_eics(uint32_t, uint32_t, uint32_t);
  void write_eims(uint32_t, uint32_t, uint32_t);
  void write_eimc(uint32_t, uint32_t, uint32_t);
  uint32_t read_eics(uint32_t, uint32_t);
  void write_eics_ex(uint32_t, uint32_t, uint32_t);
  void write_eims_ex(uint32_t, uint32_t, uint32_t);
  void write_eimc_ex(uint32_t, uint32_t, uint32_t);
  void write_eiam(uint32_t, uint32_t, uint32_t);
  void write_eiam_ex(uint32_t, uint32_t, uint32_t);
  void unmasked(uint32_t word, uint32_t bits);  // vectors 32*word + b newly unmasked: fire what waits

  // descriptor engines
  uint64_t now_ps() const { return world_.now() * 1000; }
  static uint64_t ceil_ns(uint64_t ps) { return (ps + 999) / 1000; }
  // The argument of a queue's events: its index and the ring generation the event belongs to (an event of an
  // older generation is stale: the ring was reset since).
  struct QueueEvent {
    uint32_t q, gen;
    static_assert(kQueues <= 256, "the queue index takes 8 bits");
    constexpr uint64_t pack() const { return q | static_cast<uint64_t>(gen) << 8; }
    static constexpr QueueEvent unpack(uint64_t a) { return {static_cast<uint32_t>(a & 0xFF), static_cast<uint32_t>(a >> 8)}; }
  };
  static uint64_t arg(uint32_t q, uint32_t gen) { return QueueEvent{q, gen}.pack(); }
  void reset_ring(Ring ring, uint32_t q);
  bool fetch(Ring ring, uint32_t q);
  void desc_arrive(Ring ring, uint32_t q, uint32_t gen);
  void push_host_write(HostWrite&& w);
  void apply_host_writes();
  void rx_writeback(uint32_t q);
  void tx_writeback(uint32_t q);
  // A context descriptor (kept in its slot), or the offloads the frame's first data descriptor asks for applied
  // to the assembled frame (tx_checksums()); either engine calls these.
  void tx_context(uint32_t q, const nic::AdvTxDesc& d);
  void tx_offload(uint32_t q, std::span<uint8_t> frame, uint32_t olinfo);
  // interrupts
  // §7.3: a queue's cause goes to the vector its IVAR entry names (bit 7 valid, bits 5:0 vector); without a
  // valid entry rx queue q sets EICR bit q % 16 (and tx queues set nothing), as before IVAR is programmed.
  int rx_vector(uint32_t q) const {
    using namespace nic::ixgbe;
    const uint32_t e = r(IVAR.at(q / 2)) >> ivar::rx_shift(q);
    return ivar::kAllocValid.get(e) ? static_cast<int>(ivar::kAlloc.get(e)) : static_cast<int>(q % 16);
  }
  int tx_vector(uint32_t q) const {
    using namespace nic::ixgbe;
    const uint32_t e = r(IVAR.at(q / 2)) >> ivar::tx_shift(q);
    return ivar::kAllocValid.get(e) ? static_cast<int>(ivar::kAlloc.get(e)) : -1;
  }
  void raise(int vector) {
    // Already pending (so already in EICR): a repeated cause changes nothing. The frequent case under load.
    if (vector >= 0 && static_cast<uint32_t>(vector) < kVectors && vec_[vector].pending) return;
    raise_new(vector);
  }
  void raise_new(int vector);
  void try_fire(uint32_t v);
  void clear_causes(uint32_t eicr_bits);
  // EICR's other causes (bits 29:16, e.g. LSC): set them; a newly set, unmasked one interrupts on the vector
  // IVAR_MISC names (MSI-X mode) or on the one interrupt (vector 0) otherwise.
  void set_causes(uint32_t eicr_bits);
  void raise_other();
  bool msix_mode() const { return r(nic::ixgbe::GPIE.at()) & nic::ixgbe::gpie::kMsixMode.mask(); }
  // Mask bit of vector v: EIMS_EX in MSI-X mode (EIMS's RTxQ bits alias its first 16), EIMS otherwise.
  bool vector_unmasked(uint32_t v) const {
    using namespace nic::ixgbe;
    return msix_mode() ? (r(EIMS_EX.at(v / 32)) >> (v % 32)) & 1 : (r(EIMS.at()) >> v) & 1;
  }
  bool other_unmasked() const {
    using namespace nic::ixgbe;
    return r(EICR.at()) & r(EIMS.at()) & eicr::kOtherCauses.mask();
  }
  // rx
  void on_loopback(Bytes&& frame, uint64_t t);
  void from_wire(std::span<const uint8_t> frame, Bytes* owned);
  // A frame from the wire; `owned`, if given, holds its bytes and may be moved into the packet buffer.
  void ingress(std::span<const uint8_t> frame, Bytes* owned);
  bool accept(std::span<const uint8_t> frame) const;
  // RSS (§7.1.2.8) when MRQC selects it, otherwise queue 0.
  uint32_t select_queue(std::span<const uint8_t> frame) const {
    return nic::ixgbe::mrqc::kMode.get(r(nic::ixgbe::MRQC.at())) == nic::ixgbe::mrqc::kModeRss ? rss_queue(frame) : 0;
  }
  uint32_t rss_queue(std::span<const uint8_t> frame) const;
  void drain_rx();
  void count_rx_drop(uint64_t& counter);  // one frame dropped for want of a descriptor or of packet buffer
  bool rx_tail_posted(uint32_t q) const { return rx_doorbell_posted && rx_doorbell_posted(q); }
  enum class Deliver { kDone, kNoDescriptor, kDropped };
  Deliver deliver(uint32_t q, Bytes& frame);
  // tx
  void schedule_kick(uint32_t q, uint64_t t_ns);
  bool tx_ready(uint32_t q);
  void tx_process(uint32_t q);
  void tx_data_done(uint32_t q, uint32_t gen);
  void count_tx(uint32_t q, std::span<const uint8_t> f) {  // §8.2.3.23
    using namespace nic::ixgbe;
    ++r(GPTC.at());
    ++counters_.tx_good;
    ++r(TPT.at());
    add64(GOTCL.at(), f.size() + world_.params().fcs_bytes);
    // A frame shorter than an Ethernet address (zero-length descriptors, padding off) has no destination.
    if (f.size() >= 6 && (f[0] & 1)) ++r(f[0] == 0xFF && f[1] == 0xFF ? BPTC.at() : MPTC.at());
    if (q < QPTC.count) ++r(QPTC.at(q));
  }
  void send(std::span<const uint8_t> frame, uint64_t arrival_ns);  // onto the wire (or MAC loopback)
  // functional mode (sim/ixgbe_functional.cc)
  bool rx_one(std::span<const uint8_t> frame);  // false: the frame must wait in the packet buffer
  Deliver rx_now(uint32_t q, std::span<const uint8_t> frame);
  Deliver rx_general(uint32_t q, std::span<const uint8_t> frame);
  [[gnu::cold]] Deliver rx_bad_queue(uint32_t q, dp::RxQueueState state);
  [[gnu::cold]] Deliver rx_dma_fault(uint32_t q, uint32_t idx);
  Deliver rx_done(uint32_t q, RxQueue& g, uint32_t need, uint32_t bytes);
  bool view_stale(const FunctionalView& v) const { return v.view_regs != reg_epoch_ || v.view_iommu != iommu_.epoch(); }
  RxQueue& rx_view(uint32_t q) {
    if (view_stale(rxq_[q])) [[unlikely]] refresh_view(Ring::kRx, q);
    return rxq_[q];
  }
  TxQueue& tx_view(uint32_t q) {
    if (view_stale(txq_[q])) [[unlikely]] refresh_view(Ring::kTx, q);
    return txq_[q];
  }
  void refresh_view(Ring ring, uint32_t q);
  void tx_now(uint32_t q);
  bool tx_general(uint32_t q, nic::AdvTxDesc* ring, uint32_t tail, bool& cause);
  [[gnu::cold]] void tx_dma_fault(uint32_t q, uint32_t idx);
  [[gnu::cold]] void tx_ring_fault(uint32_t q);
  void add64(uint32_t lo_offset, uint64_t v) {  // a 64-bit statistic kept as two registers
    const uint64_t cur = (static_cast<uint64_t>(r(lo_offset + 4)) << 32 | r(lo_offset)) + v;
    r(lo_offset) = static_cast<uint32_t>(cur);
    r(lo_offset + 4) = static_cast<uint32_t>(cur >> 32);
  }

  World& world_;
  const bool functional_;  // World::functional(), fixed for the world's life
  Iommu& iommu_;
  IxgbeConfig config_;
  Diagnostics diag_;
  Counters counters_;
  std::vector<uint32_t> regs_;
  uint64_t reg_epoch_ = 0;       // bumped by every register write but RDT/TDT, and by reset (functional views)
  std::vector<int16_t> def_of_;  // index into kMap per word, -1 = no register
  std::array<RxQueue, kQueues> rxq_{};
  std::array<TxQueue, kQueues> txq_{};
  uint64_t reset_written_at_ = 0;
  uint64_t reset_done_at_ = 0;
  // The EEPROM (128 words, EEC.SIZE = 1), read through EERD, with what Linux's ixgbe reads at probe: a valid
  // checksum (word 0x3F makes words 0x00..0x3F sum to 0xBABA), a part number, the device capabilities and the
  // SFP+ init-sequence list (ixgbe_model.cc); no pointer sections.
  std::array<uint16_t, 128> eeprom_{};
  SpiEeprom spi_{eeprom_};  // the same words, bit-banged through EEC (DPDK's first read goes this way)
  SfpModule sfp_;
  bool an_restarted_ = false;  // AUTOC.RESTART_AN written since the last reset (ANLP1.AN_STATE)
  uint64_t link_up_at_ = UINT64_MAX;  // this end's PHY trains up then
  uint64_t link_gen_ = 0;  // counts link changes: a kLinkUp event of an older one is stale
  Ixgbe82599* far_ = nullptr;          // the other end of a duplex cable (cable())
  Link* tx_link_ = nullptr;
  std::unique_ptr<Endpoint> loop_port_;  // MAC loopback (HLREG0.LPBK) delivers here
  Link* loop_link_ = nullptr;
  uint64_t wire_free_ps_ = 0;  // when the wire is idle again, in picoseconds
  Fifo<Bytes> rx_fifo_;
  // Functional mode: a received frame with its FCS appended; a transmitted frame assembled or padded (timed
  // mode assembles its frames in tx_scratch_ too).
  Bytes rx_scratch_, tx_scratch_;
  uint64_t rx_fifo_bytes_ = 0;
  bool rx_drain_scheduled_ = false;
  Pcie pcie_;
  Fifo<HostWrite> host_writes_;        // in visibility order (one upstream pipe)
  Fifo<std::pair<uint64_t, uint32_t>> tx_pb_;  // frames in the tx packet buffer: (leaves at ps, bytes)
  uint64_t tx_pb_bytes_ = 0;
  std::array<Vector, kVectors> vec_{};
  StrictChecker strict_;
  // Accounting across a reset the device did on its own: software keeps writing TDT to a queue the device
  // forgot (TDLEN = 0) until it notices; those descriptors are never processed. Geometry before the reset.
  std::array<uint32_t, kQueues> orphan_tail_{}, orphan_n_{};
  bool link_fault_ = false, tx_hang_ = false, rx_stall_ = false, removed_ = false;
};

}  // namespace sim
