#include "driver/device/adv_device.h"

#include <algorithm>
#include <array>

#include "driver/seam/error.h"
#include "driver/seam/log.h"

namespace nic {
namespace {
constexpr uint32_t kQueueEnableTimeoutUs = 100'000;
constexpr uint32_t kLinkPollUs = 10'000;
constexpr uint32_t kMaxFrame = 1518;  // no jumbo frames: every frame fits one 2 KB buffer
constexpr uint32_t kRahAddressValid = 1u << 31;
}  // namespace

AdvDevice::AdvDevice(Backend& backend, const DeviceConfig& config, const FamilyLayout& layout, const char* family)
    : backend_(backend), mmio_(backend), config_(config), layout_(layout) {
  if (config.rx_queues == 0 || config.rx_queues > layout.max_queues || config.tx_queues == 0 ||
      config.tx_queues > layout.max_queues)
    throw Error(std::string(family) + ": queue counts must be 1.." + std::to_string(layout.max_queues));
  if (!valid_ring_size(config.rx_ring_size) || !valid_ring_size(config.tx_ring_size))
    throw Error(std::string(family) + ": ring sizes must be powers of two in 8..8192 (got rx " +
                std::to_string(config.rx_ring_size) + ", tx " + std::to_string(config.tx_ring_size) + ")");
}

RxRing& AdvDevice::setup_rx_ring(uint16_t q) {
  const bool recovering = q < rx_.size();
  if (!recovering) {
    const uint32_t pool_size =
        config_.rx_pool_size ? config_.rx_pool_size : config_.rx_ring_size + config_.tx_ring_size;
    pools_.push_back(std::make_unique<Mempool>(backend_, pool_size));
    // The device writes up to SRRCTL.BSIZEPACKET (Mempool::kRxBufBytes) bytes into a buffer: never more than
    // the buffer's data area, and enough for a whole frame (one descriptor per frame).
    static_assert(kMaxFrame <= Mempool::kRxBufBytes);
    if (pools_.back()->data_capacity() < Mempool::kRxBufBytes)
      throw Error("packet buffers too small: the device would write 2048 bytes into " +
                  std::to_string(pools_.back()->data_capacity()));
    rx_.push_back(std::make_unique<RxRing>(backend_, *pools_.back(), config_.rx_ring_size, layout_.rdt.at(q)));
  }
  RxRing& ring = *rx_.at(q);
  mmio_.write(layout_.rdbal, q, static_cast<uint32_t>(ring.ring_iova()));
  mmio_.write(layout_.rdbah, q, static_cast<uint32_t>(ring.ring_iova() >> 32));
  mmio_.write(layout_.rdlen, q, ring.ring_bytes());
  mmio_.write(layout_.rdh, q, 0);
  mmio_.write(layout_.rdt, q, 0);
  if (recovering) {
    // The device is reset and the queue off, so nothing writes the ring any more: frames it completed before
    // are taken off (and dropped, counted) so that every descriptor can be posted afresh.
    std::array<Packet, 32> got;
    for (size_t n; (n = ring.rx_batch(got)) != 0;) {
      health_.rx_discarded += n;
      for (size_t i = 0; i < n; ++i) got[i].reset();
    }
    ring.release_all();
  }
  return ring;
}

TxRing& AdvDevice::setup_tx_ring(uint16_t q) {
  if (q < tx_.size()) {
    // Recovery: the same ring, emptied and its descriptors reset in place (its counters carry on). Nothing is
    // allocated after init: once privileges are dropped, new DMA memory could not be mapped.
    tx_[q]->reset();
  } else {
    tx_.push_back(std::make_unique<TxRing>(backend_, config_.tx_ring_size, layout_.tdt.at(q)));
    tx_watch_.emplace_back();
  }
  TxRing& ring = *tx_[q];
  mmio_.write(layout_.tdbal, q, static_cast<uint32_t>(ring.ring_iova()));
  mmio_.write(layout_.tdbah, q, static_cast<uint32_t>(ring.ring_iova() >> 32));
  mmio_.write(layout_.tdlen, q, ring.ring_bytes());
  return ring;
}

const RingStats& AdvDevice::tx_ring_stats(uint16_t q) const { return tx_.at(q)->stats(); }

void AdvDevice::start(const char* chip) {
  log(LogLevel::kInfo, "%s: initializing %s (%u rx / %u tx queues)", backend_.name().c_str(), chip, config_.rx_queues,
      config_.tx_queues);
  try {
    reinit();
  } catch (...) {
    shutdown();
    throw;
  }
  wait_for_link();
}

void AdvDevice::read_stats(DeviceStats& s) {
  ensure_present();  // all-ones counters would add garbage
  add_saved_stats(s);
  read_counters(s);
}

void AdvDevice::add_saved_stats(DeviceStats& s) {
  s.rx_packets += saved_stats_.rx_packets;
  s.tx_packets += saved_stats_.tx_packets;
  s.rx_bytes += saved_stats_.rx_bytes;
  s.tx_bytes += saved_stats_.tx_bytes;
  s.rx_missed += saved_stats_.rx_missed;
  s.rx_no_desc += saved_stats_.rx_no_desc;
  s.rx_crc_errors += saved_stats_.rx_crc_errors;
  saved_stats_ = {};
}

// ---------------------------------------------------------------------------------------------------------
// Watchdog (in the spirit of Linux ixgbe's service task): a handful of register reads per call, none on
// the hot path. Progress of a tx queue = descriptors completed since the last call; a queue with work in
// flight, the link up and no progress for tx_hang_timeout_ms is hung.
Health AdvDevice::watchdog() {
  if (health_.dead) return Health::kDead;
  if (!running_) return Health::kOk;  // shut down by the app
  try {
    if (mmio_.read(layout_.status) == 0xFFFFFFFFu) {
      mark_dead("device reads all-ones (removed from the bus or dead)");
      return Health::kDead;
    }
    // Queue 0 is enabled for the device's whole life; finding it off means the device reset itself.
    if (!(mmio_.read(layout_.rxdctl, 0) & layout_.queue_enable)) {
      ++health_.device_resets;
      return recover("device lost its configuration (reset by itself?)", true);
    }
    const bool up = link().up;
    if (up != health_.link_up) {
      ++health_.link_changes;
      health_.link_up = up;
      log(up ? LogLevel::kInfo : LogLevel::kWarn, "%s: link %s", backend_.name().c_str(), up ? "up" : "down");
    }
    const uint64_t now = backend_.now_ns();
    const uint64_t timeout = static_cast<uint64_t>(config_.tx_hang_timeout_ms) * 1'000'000;
    bool hung = false;
    for (size_t q = 0; q < tx_.size(); ++q) {
      TxRing& ring = *tx_[q];
      TxWatch& w = tx_watch_[q];
      ring.reclaim();
      const uint32_t in_flight = ring.in_flight();
      const uint64_t packets = ring.stats().packets;
      const bool progress = in_flight == 0 || in_flight < w.in_flight + (packets - w.packets);
      if (progress || !up || w.since_ns == 0) w.since_ns = now;
      else if (timeout != 0 && now - w.since_ns > timeout) hung = true;
      w.in_flight = in_flight;
      w.packets = packets;
    }
    // Receive: slots the device took and never wrote back (ring.h, reclaim_lost) go back to it.
    for (size_t q = 0; q < rx_.size(); ++q) rx_[q]->reclaim_lost(mmio_.read(layout_.rdh, static_cast<uint16_t>(q)));
    if (hung) {
      ++health_.tx_hangs;
      return recover("tx unit hang: descriptors in flight, none completed", false);
    }
    return up ? Health::kOk : Health::kLinkDown;
  } catch (const DeviceDead& e) {
    mark_dead(e.what());
    return Health::kDead;
  }
}

// Reset and re-initialize the device from config_, keeping pools and rings (no allocation). Every buffer in a ring goes
// back to its pool; what is dropped that way is counted in health_.
Health AdvDevice::recover(const char* why, bool device_lost_registers) {
  log(LogLevel::kWarn, "%s: %s; resetting the device", backend_.name().c_str(), why);
  ++health_.recoveries;
  try {
    // 1. Stop DMA: receive off, every queue off, and wait (bounded) until the device says so.
    stop_dma();
    for (uint16_t q = 0; q < rx_.size(); ++q) mmio_.clear_bits(layout_.rxdctl, q, layout_.queue_enable);
    for (uint16_t q = 0; q < tx_.size(); ++q) mmio_.clear_bits(layout_.txdctl, q, layout_.queue_enable);
    for (uint16_t q = 0; q < rx_.size(); ++q) mmio_.poll(layout_.rxdctl, q, layout_.queue_enable, 0, 10'000);
    for (uint16_t q = 0; q < tx_.size(); ++q) mmio_.poll(layout_.txdctl, q, layout_.queue_enable, 0, 10'000);
    // 2. Counters survive the reset in saved_stats_ (read_stats moves older saved counts into `now`).
    DeviceStats now;
    read_stats(now);
    saved_stats_ = now;
    // 3. Transmit: keep what completed; what the device never processed (TDH..TDT) is dropped. When the device
    // lost its registers nobody knows, so every unconfirmed packet counts as dropped.
    for (uint16_t q = 0; q < tx_.size(); ++q) {
      TxRing& ring = *tx_[q];
      ring.reclaim();
      uint32_t dropped = ring.in_flight();
      if (!device_lost_registers) {
        const uint32_t head = mmio_.read(layout_.tdh, q), tail = mmio_.read(layout_.tdt, q);
        if (head < ring.size() && tail < ring.size()) dropped = std::min(dropped, (tail - head) & (ring.size() - 1));
      }
      health_.tx_discarded += dropped;
      ring.release_all();
    }
    // 4. The family's whole init again on the rings and pools of init: rx rings harvested and refilled, tx rings
    // reset in place. Nothing is allocated (DMA memory cannot be mapped once privileges are dropped).
    reinit();
    if (irq_) irq_->set_regs(setup_msix(irq_config_));  // the reset cleared the interrupt registers
    for (TxWatch& w : tx_watch_) w = TxWatch{};
    health_.link_up = link().up;
    return Health::kRecovered;
  } catch (const Error& e) {
    mark_dead(std::string("recovery failed: ") + e.what());
    return Health::kDead;
  }
}

// The device is gone (or unusable): nothing will DMA any more, so every buffer goes back to its pool.
void AdvDevice::mark_dead(const std::string& why) {
  log(LogLevel::kError, "%s: %s; device stopped", backend_.name().c_str(), why.c_str());
  health_.dead = true;
  health_.link_up = false;
  running_ = false;
  for (auto& t : tx_) {
    t->reclaim();
    health_.tx_discarded += t->in_flight();
    t->release_all();
  }
  for (auto& r : rx_) r->release_all();
}

void AdvDevice::start_rx_queue(uint16_t q) {
  const uint32_t tail = rx_.at(q)->fill();
  mmio_.set_bits(layout_.rxdctl, q, layout_.queue_enable);
  mmio_.wait(layout_.rxdctl, q, layout_.queue_enable, layout_.queue_enable, kQueueEnableTimeoutUs,
             "rx queue enable (RXDCTL.ENABLE)");
  mmio_.write(layout_.rdh, q, 0);
  mmio_.write(layout_.rdt, q, tail);
}

void AdvDevice::start_tx_queue(uint16_t q) {
  mmio_.write(layout_.tdh, q, 0);
  mmio_.write(layout_.tdt, q, 0);
  mmio_.set_bits(layout_.txdctl, q, layout_.queue_enable);
  mmio_.wait(layout_.txdctl, q, layout_.queue_enable, layout_.queue_enable, kQueueEnableTimeoutUs,
             "tx queue enable (TXDCTL.ENABLE)");
}

void AdvDevice::wait_for_link() {
  health_.link_up = link().up;  // the watchdog reports changes from here on
  if (config_.link_timeout_ms == 0) return;
  const uint64_t deadline = backend_.now_ns() + static_cast<uint64_t>(config_.link_timeout_ms) * 1'000'000;
  while (!link().up && backend_.now_ns() < deadline) backend_.delay_us(kLinkPollUs);
  const LinkStatus l = link();
  health_.link_up = l.up;
  if (l.up) log(LogLevel::kInfo, "%s: link up at %u Mbit/s", backend_.name().c_str(), l.speed_mbps);
  else log(LogLevel::kWarn, "%s: link still down after %u ms (cable? peer?)", backend_.name().c_str(), config_.link_timeout_ms);
}

void AdvDevice::program_rss(const reg::RegDef& mrqc, const reg::RegDef& reta, const reg::RegDef& rssrk,
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

void AdvDevice::ensure_present() {
  if (mmio_.read(layout_.status) == 0xFFFFFFFFu)
    throw DeviceDead(backend_.name() + ": device reads all-ones (removed from the bus or dead)");
}

void AdvDevice::shutdown() {
  if (!running_) return;
  running_ = false;
  try {
    stop_dma();
    for (uint16_t q = 0; q < rx_.size(); ++q) mmio_.clear_bits(layout_.rxdctl, q, layout_.queue_enable);
    for (uint16_t q = 0; q < tx_.size(); ++q) mmio_.clear_bits(layout_.txdctl, q, layout_.queue_enable);
    // 82599 §4.6.7.1 (and the 82576's equivalent): the device clears ENABLE only once its accesses to the
    // queue's memory are done; poll it before the buffers go back to their pools (bounded, as in recovery).
    for (uint16_t q = 0; q < rx_.size(); ++q) mmio_.poll(layout_.rxdctl, q, layout_.queue_enable, 0, 10'000);
    for (uint16_t q = 0; q < tx_.size(); ++q) mmio_.poll(layout_.txdctl, q, layout_.queue_enable, 0, 10'000);
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "%s: shutdown: %s", backend_.name().c_str(), e.what());
  }
  for (auto& r : rx_) r->release_all();
  for (auto& t : tx_) t->release_all();
}

// ---------------------------------------------------------------------------------------------------------
// Interrupts: the backend's eventfds (one per rx queue), the family's register programming.
void AdvDevice::enable_interrupts(const InterruptConfig& config) {
  if (!running_) throw Error(backend_.name() + ": enable_interrupts on a device that is shut down or dead");
  irq_.reset();  // again: the old vectors go first
  auto irq = std::make_unique<RxInterrupts>(backend_, rx_queues());
  irq->set_regs(setup_msix(config));
  irq_config_ = config;
  irq_ = std::move(irq);
  log(LogLevel::kInfo, "%s: MSI-X interrupts on: %u rx vectors, moderation %u us", backend_.name().c_str(),
      rx_queues(), config.interval_us);
}

bool AdvDevice::arm_rx(uint16_t q) {
  if (!irq_) throw Error(backend_.name() + ": arm_rx/wait_rx before enable_interrupts()");
  if (q >= rx_.size()) throw Error(backend_.name() + ": arm_rx/wait_rx: no rx queue " + std::to_string(q));
  if (!running_) return false;
  irq_->arm(q);
  return rx_[q]->has_frame();
}

void AdvDevice::disarm_rx(uint16_t q) {
  if (!irq_ || q >= rx_.size()) return;
  irq_->disarm(q);
}

bool AdvDevice::wait_rx(uint16_t q, uint32_t timeout_ms) {
  if (arm_rx(q)) {
    disarm_rx(q);
    return true;
  }
  if (!running_) return false;
  const bool fired = irq_->sleep(q, timeout_ms);
  disarm_rx(q);
  return fired || rx_[q]->has_frame();
}

MacAddr AdvDevice::mac() {
  const uint32_t lo = mmio_.read(layout_.ral, 0);
  const uint32_t hi = mmio_.read(layout_.rah, 0);
  return {static_cast<uint8_t>(lo), static_cast<uint8_t>(lo >> 8), static_cast<uint8_t>(lo >> 16),
          static_cast<uint8_t>(lo >> 24), static_cast<uint8_t>(hi), static_cast<uint8_t>(hi >> 8)};
}

void AdvDevice::set_mac(const MacAddr& m) {
  mmio_.write(layout_.ral, 0, m[0] | m[1] << 8 | m[2] << 16 | static_cast<uint32_t>(m[3]) << 24);
  mmio_.write(layout_.rah, 0, m[4] | m[5] << 8 | kRahAddressValid);
}

}  // namespace nic
