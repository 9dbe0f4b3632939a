#include "driver/adv_device.h"

#include "driver/error.h"
#include "driver/log.h"

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
  const uint32_t pool_size = config_.rx_pool_size ? config_.rx_pool_size : config_.rx_ring_size + config_.tx_ring_size;
  pools_.push_back(std::make_unique<Mempool>(backend_, pool_size));
  if (pools_.back()->data_capacity() < kMaxFrame) throw Error("packet buffers too small for 1518-byte frames");
  rx_.push_back(std::make_unique<RxRing>(backend_, *pools_.back(), config_.rx_ring_size, layout_.rdt.at(q)));
  RxRing& ring = *rx_.back();
  mmio_.write(layout_.rdbal, q, static_cast<uint32_t>(ring.ring_iova()));
  mmio_.write(layout_.rdbah, q, static_cast<uint32_t>(ring.ring_iova() >> 32));
  mmio_.write(layout_.rdlen, q, ring.ring_bytes());
  mmio_.write(layout_.rdh, q, 0);
  mmio_.write(layout_.rdt, q, 0);
  return ring;
}

TxRing& AdvDevice::setup_tx_ring(uint16_t q) {
  tx_.push_back(std::make_unique<TxRing>(backend_, config_.tx_ring_size, layout_.tdt.at(q)));
  TxRing& ring = *tx_.back();
  mmio_.write(layout_.tdbal, q, static_cast<uint32_t>(ring.ring_iova()));
  mmio_.write(layout_.tdbah, q, static_cast<uint32_t>(ring.ring_iova() >> 32));
  mmio_.write(layout_.tdlen, q, ring.ring_bytes());
  return ring;
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
  if (config_.link_timeout_ms == 0) return;
  const uint64_t deadline = backend_.now_ns() + static_cast<uint64_t>(config_.link_timeout_ms) * 1'000'000;
  while (!link().up && backend_.now_ns() < deadline) backend_.delay_us(kLinkPollUs);
  const LinkStatus l = link();
  if (l.up) log(LogLevel::kInfo, "%s: link up at %u Mbit/s", backend_.name().c_str(), l.speed_mbps);
  else log(LogLevel::kWarn, "%s: link still down after %u ms (cable? peer?)", backend_.name().c_str(), config_.link_timeout_ms);
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
  } catch (const std::exception& e) {
    log(LogLevel::kWarn, "%s: shutdown: %s", backend_.name().c_str(), e.what());
  }
  for (auto& r : rx_) r->release_all();
  for (auto& t : tx_) t->release_all();
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
