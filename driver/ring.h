// Advanced-descriptor rx/tx rings, shared by every family that uses the advanced formats (82599, 82576).
//
// A family programs base/length/control registers; the ring owns the descriptor memory, the buffers posted
// to the device, and the hot path: rx_batch/tx_batch touch MMIO once per batch (the tail write).
// Nothing here trusts the device: lengths are bounded, heads are never read back on the hot path, and
// every buffer is accounted for (posted, in flight, or back in its pool) until the ring is destroyed.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "driver/backend.h"
#include "driver/barrier.h"
#include "driver/descriptors.h"
#include "driver/mempool.h"

namespace nic {

// Per-queue software counters (what the driver saw; the device's own counters are read separately).
struct RingStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t no_buf = 0;      // rx: refill impossible (pool empty), frames left on the ring for later
  uint64_t bad_desc = 0;    // rx: write-back rejected (length 0 / too long / no EOP), buffer recycled;
                            // tx: packet of invalid size dropped
};

class RxRing {
 public:
  // size: descriptors (power of two, 8..8192). tail_reg: offset of this queue's RDT.
  RxRing(Backend& backend, Mempool& pool, uint32_t size, uint32_t tail_reg);
  ~RxRing();
  RxRing(const RxRing&) = delete;
  RxRing& operator=(const RxRing&) = delete;

  uint64_t ring_iova() const { return ring_.iova; }
  uint32_t ring_bytes() const { return size_ * sizeof(AdvRxDesc); }
  uint32_t size() const { return size_; }

  // Posts a buffer in every descriptor and returns the tail value that hands them all to the device (size-1:
  // one slot always stays empty so head == tail means "empty"). Throws if the pool cannot fill the ring.
  uint32_t fill();

  // Receives up to out.size() frames. Entries of `out` must be empty. One tail write if anything arrived.
  size_t rx_batch(std::span<Packet> out);

  // Returns every posted buffer to the pool (the device must no longer be using the ring).
  void release_all();

  const RingStats& stats() const { return stats_; }
  Mempool& pool() { return pool_; }

 private:
  Backend& backend_;
  Mempool& pool_;
  DmaRegion ring_;
  AdvRxDesc* desc_;
  std::vector<PktBuf*> bufs_;  // buffer posted in each slot
  uint32_t size_;
  uint32_t mask_;
  uint32_t tail_reg_;
  uint32_t next_ = 0;  // next descriptor to look at
  RingStats stats_;
};

class TxRing {
 public:
  // Report-status granularity: RS is set at least every kRsInterval descriptors and on the last descriptor
  // of every batch, so cleanup never strands a partial batch (ixy cleans in whole batches of 32 only).
  static constexpr uint32_t kRsInterval = 32;

  TxRing(Backend& backend, uint32_t size, uint32_t tail_reg);
  ~TxRing();
  TxRing(const TxRing&) = delete;
  TxRing& operator=(const TxRing&) = delete;

  uint64_t ring_iova() const { return ring_.iova; }
  uint32_t ring_bytes() const { return size_ * sizeof(AdvTxDesc); }
  uint32_t size() const { return size_; }

  // Takes a prefix of `pkts` (as many as free descriptors allow) and returns its length; taken handles
  // become empty. A packet of size 0 or larger than its buffer is taken but dropped (stats().bad_desc);
  // an empty handle is skipped.
  // Reclaims completed descriptors first. One tail write per call.
  size_t tx_batch(std::span<Packet> pkts);

  // Returns buffers of descriptors the device has completed to their pools; returns how many.
  uint32_t reclaim();
  // Returns every buffer still on the ring to its pool, completed or not (the device must be stopped).
  void release_all();
  // Descriptors handed to the device and not yet reclaimed.
  uint32_t in_flight() const { return (tail_ - clean_) & mask_; }

  const RingStats& stats() const { return stats_; }

 private:
  Backend& backend_;
  DmaRegion ring_;
  AdvTxDesc* desc_;
  std::vector<PktBuf*> bufs_;
  std::vector<uint16_t> chunk_last_;  // at the first slot of each RS chunk: the slot that carries RS
  uint32_t size_;
  uint32_t mask_;
  uint32_t tail_reg_;
  uint32_t tail_ = 0;   // next slot to fill
  uint32_t clean_ = 0;  // oldest slot not yet reclaimed
  RingStats stats_;
};

}  // namespace nic
