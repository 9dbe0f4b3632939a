#include "driver/e1000e/e1000e.h"

#include <algorithm>

#include "driver/e1000e/regs.h"
#include "driver/seam/error.h"
#include "driver/seam/log.h"

namespace nic::e1000e {
namespace {

constexpr uint32_t kMasterDisableTimeoutUs = 10'000;
constexpr uint32_t kResetTimeoutUs = 1'000'000;
constexpr uint32_t kNvmTimeoutUs = 10'000;

// The 82574 has no per-queue enable: RCTL.EN and TCTL.EN switch its (one used) queue pair. A reset clears
// RCTL.EN, which init sets last and only the driver's own stop clears.
constexpr FamilyLayout kLayout{
    .rdbal = RDBAL, .rdbah = RDBAH, .rdlen = RDLEN, .rdh = RDH, .rdt = RDT, .rxdctl = RXDCTL,
    .tdbal = TDBAL, .tdbah = TDBAH, .tdlen = TDLEN, .tdh = TDH, .tdt = TDT, .txdctl = TXDCTL,
    .queue_enable = 0, .max_queues = 1,
    .ral = RAL, .rah = RAH, .status = STATUS,
    .configured = RCTL, .configured_mask = rctl::kEnable.mask()};
static_assert(kLayout.roles_match());

}  // namespace

bool is_supported_device(uint16_t vendor, uint16_t device) {
  // 82574L (QEMU's e1000e) and 82574LA.
  static constexpr uint16_t kIds[] = {0x10D3, 0x10F6};
  return vendor == pci::kVendorIntel && std::find(std::begin(kIds), std::end(kIds), device) != std::end(kIds);
}

E1000eDevice::E1000eDevice(Backend& backend, const DeviceConfig& config)
    : QueueDevice(backend, config, kLayout, "e1000e") {
  start("82574");
}

// Init, and recovery (DeviceBase::watchdog, driver/device/recovery.cc): the same sequence on the existing
// queue.
void E1000eDevice::reinit() {
  ensure_present();
  disable_interrupts();
  global_reset();
  disable_interrupts();
  // NVM auto-read (EECD.AUTO_RD) loads the MAC address into RAL/RAH(0); QEMU's e1000e models it, so a
  // missing AUTO_RD is an error here (unlike the 82576, whose QEMU model has no EEPROM).
  mmio_.wait(EECD, 0, eecd::kAutoReadDone.mask(), eecd::kAutoReadDone.mask(), kNvmTimeoutUs,
             "NVM auto-read (EECD.AUTO_RD)");
  mmio_.set_bits(CTRL_EXT, ctrl_ext::kDriverLoaded.mask());
  check_mac_address();
  e1000::setup_link(mmio_, config_.loopback);
  DeviceStats discard;
  read_counters(discard);  // statistics clear on read
  init_rx();
  init_tx();
  start_rx_queue(0);  // ring filled and handed over (RDH 0, RDT)
  start_tx_queue(0);
  // Receive last: filters, CRC strip, 2 KB buffers, extended descriptors (RFCTL.EXSTEN, DTYP 00), MAC
  // loopback if asked, enable.
  uint32_t rctl = rctl::kBroadcastAccept.mask() | rctl::kStripCrc.mask() | rctl::kEnable.mask();
  if (config_.promiscuous) rctl |= rctl::kUnicastPromisc.mask() | rctl::kMulticastPromisc.mask();
  if (config_.loopback) rctl |= rctl::kLoopbackMode.make(rctl::kLoopbackMac);
  mmio_.write(RCTL, rctl);
}

// Interrupts off (the driver polls), pending causes read away.
void E1000eDevice::disable_interrupts() {
  mmio_.write(IMC, 0xFFFFFFFFu);
  (void)mmio_.read(ICR);
}

// Before the reset: receive and transmit off, PCIe master disabled and drained (STATUS.GIO_MASTER_ENABLE
// clears; a device that never clears it is reset anyway, as Linux does). Then CTRL.RST (self-clearing),
// at least 1 ms before the next access, and 10 ms for the NVM reload to start.
void E1000eDevice::global_reset() {
  mmio_.write(RCTL, 0);
  mmio_.write(TCTL, tctl::kPadShortPackets.mask());
  mmio_.set_bits(CTRL, ctrl::kGioMasterDisable.mask());
  if (!mmio_.poll(STATUS, 0, status::kGioMasterEnable.mask(), 0, kMasterDisableTimeoutUs))
    log(LogLevel::kWarn, "%s: PCIe master disable not acknowledged; resetting anyway", backend_.name().c_str());
  mmio_.write(CTRL, mmio_.read(CTRL) | ctrl::kReset.mask());
  backend_.delay_us(1000);
  mmio_.wait(CTRL, 0, ctrl::kReset.mask(), 0, kResetTimeoutUs, "device reset (CTRL.RST)");
  backend_.delay_us(10'000);
}

// RAL/RAH(0) hold what the NVM auto-read loaded. Cross-check with NVM words 0..2; if the receive address is
// not valid (AV clear), program it from the NVM.
void E1000eDevice::check_mac_address() {
  MacAddr nvm;
  for (uint32_t w = 0; w < 3; ++w) {
    const uint16_t v = nvm_read(eerd::kMacWord0 + w);
    nvm[2 * w] = static_cast<uint8_t>(v);
    nvm[2 * w + 1] = static_cast<uint8_t>(v >> 8);
  }
  if (!(mmio_.read(RAH, 0) & rah::kAddressValid.mask())) {
    log(LogLevel::kInfo, "%s: receive address 0 not valid; using the NVM's %s", backend_.name().c_str(),
        format_mac(nvm).c_str());
    set_mac(nvm);
  } else if (mac() != nvm) {
    log(LogLevel::kWarn, "%s: MAC %s differs from the NVM's %s (keeping the register's)", backend_.name().c_str(),
        format_mac(mac()).c_str(), format_mac(nvm).c_str());
  }
  log(LogLevel::kInfo, "%s: MAC %s", backend_.name().c_str(), format_mac(mac()).c_str());
}

uint16_t E1000eDevice::nvm_read(uint32_t word) {
  mmio_.write(EERD, eerd::kAddr.make(word) | eerd::kStart.mask());
  if (!mmio_.poll(EERD, 0, eerd::kDone.mask(), eerd::kDone.mask(), kNvmTimeoutUs, 10))
    throw Error(backend_.name() + ": NVM read of word " + std::to_string(word) + " timed out (EERD.DONE never set)");
  return static_cast<uint16_t>(eerd::kData.get(mmio_.read(EERD)));
}

// Receive ring 0 with extended descriptors, 2 KB buffers (RCTL.BSIZE = 00b, BSEX = 0: the device writes up
// to Mempool::kRxBufBytes into a buffer; RCTL.LPE off, so no frame is longer than 1522). RCTL stays off until
// the ring is filled.
void E1000eDevice::init_rx() {
  mmio_.clear_bits(RCTL, rctl::kEnable.mask());
  mmio_.set_bits(RFCTL, rfctl::kExtendedStatus.mask());
  program_rx_ring(0);
  mmio_.write(RDTR, 0, 0);  // no receive interrupt delay
  mmio_.write(RXDCTL, 0, xdctl::kGranularity.mask() | xdctl::kWritebackThresh.make(1));
}

// Transmit ring 0 with legacy descriptors: pad short frames, IEEE 802.3 collision parameters, copper IPG.
void E1000eDevice::init_tx() {
  program_tx_ring(0);  // TDH/TDT: start_tx_queue
  mmio_.write(TIDV, 0, 0);
  mmio_.write(TXDCTL, 0, xdctl::kGranularity.mask() | xdctl::kWritebackThresh.make(1) | xdctl::kCountDesc.mask());
  mmio_.write(TIPG, tipg::kIpgt.make(8) | tipg::kIpgr1.make(8) | tipg::kIpgr2.make(6));
  mmio_.set_bits(TARC, 0, tarc::kEnable.mask());
  mmio_.write(TCTL, tctl::kEnable.mask() | tctl::kPadShortPackets.mask() | tctl::kCollisionThreshold.make(15) |
                        tctl::kCollisionDistance.make(63) | tctl::kRetransmitLateCollision.mask());
}

// Before the ring gives its buffers back (shutdown, recovery): receive and transmit off, interrupts off.
void E1000eDevice::stop_dma() {
  mmio_.clear_bits(RCTL, rctl::kEnable.mask());
  mmio_.clear_bits(TCTL, tctl::kEnable.mask());
  mmio_.clear_bits(TARC, 0, tarc::kEnable.mask());
  disable_interrupts();
}

LinkStatus E1000eDevice::link() { return e1000::link_from_status(mmio_.read(STATUS)); }

// RNBC (no receive buffers) is not a drop on the 82574 (the frame waits in the packet buffer), so rx_no_desc
// stays 0; frames the device really dropped are in MPC.
void E1000eDevice::read_counters(DeviceStats& s) { e1000::read_counters(mmio_, s); }

void E1000eDevice::set_promiscuous(bool on) { e1000::set_promiscuous(mmio_, on); }

// MSI-X: rx queue 0's cause (ICR.RxQ0) -> vector 0 through IVAR, moderation in EITR(0) (256 ns units), and
// EIAC auto-clearing the cause when the message goes out (CTRL_EXT.IAME stays 0, so the message masks the
// cause in IMS as well; wait_rx masks it explicitly anyway). The vector is left masked; the other causes
// (tx, other) have no vector and stay masked. The 82574 has no MSI-X mode switch: the MSI-X capability the
// backend enables selects it.
IrqRegs E1000eDevice::setup_msix(const InterruptConfig& config) {
  const uint64_t units = (static_cast<uint64_t>(config.interval_us) * 1000 + eitr::kUnitNs - 1) / eitr::kUnitNs;
  if (!eitr::kInterval.fits(static_cast<uint32_t>(std::min<uint64_t>(units, UINT32_MAX))))
    throw Error("e1000e: interrupt moderation interval " + std::to_string(config.interval_us) +
                " us exceeds the 82574's maximum (16776 us)");
  const uint32_t rxq0 = icr::kRxQ0.mask();
  mmio_.write(IMC, rxq0);  // masked while the mapping changes
  mmio_.write(IVAR, ivar::kRxQ0Valid.mask() | ivar::kRxQ0Vector.make(0));
  mmio_.write(EITR, 0, eitr::kInterval.make(static_cast<uint32_t>(units)));
  mmio_.set_bits(EIAC, rxq0);
  mmio_.write(ICR, rxq0);  // a stale cause from before (write 1 to clear)
  return IrqRegs{ICR.at(), IMS.at(), IMC.at(), icr::kRxQ0.shift};
}

}  // namespace nic::e1000e
