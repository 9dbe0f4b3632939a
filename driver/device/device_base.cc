#include "driver/device/device_base.h"

#include "driver/seam/error.h"
#include "driver/seam/log.h"

namespace nic {
namespace {
constexpr uint32_t kLinkPollUs = 10'000;
constexpr uint32_t kQueueDisableTimeoutUs = 10'000;
constexpr uint32_t kRahAddressValid = 1u << 31;
}  // namespace

DeviceBase::DeviceBase(Backend& backend, const DeviceConfig& config, const FamilyLayout& layout, const char* family)
    : backend_(backend), mmio_(backend), config_(config), layout_(layout) {
  if (config.rx_queues == 0 || config.rx_queues > layout.max_queues || config.tx_queues == 0 ||
      config.tx_queues > layout.max_queues)
    throw Error(std::string(family) + ": queue counts must be 1.." + std::to_string(layout.max_queues) + " (asked for " +
                std::to_string(config.rx_queues) + " rx / " + std::to_string(config.tx_queues) + " tx)");
  if (!valid_ring_size(config.rx_ring_size) || !valid_ring_size(config.tx_ring_size))
    throw Error(std::string(family) + ": ring sizes must be powers of two in 8..8192 (got rx " +
                std::to_string(config.rx_ring_size) + ", tx " + std::to_string(config.tx_ring_size) + ")");
}

void DeviceBase::start(const char* chip) {
  log(LogLevel::kInfo, "%s: initializing %s (%u rx / %u tx queues)", backend_.name().c_str(), chip, config_.rx_queues,
      config_.tx_queues);
  try {
    allocate_queues();
    tx_hang_.assign(config_.tx_queues, TxHangCheck{});
    reinit();
  } catch (...) {
    shutdown();
    throw;
  }
  wait_for_link();
}

void DeviceBase::read_stats(DeviceStats& s) {
  ensure_present();  // all-ones counters would add garbage
  carry_.drain_into(s);
  read_counters(s);
}

void DeviceBase::ensure_present() {
  if (mmio_.read(layout_.status) == 0xFFFFFFFFu)
    throw DeviceDead(backend_.name() + ": device reads all-ones (removed from the bus or dead)");
}

void DeviceBase::wait_for_link() {
  health_.link_up = link().up;  // the watchdog reports changes from here on
  if (config_.link_timeout_ms == 0) return;
  const uint64_t deadline = backend_.now_ns() + static_cast<uint64_t>(config_.link_timeout_ms) * 1'000'000;
  while (!link().up && backend_.now_ns() < deadline) backend_.delay_us(kLinkPollUs);
  const LinkStatus l = link();
  health_.link_up = l.up;
  if (l.up) log(LogLevel::kInfo, "%s: link up at %u Mbit/s", backend_.name().c_str(), l.speed_mbps);
  else log(LogLevel::kWarn, "%s: link still down after %u ms (cable? peer?)", backend_.name().c_str(), config_.link_timeout_ms);
}

void DeviceBase::program_rss(const reg::RegDef& mrqc, const reg::RegDef& reta, const reg::RegDef& rssrk,
                             uint32_t mrqc_value) {
  // The key of the Microsoft RSS verification suite (a common default; tests check hashes against it).
  static constexpr uint8_t kKey[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
                                       0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
                                       0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  static_assert(sizeof(kKey) == 40);
  for (uint32_t i = 0; i < rssrk.count && 4 * i + 3 < sizeof(kKey); ++i)
    mmio_.write(rssrk, i, kKey[4 * i] | kKey[4 * i + 1] << 8 | kKey[4 * i + 2] << 16 |
                              static_cast<uint32_t>(kKey[4 * i + 3]) << 24);
  const uint32_t queues = config_.rx_queues < 16 ? config_.rx_queues : 16;  // 4-bit queue in each entry
  for (uint32_t i = 0; i < reta.count; ++i) {
    uint32_t v = 0;
    for (uint32_t b = 0; b < 4; ++b) v |= ((4 * i + b) % queues) << (8 * b);
    mmio_.write(reta, i, v);
  }
  mmio_.write(mrqc, mrqc_value);
}

// Receive/transmit DMA off (the family's step), then every queue off. 82599 §4.6.7.1 (and the 82576's
// equivalent): the device clears ENABLE only once its accesses to the queue's memory are done; poll it
// (bounded) before buffers go back to their pools. The 82574 has no queue enable: RCTL.EN/TCTL.EN are its.
void DeviceBase::quiesce() {
  stop_dma();
  if (layout_.queue_enable == 0) return;
  for (uint16_t q = 0; q < rx_queues(); ++q) mmio_.clear_bits(layout_.rxdctl, q, layout_.queue_enable);
  for (uint16_t q = 0; q < tx_queues(); ++q) mmio_.clear_bits(layout_.txdctl, q, layout_.queue_enable);
  for (uint16_t q = 0; q < rx_queues(); ++q) mmio_.poll(layout_.rxdctl, q, layout_.queue_enable, 0, kQueueDisableTimeoutUs);
  for (uint16_t q = 0; q < tx_queues(); ++q) mmio_.poll(layout_.txdctl, q, layout_.queue_enable, 0, kQueueDisableTimeoutUs);
}

void DeviceBase::shutdown() {
  if (!running_) return;
  running_ = false;
  try {
    quiesce();
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "%s: shutdown: %s", backend_.name().c_str(), e.what());
  }
  release_buffers();
}

// ---------------------------------------------------------------------------------------------------------
// Interrupts: the backend's eventfds (one per rx queue), the family's register programming.
void DeviceBase::enable_interrupts(const InterruptConfig& config) {
  if (!running_) throw Error(backend_.name() + ": enable_interrupts on a device that is shut down or dead");
  irq_.reset();  // again: the old vectors go first
  auto irq = std::make_unique<RxInterrupts>(backend_, rx_queues());
  irq->set_regs(setup_msix(config));
  irq_config_ = config;
  irq_ = std::move(irq);
  log(LogLevel::kInfo, "%s: MSI-X interrupts on: %u rx vectors, moderation %u us", backend_.name().c_str(),
      rx_queues(), config.interval_us);
}

bool DeviceBase::arm_rx(uint16_t q) {
  if (!irq_) throw Error(backend_.name() + ": arm_rx/wait_rx before enable_interrupts()");
  if (q >= rx_queues()) throw Error(backend_.name() + ": arm_rx/wait_rx: no rx queue " + std::to_string(q));
  if (!running_) return false;
  irq_->arm(q);
  return rx_has_frame(q);
}

void DeviceBase::disarm_rx(uint16_t q) {
  if (!irq_ || q >= rx_queues()) return;
  irq_->disarm(q);
}

bool DeviceBase::wait_rx(uint16_t q, uint32_t timeout_ms) {
  if (arm_rx(q)) {
    disarm_rx(q);
    return true;
  }
  if (!running_) return false;
  const bool fired = irq_->sleep(q, timeout_ms);
  disarm_rx(q);
  return fired || rx_has_frame(q);
}

MacAddr DeviceBase::mac() {
  const uint32_t lo = mmio_.read(layout_.ral, 0);
  const uint32_t hi = mmio_.read(layout_.rah, 0);
  return {static_cast<uint8_t>(lo), static_cast<uint8_t>(lo >> 8), static_cast<uint8_t>(lo >> 16),
          static_cast<uint8_t>(lo >> 24), static_cast<uint8_t>(hi), static_cast<uint8_t>(hi >> 8)};
}

void DeviceBase::set_mac(const MacAddr& m) {
  mmio_.write(layout_.ral, 0, m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24);
  mmio_.write(layout_.rah, 0, m[4] | m[5] << 8 | kRahAddressValid);
}

}  // namespace nic
