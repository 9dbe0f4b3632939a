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
constexpr uint32_t kLinkPollUs = 10'000;
constexpr uint32_t kMaxFrame = 1518;  // RCTL.LPE off: the device drops anything longer than 1522 (VLAN-tagged)

}  // namespace

bool is_supported_device(uint16_t vendor, uint16_t device) {
  // 82574L (QEMU's e1000e) and 82574LA.
  static constexpr uint16_t kIds[] = {0x10D3, 0x10F6};
  return vendor == pci::kVendorIntel && std::find(std::begin(kIds), std::end(kIds), device) != std::end(kIds);
}

E1000eDevice::E1000eDevice(Backend& backend, const DeviceConfig& config)
    : backend_(backend), mmio_(backend), config_(config) {
  if (config.rx_queues != 1 || config.tx_queues != 1)
    throw Error("e1000e: this driver uses one rx and one tx queue of the 82574's two (asked for " +
                std::to_string(config.rx_queues) + " rx / " + std::to_string(config.tx_queues) + " tx)");
  if (!valid_ring_size(config.rx_ring_size) || !valid_ring_size(config.tx_ring_size))
    throw Error("e1000e: ring sizes must be powers of two in 8..8192 (got rx " + std::to_string(config.rx_ring_size) +
                ", tx " + std::to_string(config.tx_ring_size) + ")");
  log(LogLevel::kInfo, "%s: initializing 82574", backend_.name().c_str());
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
  read_stats(discard);  // statistics clear on read
  init_rx();
  init_tx();
  // Receive last: ring filled and handed over, then filters, CRC strip, 2 KB buffers, extended descriptors
  // (RFCTL.EXSTEN, DTYP 00), MAC loopback if asked, enable.
  mmio_.write(RDT, 0, rx_->fill());
  uint32_t rctl = rctl::kBroadcastAccept.mask() | rctl::kStripCrc.mask() | rctl::kEnable.mask();
  if (config_.promiscuous) rctl |= rctl::kUnicastPromisc.mask() | rctl::kMulticastPromisc.mask();
  if (config_.loopback) rctl |= rctl::kLoopbackMode.make(rctl::kLoopbackMac);
  mmio_.write(RCTL, rctl);
  wait_for_link();
}

void E1000eDevice::ensure_present() {
  if (mmio_.read(STATUS) == 0xFFFFFFFFu)
    throw DeviceDead(backend_.name() + ": device reads all-ones (removed from the bus or dead)");
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

// Receive ring 0 with extended descriptors. RCTL stays off until the ring is filled.
void E1000eDevice::init_rx() {
  mmio_.clear_bits(RCTL, rctl::kEnable.mask());
  const uint32_t pool_size = config_.rx_pool_size ? config_.rx_pool_size : config_.rx_ring_size + config_.tx_ring_size;
  pool_ = std::make_unique<Mempool>(backend_, pool_size);
  // RCTL.BSIZE = 00b, BSEX = 0: the device writes up to 2048 bytes (Mempool::kRxBufBytes) into a buffer, so the
  // buffer's data area must hold that much, not just the 1522-byte frames LPE = 0 allows.
  static_assert(kMaxFrame + 4 <= Mempool::kRxBufBytes);
  if (pool_->data_capacity() < Mempool::kRxBufBytes)
    throw Error("packet buffers too small: the device would write 2048 bytes into " +
                std::to_string(pool_->data_capacity()));
  rx_ = std::make_unique<ExtRxRing>(backend_, *pool_, config_.rx_ring_size, RDT.at(0));
  mmio_.set_bits(RFCTL, rfctl::kExtendedStatus.mask());
  mmio_.write(RDBAL, 0, static_cast<uint32_t>(rx_->ring_iova()));
  mmio_.write(RDBAH, 0, static_cast<uint32_t>(rx_->ring_iova() >> 32));
  mmio_.write(RDLEN, 0, rx_->ring_bytes());
  mmio_.write(RDH, 0, 0);
  mmio_.write(RDT, 0, 0);
  mmio_.write(RDTR, 0, 0);  // no receive interrupt delay (polled)
  mmio_.write(RXDCTL, 0, xdctl::kGranularity.mask() | xdctl::kWritebackThresh.make(1));
}

// Transmit ring 0 with legacy descriptors: pad short frames, IEEE 802.3 collision parameters, copper IPG.
void E1000eDevice::init_tx() {
  tx_ = std::make_unique<LegacyTxRing>(backend_, config_.tx_ring_size, TDT.at(0));
  mmio_.write(TDBAL, 0, static_cast<uint32_t>(tx_->ring_iova()));
  mmio_.write(TDBAH, 0, static_cast<uint32_t>(tx_->ring_iova() >> 32));
  mmio_.write(TDLEN, 0, tx_->ring_bytes());
  mmio_.write(TDH, 0, 0);
  mmio_.write(TDT, 0, 0);
  mmio_.write(TIDV, 0, 0);
  mmio_.write(TXDCTL, 0, xdctl::kGranularity.mask() | xdctl::kWritebackThresh.make(1) | xdctl::kCountDesc.mask());
  mmio_.write(TIPG, tipg::kIpgt.make(8) | tipg::kIpgr1.make(8) | tipg::kIpgr2.make(6));
  mmio_.set_bits(TARC, 0, tarc::kEnable.mask());
  mmio_.write(TCTL, tctl::kEnable.mask() | tctl::kPadShortPackets.mask() | tctl::kCollisionThreshold.make(15) |
                        tctl::kCollisionDistance.make(63) | tctl::kRetransmitLateCollision.mask());
}

void E1000eDevice::wait_for_link() {
  if (config_.link_timeout_ms == 0) return;
  const uint64_t deadline = backend_.now_ns() + static_cast<uint64_t>(config_.link_timeout_ms) * 1'000'000;
  while (!link().up && backend_.now_ns() < deadline) backend_.delay_us(kLinkPollUs);
  const LinkStatus l = link();
  if (l.up) log(LogLevel::kInfo, "%s: link up at %u Mbit/s", backend_.name().c_str(), l.speed_mbps);
  else log(LogLevel::kWarn, "%s: link still down after %u ms (cable? peer?)", backend_.name().c_str(), config_.link_timeout_ms);
}

void E1000eDevice::shutdown() {
  if (!running_) return;
  running_ = false;
  try {
    mmio_.clear_bits(RCTL, rctl::kEnable.mask());
    mmio_.clear_bits(TCTL, tctl::kEnable.mask());
    mmio_.clear_bits(TARC, 0, tarc::kEnable.mask());
    disable_interrupts();
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "%s: shutdown: %s", backend_.name().c_str(), e.what());
  }
  rx_->release_all();
  tx_->release_all();
}

LinkStatus E1000eDevice::link() { return e1000::link_from_status(mmio_.read(STATUS)); }

// RNBC (no receive buffers) is not a drop on the 82574 (the frame waits in the packet buffer), so rx_no_desc
// stays 0; frames the device really dropped are in MPC.
void E1000eDevice::read_stats(DeviceStats& s) {
  ensure_present();
  e1000::read_counters(mmio_, s);
}

MacAddr E1000eDevice::mac() {
  const uint32_t lo = mmio_.read(RAL, 0);
  const uint32_t hi = mmio_.read(RAH, 0);
  return {static_cast<uint8_t>(lo), static_cast<uint8_t>(lo >> 8), static_cast<uint8_t>(lo >> 16),
          static_cast<uint8_t>(lo >> 24), static_cast<uint8_t>(hi), static_cast<uint8_t>(hi >> 8)};
}

void E1000eDevice::set_mac(const MacAddr& m) {
  mmio_.write(RAL, 0, m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24);
  mmio_.write(RAH, 0, m[4] | m[5] << 8 | rah::kAddressValid.mask());
}

void E1000eDevice::set_promiscuous(bool on) { e1000::set_promiscuous(mmio_, on); }

Mempool& E1000eDevice::rx_pool(uint16_t queue) {
  if (queue != 0) throw Error("e1000e: no rx queue " + std::to_string(queue));
  return *pool_;
}

const RingStats& E1000eDevice::rx_ring_stats(uint16_t queue) const {
  if (queue != 0) throw Error("e1000e: no rx queue " + std::to_string(queue));
  return rx_->stats();
}

const RingStats& E1000eDevice::tx_ring_stats(uint16_t queue) const {
  if (queue != 0) throw Error("e1000e: no tx queue " + std::to_string(queue));
  return tx_->stats();
}

}  // namespace nic::e1000e
