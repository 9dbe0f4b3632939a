#include "driver/igb/igb.h"

#include <algorithm>

#include "driver/seam/error.h"
#include "driver/igb/regs.h"
#include "driver/seam/log.h"

namespace nic::igb {
namespace {

constexpr uint32_t kResetTimeoutUs = 1'000'000;
constexpr uint32_t kEepromTimeoutUs = 10'000;

constexpr FamilyLayout kLayout{
    .rdbal = RDBAL, .rdbah = RDBAH, .rdlen = RDLEN, .rdh = RDH, .rdt = RDT, .rxdctl = RXDCTL,
    .tdbal = TDBAL, .tdbah = TDBAH, .tdlen = TDLEN, .tdh = TDH, .tdt = TDT, .txdctl = TXDCTL,
    .queue_enable = xdctl::kEnable.mask(), .max_queues = kMaxQueues,
    .ral = RAL, .rah = RAH, .status = STATUS,
    // Queue 0 is enabled for the device's whole life (a reset clears RXDCTL.ENABLE).
    .configured = RXDCTL, .configured_mask = xdctl::kEnable.mask()};
static_assert(kLayout.roles_match());

}  // namespace

bool is_supported_device(uint16_t vendor, uint16_t device) {
  // 82576 copper (QEMU's igb), fiber, serdes, quad copper, NS, NS serdes, serdes quad, quad copper ET2.
  static constexpr uint16_t kIds[] = {0x10C9, 0x10E6, 0x10E7, 0x10E8, 0x150A, 0x1518, 0x150D, 0x1526};
  return vendor == pci::kVendorIntel && std::find(std::begin(kIds), std::end(kIds), device) != std::end(kIds);
}

IgbDevice::IgbDevice(Backend& backend, const DeviceConfig& config) : AdvQueueDevice(backend, config, kLayout, "igb") {
  start("82576");
}

// Init, and recovery (DeviceBase::watchdog, driver/device/recovery.cc): the same sequence on the existing queues.
void IgbDevice::reinit() { bring_up(); }

void IgbDevice::bring_up() {
  disable_interrupts();
  global_reset();
  disable_interrupts();
  // As Linux igb does, a missing AUTO_RD is not fatal: without an EEPROM (QEMU's igb) it never sets, and
  // the MAC address and link still work.
  if (!mmio_.poll(EECD, 0, eecd::kAutoReadDone.mask(), eecd::kAutoReadDone.mask(), kEepromTimeoutUs, 1000))
    log(LogLevel::kInfo, "%s: EEPROM auto-read not reported done (no EEPROM?); continuing", backend_.name().c_str());
  mmio_.set_bits(CTRL_EXT, ctrl_ext::kDriverLoaded.mask());
  log(LogLevel::kInfo, "%s: MAC %s", backend_.name().c_str(), format_mac(mac()).c_str());
  e1000::setup_link(mmio_, config_.loopback);
  DeviceStats discard;
  read_counters(discard);  // statistics clear on read
  init_rx();
  init_tx();
  for (uint16_t q = 0; q < config_.rx_queues; ++q) start_rx_queue(q);
  for (uint16_t q = 0; q < config_.tx_queues; ++q) start_tx_queue(q);
  // Receive last: filters, CRC strip, 2 KB buffers (SRRCTL per queue), MAC loopback if asked, enable.
  uint32_t rctl = rctl::kBroadcastAccept.mask() | rctl::kStripCrc.mask() | rctl::kEnable.mask();
  if (config_.promiscuous) rctl |= rctl::kUnicastPromisc.mask() | rctl::kMulticastPromisc.mask();
  if (config_.loopback) rctl |= rctl::kLoopbackMode.make(rctl::kLoopbackMac);
  mmio_.write(RCTL, rctl);
}

// Interrupts off: legacy and extended masks cleared, pending causes read away.
void IgbDevice::disable_interrupts() {
  mmio_.write(IMC, 0xFFFFFFFFu);
  mmio_.write(EIMC, 0xFFFFFFFFu);
  (void)mmio_.read(ICR);
  (void)mmio_.read(EICR);
}

// Device reset (CTRL.RST self-clears); at least 1 ms before the next access.
void IgbDevice::global_reset() {
  mmio_.write(CTRL, mmio_.read(CTRL) | ctrl::kReset.mask());
  backend_.delay_us(1000);
  mmio_.wait(CTRL, 0, ctrl::kReset.mask(), 0, kResetTimeoutUs, "device reset (CTRL.RST)");
  backend_.delay_us(10'000);
}

void IgbDevice::init_rx() {
  mmio_.clear_bits(RCTL, rctl::kEnable.mask());
  for (uint16_t q = 0; q < config_.rx_queues; ++q) {
    program_rx_ring(q);
    // BSIZEPACKET in 1 KB units, no larger than the pool's data area (QueueDevice::allocate_queues checks).
    uint32_t srrctl = srrctl::kBsizePacket.make(Mempool::kRxBufBytes / 1024) | srrctl::kDescType.make(srrctl::kDescTypeAdvOneBuf) |
                      srrctl::kDropEnable.mask();
    mmio_.write(SRRCTL, q, srrctl);
  }
  // Several rx queues: RSS over IPv4 addresses and TCP/UDP ports. The 82576 computes the hash only with
  // RXCSUM.PCSD set (the write-back then carries the hash instead of the fragment checksum).
  if (config_.rx_queues > 1) {
    mmio_.set_bits(RXCSUM, rxcsum::kPacketChecksumDisable.mask());
    program_rss(MRQC, RETA, RSSRK,
                mrqc::kMode.make(mrqc::kModeRss) | mrqc::kIpv4.mask() | mrqc::kTcpIpv4.mask() | mrqc::kUdpIpv4.mask());
  }
}

void IgbDevice::init_tx() {
  // Pad short frames; collision parameters per IEEE 802.3 (threshold 15, distance 63 for full duplex).
  mmio_.write(TCTL, tctl::kEnable.mask() | tctl::kPadShortPackets.mask() | tctl::kCollisionThreshold.make(15) |
                        tctl::kCollisionDistance.make(63));
  for (uint16_t q = 0; q < config_.tx_queues; ++q) {
    program_tx_ring(q);
    mmio_.write(TXDCTL, q, xdctl::kPrefetchThresh.make(8) | xdctl::kHostThresh.make(1) | xdctl::kWritebackThresh.make(1));
  }
}

void IgbDevice::stop_dma() {
  mmio_.clear_bits(RCTL, rctl::kEnable.mask());
  mmio_.clear_bits(TCTL, tctl::kEnable.mask());
  disable_interrupts();
}

LinkStatus IgbDevice::link() { return e1000::link_from_status(mmio_.read(STATUS)); }

void IgbDevice::read_counters(DeviceStats& s) {
  e1000::read_counters(mmio_, s);
  for (uint32_t q = 0; q < rx_queues(); ++q) s.rx_no_desc += mmio_.read(RQDPC, q);
}

void IgbDevice::set_promiscuous(bool on) { e1000::set_promiscuous(mmio_, on); }

}  // namespace nic::igb
