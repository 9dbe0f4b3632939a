#include "driver/device/queue_device.h"

#include <array>

#include "driver/seam/error.h"

namespace nic {
namespace {
constexpr uint32_t kQueueEnableTimeoutUs = 100'000;
constexpr uint32_t kMaxFrame = 1518;  // no jumbo frames: every frame fits one 2 KB buffer
}  // namespace

template <class RxRingT, class TxRingT>
void QueueDevice<RxRingT, TxRingT>::allocate_queues() {
  const uint32_t pool_size = config_.rx_pool_size ? config_.rx_pool_size : config_.rx_ring_size + config_.tx_ring_size;
  for (uint16_t q = 0; q < config_.rx_queues; ++q) {
    pools_.push_back(std::make_unique<Mempool>(backend_, pool_size));
    // The device writes up to Mempool::kRxBufBytes into a buffer (what every family programs: SRRCTL.BSIZEPACKET
    // on the 82599/82576, RCTL.BSIZE on the 82574): never more than the buffer's data area, and enough for a
    // whole frame (one descriptor per frame).
    static_assert(kMaxFrame + 4 <= Mempool::kRxBufBytes);
    if (pools_.back()->data_capacity() < Mempool::kRxBufBytes)
      throw Error("packet buffers too small: the device would write 2048 bytes into " +
                  std::to_string(pools_.back()->data_capacity()));
    rx_.push_back(std::make_unique<RxRingT>(backend_, *pools_.back(), config_.rx_ring_size, layout_.rdt.at(q)));
  }
  for (uint16_t q = 0; q < config_.tx_queues; ++q)
    tx_.push_back(std::make_unique<TxRingT>(backend_, config_.tx_ring_size, layout_.tdt.at(q)));
}

template <class RxRingT, class TxRingT>
void QueueDevice<RxRingT, TxRingT>::program_rx_ring(uint16_t q) {
  const RxRingT& ring = *rx_.at(q);
  mmio_.write(layout_.rdbal, q, static_cast<uint32_t>(ring.ring_iova()));
  mmio_.write(layout_.rdbah, q, static_cast<uint32_t>(ring.ring_iova() >> 32));
  mmio_.write(layout_.rdlen, q, ring.ring_bytes());
  mmio_.write(layout_.rdh, q, 0);
  mmio_.write(layout_.rdt, q, 0);
}

template <class RxRingT, class TxRingT>
void QueueDevice<RxRingT, TxRingT>::program_tx_ring(uint16_t q) {
  const TxRingT& ring = *tx_.at(q);
  mmio_.write(layout_.tdbal, q, static_cast<uint32_t>(ring.ring_iova()));
  mmio_.write(layout_.tdbah, q, static_cast<uint32_t>(ring.ring_iova() >> 32));
  mmio_.write(layout_.tdlen, q, ring.ring_bytes());
}

template <class RxRingT, class TxRingT>
void QueueDevice<RxRingT, TxRingT>::start_rx_queue(uint16_t q) {
  const uint32_t tail = rx_.at(q)->fill();
  if (layout_.queue_enable != 0) {
    mmio_.set_bits(layout_.rxdctl, q, layout_.queue_enable);
    mmio_.wait(layout_.rxdctl, q, layout_.queue_enable, layout_.queue_enable, kQueueEnableTimeoutUs,
               "rx queue enable (RXDCTL.ENABLE)");
  }
  mmio_.write(layout_.rdh, q, 0);
  mmio_.write(layout_.rdt, q, tail);
}

template <class RxRingT, class TxRingT>
void QueueDevice<RxRingT, TxRingT>::start_tx_queue(uint16_t q) {
  mmio_.write(layout_.tdh, q, 0);
  mmio_.write(layout_.tdt, q, 0);
  if (layout_.queue_enable != 0) {
    mmio_.set_bits(layout_.txdctl, q, layout_.queue_enable);
    mmio_.wait(layout_.txdctl, q, layout_.queue_enable, layout_.queue_enable, kQueueEnableTimeoutUs,
               "tx queue enable (TXDCTL.ENABLE)");
  }
}

template <class RxRingT, class TxRingT>
DeviceBase::TxState QueueDevice<RxRingT, TxRingT>::reclaim_tx(uint16_t q) {
  TxRingT& ring = *tx_.at(q);
  ring.reclaim();
  return {ring.in_flight(), ring.stats().packets};
}

// The device is stopped, so nothing writes the rings any more: frames it completed are taken off (and
// dropped) so that every descriptor can be posted afresh.
template <class RxRingT, class TxRingT>
uint64_t QueueDevice<RxRingT, TxRingT>::discard_rx() {
  uint64_t discarded = 0;
  std::array<Packet, 32> got;
  for (auto& ring : rx_) {
    for (size_t n; (n = ring->rx_batch(got)) != 0;) {
      discarded += n;
      for (size_t i = 0; i < n; ++i) got[i].reset();
    }
    ring->release_all();
  }
  return discarded;
}

template <class RxRingT, class TxRingT>
void QueueDevice<RxRingT, TxRingT>::release_buffers() {
  for (auto& r : rx_) r->release_all();
  for (auto& t : tx_) t->release_all();
}

template class QueueDevice<RxRing, TxRing>;
template class QueueDevice<ExtRxRing, LegacyTxRing>;

}  // namespace nic
