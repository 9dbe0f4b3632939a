#include "driver/ixgbe/ixgbe.h"

#include <algorithm>

#include "driver/seam/error.h"
#include "driver/ixgbe/regs.h"
#include "driver/seam/log.h"

namespace nic::ixgbe {
namespace {

constexpr uint32_t kResetTimeoutUs = 1'000'000;
constexpr uint32_t kEepromTimeoutUs = 1'000'000;
constexpr uint32_t kSecRxTimeoutUs = 40'000;  // Linux and DPDK poll SECRX_RDY for up to 40 ms

constexpr FamilyLayout kLayout{
    .rdbal = RDBAL, .rdbah = RDBAH, .rdlen = RDLEN, .rdh = RDH, .rdt = RDT, .rxdctl = RXDCTL,
    .tdbal = TDBAL, .tdbah = TDBAH, .tdlen = TDLEN, .tdh = TDH, .tdt = TDT, .txdctl = TXDCTL,
    .queue_enable = rxdctl::kEnable.mask(), .max_queues = kMaxQueues,
    .ral = RAL, .rah = RAH, .status = STATUS,
    // Queue 0 is enabled for the device's whole life (a reset clears RXDCTL.ENABLE).
    .configured = RXDCTL, .configured_mask = rxdctl::kEnable.mask()};
static_assert(kLayout.roles_match());
static_assert(rxdctl::kEnable.mask() == txdctl::kEnable.mask());

}  // namespace

bool is_supported_device(uint16_t vendor, uint16_t device) {
  // 82599 variants: KX4, combo backplane, CX4, SFP+ (82599ES), XAUI/BX, KX4 mezz, KR, T3 LOM, SFP SF2, QSFP SF.
  static constexpr uint16_t kIds[] = {0x10F7, 0x10F8, 0x10F9, 0x10FB, 0x10FC, 0x1514,
                                      0x1517, 0x151C, 0x154D, 0x1557};
  return vendor == pci::kVendorIntel && std::find(std::begin(kIds), std::end(kIds), device) != std::end(kIds);
}

IxgbeDevice::IxgbeDevice(Backend& backend, const DeviceConfig& config)
    : AdvQueueDevice(backend, config, kLayout, "ixgbe") {
  start("82599");
}

// Init, and recovery (DeviceBase::watchdog, driver/device/recovery.cc): the same sequence on the existing queues; after a recovery the
// link comes when it comes.
void IxgbeDevice::reinit() { bring_up(); }

// §4.6.3-§4.6.8 in order, up to and including RXEN.
void IxgbeDevice::bring_up() {
  disable_interrupts();
  global_reset();
  disable_interrupts();  // the reset re-enabled nothing, but the datasheet asks again after it
  log(LogLevel::kInfo, "%s: MAC %s", backend_.name().c_str(), format_mac(mac()).c_str());
  wait_eeprom_and_dma();
  init_link();
  reset_stats();
  init_rx();
  init_tx();
  for (uint16_t q = 0; q < config_.rx_queues; ++q) start_rx_queue(q);
  for (uint16_t q = 0; q < config_.tx_queues; ++q) start_tx_queue(q);
  // §4.6.7: FCTRL may only change while RXEN = 0, so filtering is set before the receive path starts.
  mmio_.set_bits(FCTRL, fctrl::kBroadcastAccept.mask());
  if (config_.promiscuous) mmio_.set_bits(FCTRL, fctrl::kMulticastPromisc.mask() | fctrl::kUnicastPromisc.mask());
  enable_rx(mmio_.read(RXCTRL) | rxctrl::kRxEnable.mask());  // last step of §4.6.7
}

// §4.6.7: receive is enabled only with the receive data path halted in the security block: set
// SECRXCTRL.RX_DIS, poll SECRXSTAT.SECRX_RDY, write RXCTRL, clear RX_DIS. (Linux and DPDK do the same around
// every RXEN write; like them, a SECRX_RDY that never comes is logged and init goes on.)
void IxgbeDevice::enable_rx(uint32_t rxctrl) {
  mmio_.set_bits(SECRXCTRL, secrxctrl::kRxDisable.mask());
  if (!mmio_.poll(SECRXSTAT, 0, secrxstat::kReady.mask(), secrxstat::kReady.mask(), kSecRxTimeoutUs))
    log(LogLevel::kWarn, "%s: rx security block not ready (SECRXSTAT.SECRX_RDY); enabling receive anyway",
        backend_.name().c_str());
  mmio_.write(RXCTRL, rxctrl);
  mmio_.clear_bits(SECRXCTRL, secrxctrl::kRxDisable.mask());
}

// Before the rings give their buffers back: receive path off, interrupts off (queues are disabled next).
void IxgbeDevice::stop_dma() {
  mmio_.clear_bits(RXCTRL, rxctrl::kRxEnable.mask());
  disable_interrupts();
}

// §4.6.3.1: mask all interrupts, then clear pending causes (EICR clears on read).
void IxgbeDevice::disable_interrupts() {
  mmio_.write(EIMS, 0);
  mmio_.write(EIMC, eicr::kAllCauses);
  (void)mmio_.read(EICR);
}

// §4.6.3.2: global reset (device + link), self-clearing; then 10 ms before touching the device.
void IxgbeDevice::global_reset() {
  mmio_.write(CTRL, ctrl::kResetMask);
  backend_.delay_us(1000);  // §8.2.3.1.1: no register access for 1 ms after setting RST
  mmio_.wait(CTRL, 0, ctrl::kResetMask, 0, kResetTimeoutUs, "global reset (CTRL.RST)");
  backend_.delay_us(10'000);
}

// §4.6.3: EEPROM auto-read done, then DMA initialization done.
void IxgbeDevice::wait_eeprom_and_dma() {
  mmio_.wait(EEC, 0, eec::kAutoReadDone.mask(), eec::kAutoReadDone.mask(), kEepromTimeoutUs, "EEPROM auto-read (EEC.ARD)");
  mmio_.wait(RDRXCTL, 0, rdrxctl::kDmaInitDone.mask(), rdrxctl::kDmaInitDone.mask(), kEepromTimeoutUs,
             "DMA init done (RDRXCTL.DMAIDONE)");
}

// §4.6.4: 10G serial link mode, XAUI PMA/PMD, restart auto-negotiation. MAC loopback forces the link up
// without auto-negotiation (LMS = 10G link no AN, AUTOC.FLU) and sets HLREG0.LPBK.
void IxgbeDevice::init_link() {
  uint32_t autoc = mmio_.read(AUTOC);
  if (config_.loopback) {
    autoc = autoc::kLinkModeSelect.set(autoc, autoc::kLms10GNoAn);
    autoc |= autoc::kForceLinkUp.mask();
    mmio_.set_bits(HLREG0, hlreg0::kLoopback.mask());
  } else {
    autoc = autoc::kLinkModeSelect.set(autoc, autoc::kLms10GSerial);
    autoc = autoc::kPmaPmd10G.set(autoc, autoc::kPmaPmd10GXaui);
  }
  mmio_.write(AUTOC, autoc);
  mmio_.write(AUTOC, autoc | autoc::kAnRestart.mask());
}

// §4.6.5: statistics clear on read; read them all once.
void IxgbeDevice::reset_stats() {
  DeviceStats discard;
  read_counters(discard);
}

// §4.6.7: receive initialization.
void IxgbeDevice::init_rx() {
  mmio_.clear_bits(RXCTRL, rxctrl::kRxEnable.mask());
  // One packet buffer of 512 KB (the reset default, written explicitly); the other seven unused.
  mmio_.write(RXPBSIZE, 0, RXPBSIZE.reset_of(0));
  for (uint32_t i = 1; i < RXPBSIZE.count; ++i) mmio_.write(RXPBSIZE, i, 0);
  // §4.6.3.2: FCRTH[n].RTH is set whether or not flow control is used, typically to the packet buffer's size
  // less 0x6000 bytes (flow control itself stays off: FCEN = 0). Only PB[0] is used.
  const uint32_t pb0_bytes = pbsize::kSizeKb.get(RXPBSIZE.reset_of(0)) * 1024;
  mmio_.write(FCRTH, 0, fcrth::kRth.make((pb0_bytes - fcrth::kBelowBufferSize) >> fcrth::kRth.shift));
  for (uint32_t i = 1; i < FCRTH.count; ++i) mmio_.write(FCRTH, i, 0);
  // CRC stripping in both places it is configured.
  mmio_.set_bits(HLREG0, hlreg0::kRxCrcStrip.mask());
  uint32_t rdrxctl = mmio_.read(RDRXCTL) | rdrxctl::kCrcStrip.mask();
  rdrxctl = rdrxctl::kRscFirstSize.set(rdrxctl, 0);  // reserved-bit corrections (ixy.rs)
  rdrxctl |= rdrxctl::kRscAckC.mask() | rdrxctl::kFcoeWriteFix.mask();
  mmio_.write(RDRXCTL, rdrxctl);

  for (uint16_t q = 0; q < config_.rx_queues; ++q) {
    program_rx_ring(q);
    // Advanced one-buffer descriptors, 2 KB buffers (the reset default; 1 KB units, §8.2.3.8.7, no larger than
    // the pool's data area: QueueDevice::allocate_queues checks), drop when no descriptor is free.
    uint32_t srrctl = mmio_.read(SRRCTL, q);
    srrctl = srrctl::kDescType.set(srrctl, srrctl::kDescTypeAdvOneBuf);
    srrctl = srrctl::kBsizePacket.set(srrctl, Mempool::kRxBufBytes / 1024);
    srrctl |= srrctl::kDropEnable.mask();
    mmio_.write(SRRCTL, q, srrctl);
  }
  // "Last sentence of §4.6.7": no-snoop disable.
  mmio_.set_bits(CTRL_EXT, ctrl_ext::kNoSnoopDisable.mask());
  // DCA_RXCTRL bit 12 resets to 1 and must be 0 (§8.2.3.11.1).
  for (uint16_t q = 0; q < config_.rx_queues; ++q)
    mmio_.clear_bits(DCA_RXCTRL, q, dca_rxctrl::kReservedMustBeZero.mask());
  // §7.1.2.8: RSS spreads flows over the rx queues (IPv4 addresses and TCP/UDP ports hashed).
  if (config_.rx_queues > 1)
    program_rss(MRQC, RETA, RSSRK,
                mrqc::kMode.make(mrqc::kModeRss) | mrqc::kIpv4.mask() | mrqc::kTcpIpv4.mask() | mrqc::kUdpIpv4.mask());
}

// §4.6.8: transmit initialization.
void IxgbeDevice::init_tx() {
  mmio_.set_bits(HLREG0, hlreg0::kTxCrcEnable.mask() | hlreg0::kTxPadEnable.mask());
  // §4.6.8: the transmit arbiter is disabled (RTTDCS.ARBDIS) while DTXMXSZRQ, the tx packet buffers and
  // MTQC are programmed, and enabled again afterwards.
  mmio_.set_bits(RTTDCS, rttdcs::kArbiterDisable.mask());
  // One 160 KB packet buffer (§4.6.11.3.4, no DCB/virtualization): TXPBSIZE[0] = 160 KB, threshold 0xA0.
  mmio_.write(TXPBSIZE, 0, TXPBSIZE.reset_of(0));
  mmio_.write(TXPBTHRESH, 0, 0xA0);
  for (uint32_t i = 1; i < TXPBSIZE.count; ++i) {
    mmio_.write(TXPBSIZE, i, 0);
    mmio_.write(TXPBTHRESH, i, 0);
  }
  // Required when neither DCB nor virtualization is used; the field is 12 bits.
  mmio_.write(DTXMXSZRQ, dtxmxszrq::kMaxBytesNumReq.mask());
  mmio_.write(MTQC, 0);  // one packet buffer, no DCB, no virtualization (§4.6.11.3.4)
  mmio_.clear_bits(RTTDCS, rttdcs::kArbiterDisable.mask());

  for (uint16_t q = 0; q < config_.tx_queues; ++q) {
    program_tx_ring(q);
    // Prefetch/host/write-back thresholds as DPDK and ixy use them (PTHRESH + WTHRESH <= 40 on chip).
    uint32_t txdctl = mmio_.read(TXDCTL, q);
    txdctl = txdctl::kPrefetchThresh.set(txdctl, 36);
    txdctl = txdctl::kHostThresh.set(txdctl, 8);
    txdctl = txdctl::kWritebackThresh.set(txdctl, 4);
    mmio_.write(TXDCTL, q, txdctl);
  }
  mmio_.set_bits(DMATXCTL, dmatxctl::kTxEnable.mask());
}

LinkStatus IxgbeDevice::link() {
  const uint32_t v = mmio_.read(LINKS);
  if (v == 0xFFFFFFFFu || !(v & links::kLinkUp.mask())) return {};
  switch (links::kSpeed.get(v)) {
    case links::kSpeed10G: return {true, 10000};
    case links::kSpeed1G: return {true, 1000};
    case links::kSpeed100M: return {true, 100};
    default: return {true, 0};
  }
}

void IxgbeDevice::read_counters(DeviceStats& s) {
  s.rx_packets += mmio_.read(GPRC);
  s.tx_packets += mmio_.read(GPTC);
  // 64-bit octet counters: low half first, reading the high half clears both.
  const uint64_t rx_lo = mmio_.read(GORCL);
  s.rx_bytes += rx_lo | static_cast<uint64_t>(mmio_.read(GORCH)) << 32;
  const uint64_t tx_lo = mmio_.read(GOTCL);
  s.tx_bytes += tx_lo | static_cast<uint64_t>(mmio_.read(GOTCH)) << 32;
  for (uint32_t i = 0; i < MPC.count; ++i) s.rx_missed += mmio_.read(MPC, i);
  for (uint32_t i = 0; i < QPRDC.count; ++i) s.rx_no_desc += mmio_.read(QPRDC, i);
  s.rx_crc_errors += mmio_.read(CRCERRS);
}

// FCTRL may only change while RXCTRL.RXEN = 0 (§8.2.3.7.1): pause the receive path around the change.
void IxgbeDevice::set_promiscuous(bool on) {
  const uint32_t rxctrl = mmio_.read(RXCTRL);
  mmio_.write(RXCTRL, rxctrl & ~rxctrl::kRxEnable.mask());
  const uint32_t bits = fctrl::kMulticastPromisc.mask() | fctrl::kUnicastPromisc.mask();
  if (on) mmio_.set_bits(FCTRL, bits);
  else mmio_.clear_bits(FCTRL, bits);
  if (rxctrl & rxctrl::kRxEnable.mask()) enable_rx(rxctrl);  // RXEN back on as §4.6.7 turns it on
  else mmio_.write(RXCTRL, rxctrl);
}

}  // namespace nic::ixgbe
