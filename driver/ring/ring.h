// Descriptor rx/tx rings, shared by every family: the bookkeeping is written once, the descriptor format is a
// policy (a traits struct of a few inline functions, below).
//
// A family programs base/length/control registers; the ring owns the descriptor memory, the buffers posted
// to the device, and the hot path: rx_batch/tx_batch touch MMIO once per batch (the tail write, through the
// backend's Doorbell). The hot path is defined inline at the end of this header, so a family's rx_batch and
// tx_batch compile it in place (one call from the app, as ixy's function pointer).
// Nothing here trusts the device: lengths are bounded, heads are never read back on the hot path, and
// every buffer is accounted for (posted, in flight, or back in its pool) until the ring is destroyed.
//
// Formats: AdvRxFormat/AdvTxFormat (82599, 82576: advanced descriptors) and ExtRxFormat/LegacyTxFormat (82574:
// extended rx, legacy tx). A format says how to write a descriptor's read format and how to read DD, EOP and
// the length from its write-back; everything else (buffers per slot, tail, RS chunking, reclaim, release_all,
// stats, the hostile-input checks) is BasicRxRing/BasicTxRing. The templates are instantiated once per format
// in ring.cc, so the hot path of each format is compiled exactly as a hand-written ring would be.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "driver/seam/backend.h"
#include "driver/seam/barrier.h"
#include "driver/ring/descriptors.h"
#include "driver/mem/mempool.h"
#include "driver/ring/rx_scan.h"

namespace nic {

// ---------------------------------------------------------------------------------------------------------
// Receive formats: Desc (16 bytes); post() writes the read format (buffer address, DD cleared); status() is
// the one load the ring tests for kDone before anything else; length() is read only after DD (and a barrier).
// Each is read once per descriptor into a local: the device (or a hostile one) may rewrite the memory at any
// time, so nothing is checked in one read and used from another. kFrameErrors: status bits that drop a frame.
struct AdvRxFormat {
  using Desc = AdvRxDesc;
  static constexpr uint32_t kDone = rxd::kStatusDD;
  static constexpr uint32_t kEop = rxd::kStatusEOP;
  // Frame errors that make the data worthless (§7.1.6.2: RXE, a MAC error such as CRC or length). IPE/L4E
  // only report failed checksum offloads, which the driver does not enable: not a reason to drop.
  static constexpr uint32_t kFrameErrors = rxd::kErrorRxe;
  static void post(volatile Desc& d, uint64_t iova) {
    d.read.pkt_addr = iova;
    d.read.hdr_addr = 0;  // no header buffer; also clears DD
  }
  static uint32_t status(const volatile Desc& d) { return dd_load(d.wb.status_error); }
  static uint32_t length(const volatile Desc& d) { return d.wb.length; }
};

struct ExtRxFormat {
  using Desc = ExtRxDesc;
  static constexpr uint32_t kDone = erxd::kStatusDD;
  static constexpr uint32_t kEop = erxd::kStatusEOP;
  // Frame errors in the extended write-back's ERRORS byte (31:24): CE (CRC/alignment) and RXE (data error).
  // TCPE/IPE only report failed checksum offloads: not a reason to drop.
  static constexpr uint32_t kFrameErrors = erxd::kErrorCe | erxd::kErrorRxe;
  static void post(volatile Desc& d, uint64_t iova) {
    d.read.buffer_addr = iova;
    d.read.reserved = 0;  // clears DD
  }
  static uint32_t status(const volatile Desc& d) { return dd_load(d.wb.status_error); }
  static uint32_t length(const volatile Desc& d) { return d.wb.length; }
};

// Transmit formats: write() fills the read format for a one-buffer frame (EOP, insert FCS, no offloads);
// request_status() adds RS; done() tests DD in the write-back of a descriptor that carried RS.
struct AdvTxFormat {
  using Desc = AdvTxDesc;
  static void write(Desc& d, uint64_t iova, uint32_t len) {
    d.read.buffer_addr = iova;
    d.read.cmd_type_len = txd::kCmdEop | txd::kCmdIfcs | txd::kCmdDext | txd::kTypeData | len;
    d.read.olinfo_status = len << txd::kPaylenShift;
  }
  static void request_status(Desc& d) { d.read.cmd_type_len |= txd::kCmdRs; }
  static bool done(const volatile Desc& d) { return dd_load(d.wb.status) & txd::kStatusDD; }
};

struct LegacyTxFormat {
  using Desc = LegacyTxDesc;
  static void write(Desc& d, uint64_t iova, uint32_t len) {
    d.buffer_addr = iova;
    d.cmd_len = ltxd::kCmdEop | ltxd::kCmdIfcs | len;  // CSO 0, DEXT 0: legacy
    d.status = 0;                                        // STA (DD) clear, CSS 0, no VLAN tag
  }
  static void request_status(Desc& d) { d.cmd_len |= ltxd::kCmdRs; }
  static bool done(const volatile Desc& d) { return dd_load(d.status) & ltxd::kStatusDD; }
};

// Per-queue software counters (what the driver saw; the device's own counters are read separately).
struct RingStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t no_buf = 0;      // rx: refill impossible (pool empty), frames left on the ring for later
  uint64_t bad_desc = 0;    // rx: write-back rejected (length 0 / too long / no EOP), buffer recycled;
                            // tx: packet of invalid size dropped
  uint64_t rx_errors = 0;   // rx: write-back with a frame error bit (Format::kFrameErrors), buffer recycled
  uint64_t lost_writebacks = 0;  // rx: slots the device took but never wrote back, given back (reclaim_lost)
};

template <class Format>
class alignas(64) BasicRxRing {  // own cache lines: queues driven by different threads share nothing
 public:
  using Desc = typename Format::Desc;
  static_assert(sizeof(Desc) == 16, "ring geometry assumes 16-byte descriptors");

  // size: descriptors (power of two, 8..8192). tail_reg: offset of this queue's RDT.
  BasicRxRing(Backend& backend, Mempool& pool, uint32_t size, uint32_t tail_reg);
  ~BasicRxRing();
  BasicRxRing(const BasicRxRing&) = delete;
  BasicRxRing& operator=(const BasicRxRing&) = delete;

  uint64_t ring_iova() const { return ring_.iova; }
  uint32_t ring_bytes() const { return size_ * static_cast<uint32_t>(sizeof(Desc)); }
  uint32_t size() const { return size_; }

  // Posts a buffer in every descriptor and returns the tail value that hands them all to the device (size-1:
  // one slot always stays empty so head == tail means "empty"). Throws if the pool cannot fill the ring.
  uint32_t fill();

  // Receives up to out.size() frames. Entries of `out` must be empty. One tail write if anything arrived.
  // Descriptors are scanned in groups (rx_scan.h; the scan kind is rxscan::preferred() unless set_scan()
  // chose another), refilled from one bulk allocation, and anything the scan stops at is looked at alone.
  inline size_t rx_batch(std::span<Packet> out);
  // The descriptor scan this ring uses (tests and fuzz targets run each kind on the same input).
  void set_scan(rxscan::Kind kind) { scan_ = rxscan::function(kind); }
  // Longest write-back length accepted: what the device was told it may write into a buffer (every family
  // programs Mempool::kRxBufBytes), never more than the buffer holds. Longer lengths are rejected (bad_desc):
  // bytes past the programmed size were never written by this frame.
  uint32_t max_frame_bytes() const {
    return pool_.data_capacity() < Mempool::kRxBufBytes ? pool_.data_capacity() : Mempool::kRxBufBytes;
  }
  // True when the next descriptor holds a completed frame (DD set): rx_batch() would return something.
  bool has_frame() const { return Format::status(desc_[next_]) & Format::kDone; }

  // Returns every posted buffer to the pool (the device must no longer be using the ring).
  void release_all();

  // Watchdog: gives back slots the device took but never wrote back. A write-back that never lands (an
  // IOMMU fault on it, a lost posted write) leaves the slot at next_ without DD while the device's head has
  // moved past it, and rx_batch would wait there for good. `device_head` is the queue's RDH. Slots seen so
  // at one call are suspects; those still without DD at a call kLostAfterNs or more later (a write-back takes
  // microseconds), once a later taken slot has DD (write-backs land in ring order, so theirs never will), are
  // posted again with the same buffer and counted in lost_writebacks. Without a later DD nothing is given
  // back, however long: a late write-back landing in a slot posted again would deliver a stale frame (seen
  // with a simulator behind its pace over vfio-user). Returns how many were given back (one tail write if any).
  static constexpr uint64_t kLostAfterNs = 1'000'000;
  uint32_t reclaim_lost(uint32_t device_head);

  const RingStats& stats() const { return stats_; }
  Mempool& pool() { return pool_; }

 private:
  // Scan groups: at most this many descriptors per scan call (the lengths live on the stack meanwhile).
  static constexpr uint32_t kScanMax = 64;
  static constexpr rxscan::Want want(uint32_t cap) { return {Format::kDone | Format::kEop | Format::kFrameErrors, Format::kDone | Format::kEop, cap}; }
  // The descriptor at idx stopped the scan: one descriptor the long way. Returns kRxStop when it holds
  // nothing to take (no DD) or the pool is empty, kRxDropped when it was dropped (slot posted again), else the
  // length of the frame it delivered into `out` (which must be empty).
  static constexpr int kRxStop = -1, kRxDropped = 0;
  int rx_one(uint32_t idx, Packet& out);

  Backend& backend_;
  Mempool& pool_;
  DmaRegion ring_;
  Desc* desc_;
  std::vector<PktBuf*> bufs_;  // buffer posted in each slot
  uint32_t size_;
  uint32_t mask_;
  Doorbell doorbell_;  // RDT
  rxscan::ScanFn scan_;
  uint32_t next_ = 0;  // next descriptor to look at
  uint32_t suspect_at_ = 0, suspects_ = 0;  // reclaim_lost(): slots [suspect_at_, +suspects_) lacked DD
  uint64_t suspect_since_ns_ = 0;            // ... since then
  RingStats stats_;
};

template <class Format>
class alignas(64) BasicTxRing {
 public:
  using Desc = typename Format::Desc;
  static_assert(sizeof(Desc) == 16, "ring geometry assumes 16-byte descriptors");

  // Report-status granularity: RS is set at least every kRsInterval descriptors and on the last descriptor
  // of every batch, so cleanup never strands a partial batch (ixy cleans in whole batches of 32 only).
  static constexpr uint32_t kRsInterval = 32;
  // tx_batch reclaims only once this many descriptors are in flight (or the batch does not fit the free
  // ones), as DPDK's tx_free_thresh: at small batches the reclaim's fixed cost is paid once per many calls.
  // The ring then holds up to this many sent buffers more than an eager reclaim would.
  static constexpr uint32_t kReclaimAt = 2 * kRsInterval;

  BasicTxRing(Backend& backend, uint32_t size, uint32_t tail_reg);
  ~BasicTxRing();
  BasicTxRing(const BasicTxRing&) = delete;
  BasicTxRing& operator=(const BasicTxRing&) = delete;

  uint64_t ring_iova() const { return ring_.iova; }
  uint32_t ring_bytes() const { return size_ * static_cast<uint32_t>(sizeof(Desc)); }
  uint32_t size() const { return size_; }

  // Takes a prefix of `pkts` (as many as free descriptors allow) and returns its length; taken handles
  // become empty. A packet of size 0 or larger than its buffer is taken but dropped (stats().bad_desc);
  // an empty handle is skipped.
  // Reclaims completed descriptors first when kReclaimAt or more are in flight, the batch does not fit, or
  // the batch is empty (an idle app's call, e.g. app::forward with nothing received, gives everything back).
  // One tail write per call.
  inline size_t tx_batch(std::span<Packet> pkts);

  // Returns buffers of descriptors the device has completed to their pools; returns how many.
  inline uint32_t reclaim();
  // Returns every buffer still on the ring to its pool, completed or not (the device must be stopped).
  void release_all();
  // Recovery: release_all(), then the ring as constructed (descriptors all-ones, head and tail at slot 0) in the
  // descriptor memory allocated at construction: nothing is allocated. Counters carry on. Device stopped.
  void reset();
  // Descriptors handed to the device and not yet reclaimed.
  uint32_t in_flight() const { return (tail_ - clean_) & mask_; }

  const RingStats& stats() const { return stats_; }

 private:
  Backend& backend_;
  DmaRegion ring_;
  Desc* desc_;
  std::vector<PktBuf*> bufs_;         // buffer posted in each slot
  // Frees bufs[0, n) into their pools: a run of one pool's buffers at a time (Mempool::free_own_prefix).
  static void free_run(PktBuf* const* bufs, uint32_t n);

  std::vector<uint16_t> chunk_last_;  // at the first slot of each RS chunk: the slot that carries RS
  uint32_t size_;
  uint32_t mask_;
  Doorbell doorbell_;  // TDT
  uint32_t tail_ = 0;   // next slot to fill
  uint32_t clean_ = 0;  // oldest slot not yet reclaimed
  RingStats stats_;
};

// ---------------------------------------------------------------------------------------------------------
// The hot path.

template <class F>
inline size_t BasicRxRing<F>::rx_batch(std::span<Packet> out) {
  // Members in locals: stores through packet and descriptor pointers could alias `this` otherwise.
  volatile Desc* const ring = desc_;
  PktBuf** const bufs = bufs_.data();
  Mempool& pool = pool_;
  const rxscan::Want good = want(max_frame_bytes());
  uint32_t idx = next_;
  size_t n = 0;
  uint64_t bytes = 0;
  while (n < out.size()) {
    // Look at most at what fits `out`, kScanMax, and the ring's end (the scan does not wrap).
    uint32_t room = size_ - idx;
    if (room > kScanMax) room = kScanMax;
    if (room > out.size() - n) room = static_cast<uint32_t>(out.size() - n);
    uint32_t lens[kScanMax + 8];
    // One descriptor is not worth a call: the scalar scan inline (it is the first step of every scan anyway).
    uint32_t k = room == 1 ? rxscan::scan_scalar(ring + idx, 1, good, lens) : scan_(ring + idx, room, good, lens);
    const bool starved = k > pool.available();
    if (starved) [[unlikely]] k = pool.available();
    // k good frames at idx..idx+k-1: hand out their buffers, post fresh ones. lens[] are the scan's reads.
    PktBuf* const* fresh = pool.take_bulk(k);
    Packet* const dst = out.data() + n;
    PktBuf** const slot = bufs + idx;
    volatile Desc* const d = ring + idx;
    const Mempool::Layout at = pool.layout();
    for (uint32_t i = 0; i < k; ++i) {
      PktBuf* const got = slot[i];
      const uint32_t len = lens[i];
      got->size = len;
      bytes += len;
      assert(!dst[i] && "rx_batch needs empty Packet handles");
      dst[i].buf_ = got;
      PktBuf* const f = fresh[i];
      slot[i] = f;
      F::post(d[i], at.data_iova(f));  // clears DD
    }
    n += k;
    idx = (idx + k) & mask_;
    if (starved) [[unlikely]] {
      ++stats_.no_buf;  // frames left on the ring; they are delivered once buffers come back
      break;
    }
    if (k == room) continue;
    // The scan stopped at idx: nothing there yet (done), or a frame to drop, or one it could not take whole.
    const int len = rx_one(idx, out[n]);
    if (len == kRxStop) break;
    if (len != kRxDropped) ++n, bytes += static_cast<uint32_t>(len);
    idx = (idx + 1) & mask_;
  }
  if (idx != next_) {
    stats_.packets += n;
    stats_.bytes += bytes;
    // The slot before `idx` is the last one refilled; the device may use everything up to it (exclusive).
    wmb_before_doorbell();
    doorbell_.ring((idx - 1) & mask_);
    next_ = idx;
  }
  return n;
}

template <class F>
inline uint32_t BasicTxRing<F>::reclaim() {
  const volatile Desc* const ring = desc_;
  const uint32_t mask = mask_, tail = tail_, first = clean_;
  uint32_t clean = first;
  // Completed chunks, oldest first: a chunk is done when its RS descriptor has DD.
  while (clean != tail) {
    const uint32_t last = chunk_last_[clean];
    if (!F::done(ring[last])) break;
    clean = (last + 1) & mask;
  }
  if (clean == first) return 0;
  rmb_after_dd();
  // Slots in [first, clean) hold buffers (others are stale and never read): freed in runs of one pool each,
  // without touching the buffers' metadata except the pool of each run's first.
  PktBuf* const* const bufs = bufs_.data();
  if (clean > first) {
    free_run(bufs + first, clean - first);
  } else {
    free_run(bufs + first, size_ - first);
    free_run(bufs, clean);
  }
  clean_ = clean;
  return (clean - first) & mask;
}

template <class F>
inline size_t BasicTxRing<F>::tx_batch(std::span<Packet> pkts) {
  // One slot stays empty: tail == clean means "nothing in flight". Every taken packet uses at most one slot.
  uint32_t free_slots = size_ - 1 - in_flight();
  if (pkts.size() - 1 >= free_slots || free_slots <= size_ - 1 - kReclaimAt) {  // empty, does not fit, or due
    reclaim();
    free_slots = size_ - 1 - in_flight();
  }
  const size_t n = pkts.size() < free_slots ? pkts.size() : free_slots;
  Desc* const ring = desc_;
  PktBuf** const bufs = bufs_.data();
  const uint32_t mask = mask_;
  uint32_t idx = tail_;
  uint32_t chunk_first = idx;
  uint32_t rs_at = (idx + kRsInterval - 1) & mask;  // slot that closes the current RS chunk
  uint64_t bytes = 0;
  for (size_t taken = 0; taken < n; ++taken) {
    PktBuf* b = pkts[taken].release();
    if (b == nullptr) [[unlikely]] continue;  // an empty handle: nothing to send
    const uint32_t size = b->size;
    if (size - 1 >= b->capacity) [[unlikely]] {  // size 0 or larger than the buffer
      ++stats_.bad_desc;  // an app bug, not a device one: drop it here rather than hand garbage to the NIC
      b->pool->free(b);
      continue;
    }
    bufs[idx] = b;
    F::write(ring[idx], b->data_iova, size);
    bytes += size;
    if (idx == rs_at) [[unlikely]] {  // close the chunk: RS here
      F::request_status(ring[idx]);
      chunk_last_[chunk_first] = static_cast<uint16_t>(idx);
      chunk_first = (idx + 1) & mask;
      rs_at = (idx + kRsInterval) & mask;
    }
    idx = (idx + 1) & mask;
  }
  if (idx == tail_) return n;
  if (chunk_first != idx) {  // the batch's last descriptor closes the open chunk
    const uint32_t last = (idx - 1) & mask;
    F::request_status(ring[last]);
    chunk_last_[chunk_first] = static_cast<uint16_t>(last);
  }
  stats_.packets += (idx - tail_) & mask;
  stats_.bytes += bytes;
  tail_ = idx;
  wmb_before_doorbell();
  doorbell_.ring(idx);
  return n;
}

// The advanced-descriptor rings (82599, 82576) keep their names; the 82574's rings are the same code.
using RxRing = BasicRxRing<AdvRxFormat>;
using TxRing = BasicTxRing<AdvTxFormat>;
using ExtRxRing = BasicRxRing<ExtRxFormat>;
using LegacyTxRing = BasicTxRing<LegacyTxFormat>;

// Compiled once, in ring.cc.
extern template class BasicRxRing<AdvRxFormat>;
extern template class BasicRxRing<ExtRxFormat>;
extern template class BasicTxRing<AdvTxFormat>;
extern template class BasicTxRing<LegacyTxFormat>;

}  // namespace nic
