// The queues of a device, over its descriptor formats: one mempool, one rx ring and one tx ring per queue,
// the hot path (rx_batch/tx_batch straight into the rings), programming a ring's registers and starting a
// queue, and the queue hooks the device base's watchdog, recovery and shutdown use. Instantiated for the
// advanced formats (82599, 82576: AdvQueueDevice) and the 82574's extended rx / legacy tx (queue_device.cc).
#pragma once

#include <memory>
#include <vector>

#include "driver/device/device_base.h"
#include "driver/ring/ring.h"

namespace nic {

template <class RxRingT, class TxRingT>
class QueueDevice : public DeviceBase {
 public:
  size_t rx_batch(uint16_t queue, std::span<Packet> out) final {
    return queue < rx_.size() && running() ? rx_[queue]->rx_batch(out) : 0;
  }
  size_t tx_batch(uint16_t queue, std::span<Packet> pkts) final {
    return queue < tx_.size() && running() ? tx_[queue]->tx_batch(pkts) : 0;
  }

  uint16_t rx_queues() const final { return static_cast<uint16_t>(rx_.size()); }
  uint16_t tx_queues() const final { return static_cast<uint16_t>(tx_.size()); }
  Mempool& rx_pool(uint16_t queue) final { return *pools_.at(queue); }
  const RingStats& rx_ring_stats(uint16_t queue) const final { return rx_.at(queue)->stats(); }
  const RingStats& tx_ring_stats(uint16_t queue) const final { return tx_.at(queue)->stats(); }

 protected:
  using DeviceBase::DeviceBase;

  // Part of the family's init: queue q's ring base, length, head and tail (0). Allocates nothing (start()
  // allocated every queue; recovery runs the same init on the same rings).
  void program_rx_ring(uint16_t q);
  void program_tx_ring(uint16_t q);
  // Fill the ring, enable the queue and wait for the enable to stick (families with a queue enable), hand
  // the ring to the device (RDH 0, RDT = the last posted slot).
  void start_rx_queue(uint16_t q);
  // TDH = TDT = 0, then enable the queue and wait for it (families with a queue enable).
  void start_tx_queue(uint16_t q);

 private:
  void allocate_queues() final;
  TxState reclaim_tx(uint16_t q) final;
  void reset_tx(uint16_t q) final { tx_.at(q)->reset(); }
  void reclaim_lost_rx(uint16_t q, uint32_t device_head) final { rx_.at(q)->reclaim_lost(device_head); }
  uint64_t discard_rx() final;
  void release_buffers() final;
  bool rx_has_frame(uint16_t q) const final { return rx_.at(q)->has_frame(); }

  // Declaration order is destruction order in reverse: the rings give their buffers back before the pools go.
  std::vector<std::unique_ptr<Mempool>> pools_;
  std::vector<std::unique_ptr<RxRingT>> rx_;
  std::vector<std::unique_ptr<TxRingT>> tx_;
};

extern template class QueueDevice<RxRing, TxRing>;
extern template class QueueDevice<ExtRxRing, LegacyTxRing>;

// The 82599 and the 82576: advanced descriptors both ways.
using AdvQueueDevice = QueueDevice<RxRing, TxRing>;

}  // namespace nic
