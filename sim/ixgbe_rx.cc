// The 82599 model's receive path (timed): MAC checks, filters, RSS, packet buffer, descriptors (§7.1).
#include "sim/ixgbe_model.h"

#include <algorithm>
#include <string>

#include "driver/ring/descriptors.h"
#include "sim/ixgbe_datapath.h"
#include "sim/rss.h"

namespace sim {

using namespace nic::ixgbe;  // register table and fields: the single source of register facts

// ---------------------------------------------------------------------------------------------------------
// Receive: MAC checks, L2 filter (§7.1.1), packet buffer (§7.1.2), then queue 0's descriptors.
// From the cable; in MAC loopback the PHY side is not listened to. (`owned`: see ingress().)
void Ixgbe82599::from_wire(std::span<const uint8_t> frame, Bytes* owned) {
  if (r(HLREG0.at()) & hlreg0::kLoopback.mask()) {
    ++counters_.rx_link_down;
    return;
  }
  ingress(frame, owned);
}

void Ixgbe82599::receive(Bytes&& frame, uint64_t) { from_wire(frame, &frame); }
void Ixgbe82599::receive_view(std::span<const uint8_t> frame, uint64_t) { from_wire(frame, nullptr); }

void Ixgbe82599::on_loopback(Bytes&& frame, uint64_t) { ingress(frame, &frame); }

void Ixgbe82599::ingress(std::span<const uint8_t> frame, Bytes* owned) {
  if (!link_up()) {
    ++counters_.rx_link_down;
    return;
  }
  const uint32_t len = static_cast<uint32_t>(frame.size());
  ++r(TPR.at());
  add64(TORL.at(), len + world_.params().fcs_bytes);
  if (!(r(RXCTRL.at()) & rxctrl::kRxEnable.mask()) || (r(SECRXCTRL.at()) & secrxctrl::kRxDisable.mask())) {
    ++counters_.rx_disabled;  // receive off, or its data path halted (§4.6.7: SECRXCTRL.RX_DIS)
    return;
  }
  const uint32_t hl = r(HLREG0.at());
  const uint32_t max_frame = (hl & hlreg0::kJumboEnable.mask()) ? maxfrs::kMaxFrameSize.get(r(MAXFRS.at())) : 1518;
  if (len < world_.params().min_frame) {
    ++r(RUC.at());
    return;
  }
  if (len + world_.params().fcs_bytes > max_frame) {
    ++r(ROC.at());
    return;
  }
  if (!accept(frame)) {
    ++counters_.rx_filtered;
    return;
  }
  const uint64_t pb_bytes = static_cast<uint64_t>(pbsize::kSizeKb.get(r(RXPBSIZE.at(0)))) * 1024;
  if (rx_fifo_bytes_ + len > pb_bytes) {
    ++r(MPC.at(0));
    count_rx_drop(counters_.rx_missed);
    return;
  }
  ++r(GPRC.at());
  ++counters_.rx_good;
  add64(GORCL.at(), len + world_.params().fcs_bytes);
  if (frame[0] & 1) ++r(frame[0] == 0xFF && frame[1] == 0xFF ? BPRC.at() : MPRC.at());
  if (len + world_.params().fcs_bytes == 64) ++r(PRC64.at());
  // Functional mode: a frame arriving at an empty packet buffer goes straight to its queue, without a copy.
  if (functional_ && rx_fifo_.empty() && !rx_stall_ && rx_one(frame)) return;
  rx_fifo_bytes_ += len;
  rx_fifo_.push_back(owned ? std::move(*owned) : frames::take(frame));
  drain_rx();
}

// §7.1.2.8: with MRQC.MRQE = RSS, the Toeplitz hash of the enabled fields picks a RETA entry, whose low
// four bits are the queue; frames without a hash (not IPv4, or its field disabled) go to queue 0.
uint32_t Ixgbe82599::rss_queue(std::span<const uint8_t> f) const {
  const uint32_t m = r(MRQC.at());
  uint8_t key[40];
  for (uint32_t i = 0; i < 40; ++i) key[i] = static_cast<uint8_t>(r(RSSRK.at(i / 4)) >> (8 * (i % 4)));
  const RssFields fields{.ipv4 = (m & mrqc::kIpv4.mask()) != 0, .ipv4_tcp = (m & mrqc::kTcpIpv4.mask()) != 0,
                         .ipv4_udp = (m & mrqc::kUdpIpv4.mask()) != 0};
  const std::optional<uint32_t> hash = rss_hash(key, fields, f);
  if (!hash) return 0;
  const uint32_t entry = *hash & 127;
  return (r(RETA.at(entry / 4)) >> (8 * (entry % 4))) & 0x0F;
}

bool Ixgbe82599::accept(std::span<const uint8_t> f) const {
  const uint32_t fctrl = r(FCTRL.at());
  const bool broadcast = std::all_of(f.begin(), f.begin() + 6, [](uint8_t b) { return b == 0xFF; });
  if (broadcast) return fctrl & fctrl::kBroadcastAccept.mask();
  if (f[0] & 1) return fctrl & fctrl::kMulticastPromisc.mask();
  if (fctrl & fctrl::kUnicastPromisc.mask()) return true;
  const uint32_t lo = f[0] | f[1] << 8 | f[2] << 16 | static_cast<uint32_t>(f[3]) << 24;
  const uint32_t hi = f[4] | f[5] << 8;
  for (uint32_t i = 0; i < RAL.count; ++i) {
    const uint32_t rah = r(RAH.at(i));
    if ((rah & rah::kAddressValid.mask()) && r(RAL.at(i)) == lo && rah::kAddrHigh.get(rah) == hi) return true;
  }
  return false;
}

void Ixgbe82599::count_rx_drop(uint64_t& counter) {
  ++counter;
  if (world_.behind_pace()) [[unlikely]] ++counters_.rx_pace_drops;
}

// Frames leave the packet buffer in order, each once its queue has descriptors on chip and the upstream pipe
// is not backed up. Without a descriptor anywhere (cache, fetch in flight, host ring), SRRCTL.DROP_EN drops
// the frame at once (QPRDC); otherwise it waits, and later frames find the buffer full (MPC, in ingress()).
void Ixgbe82599::drain_rx() {
  const uint64_t queue_ps = world_.params().dma_queue_ns * 1000;
  if (rx_stall_) [[unlikely]] return;  // fault: receive DMA stopped, the packet buffer fills
  if (functional_) {
    while (!rx_fifo_.empty() && rx_one(rx_fifo_.front())) {
      rx_fifo_bytes_ -= rx_fifo_.front().size();
      rx_fifo_.pop_front();
    }
    return;
  }
  while (!rx_fifo_.empty()) {
    Bytes& f = rx_fifo_.front();
    const uint32_t q = select_queue(f);
    if (world_.now() < rxq_[q].enable_at) {
      ++counters_.rx_queue_disabled;
    } else {
      if (pcie_.upstream_free_ps() > now_ps() + queue_ps) {
        ++counters_.rx_pcie_waits;
        if (!rx_drain_scheduled_) {
          rx_drain_scheduled_ = true;
          world_.schedule(ceil_ns(pcie_.upstream_free_ps() - queue_ps), this, kRxDrain);
        }
        return;
      }
      const size_t size = f.size();
      const Deliver res = deliver(q, f);
      if (res == Deliver::kNoDescriptor) {
        RxQueue& g = rxq_[q];
        const uint32_t n = r(RDLEN.at(q)) / 16;
        const bool more = g.inflight > 0 || (n && (r(RDT.at(q)) + n - g.fetch_next) % n != 0) || rx_tail_posted(q);
        if (more || !(r(SRRCTL.at(q)) & srrctl::kDropEnable.mask())) return;  // wait in the packet buffer
        ++r(QPRDC.at(q));
        count_rx_drop(counters_.rx_no_desc);
      } else if (res == Deliver::kDropped) {
        ++counters_.rx_dma_drops;
      }
      rx_fifo_bytes_ -= size;
      frames::give(std::move(rx_fifo_.front()));  // (emptied by a delivery: its bytes went on to a host write)
      rx_fifo_.pop_front();
      continue;
    }
    rx_fifo_bytes_ -= f.size();
    frames::give(std::move(f));
    rx_fifo_.pop_front();
  }
}

// §7.1.6: advanced one-buffer descriptors. The frame may span several descriptors (no EOP on all but the
// last). The data and then the write-back go up as posted writes; the frame becomes visible (DD) when the
// write-back lands, see apply_host_writes(). On success the frame's bytes move into the pending write.
Ixgbe82599::Deliver Ixgbe82599::deliver(uint32_t q, Bytes& frame) {
  const uint32_t srrctl = r(SRRCTL.at(q)), rdlen = r(RDLEN.at(q)), n = rdlen / 16;
  if (const dp::RxQueueState s = dp::rx_queue_state(srrctl, rdlen, r(RDH.at(q)), r(RDT.at(q)));
      s != dp::RxQueueState::kOk) [[unlikely]]
    return rx_bad_queue(q, s);
  const uint32_t bsize = dp::rx_buffer_bytes(srrctl);
  const bool strip = r(HLREG0.at()) & hlreg0::kRxCrcStrip.mask();
  const uint32_t total = dp::rx_bytes(frame.size(), strip), need = dp::rx_descriptors(total, bsize);
  RxQueue& g = rxq_[q];
  if (g.cache.size() < need) {
    while (fetch(Ring::kRx, q)) {
    }
    return Deliver::kNoDescriptor;
  }
  // The IOMMU checks every buffer before anything is written (a fault drops the frame, nothing written back).
  HostWrite w;
  if (need > HostWrite::kInlineBufs) w.buf_more.resize(need - HostWrite::kInlineBufs);
  for (uint32_t i = 0; i < need; ++i) {
    w.buf(i) = g.cache[i][0];  // read format: pkt_addr
    if (!iommu_.translate(w.buf(i), dp::rx_chunk(total, bsize, i))) {
      ++counters_.dma_faults;
      report("dma.iommu-fault", "rx queue " + std::to_string(q) + " descriptor " + std::to_string((g.head + i) % n));
      return Deliver::kDropped;
    }
  }
  if (!strip) dp::append_fcs(frame);
  w.rx = true;
  w.q = static_cast<uint8_t>(q);
  w.gen = g.gen;
  w.ring_base = ring_base(Ring::kRx, q);
  w.ring_n = n;
  w.first = g.head;
  w.ndesc = need;
  w.bsize = bsize;
  w.frame = std::move(frame);
  for (uint32_t i = 0; i < need; ++i) g.cache.pop_front();
  g.head = (g.head + need) % n;
  r(RDH.at(q)) = g.head;
  ++r(QPRC.at(q));
  add64(QBRC_L.at(q), total);
  pcie_.write(now_ps(), total);  // the data, ahead of its write-back on the same pipe
  g.wb_pending += need;
  g.held.push_back(std::move(w));
  const uint32_t wthresh = txdctl::kWritebackThresh.get(r(RXDCTL.at(q)));
  if (wthresh == 0 || g.wb_pending >= wthresh) {
    rx_writeback(q);
  } else if (!g.flush_armed) {
    g.flush_armed = true;
    world_.schedule(world_.now() + world_.params().wb_flush_ns, this, kRxFlush, arg(q, g.gen));
  }
  while (fetch(Ring::kRx, q)) {
  }
  return Deliver::kDone;
}

// The queue's registers do not allow receiving: say why (per frame, in both engines).
Ixgbe82599::Deliver Ixgbe82599::rx_bad_queue(uint32_t q, dp::RxQueueState state) {
  if (state == dp::RxQueueState::kUnsupportedDescType)
    report("srrctl.unsupported-desctype", "queue " + std::to_string(q) + ": only advanced one-buffer is modelled");
  else
    report("rx.bad-queue-state", "queue " + std::to_string(q) + ": BSIZEPACKET/RDLEN/RDH/RDT invalid");
  return Deliver::kDropped;
}

}  // namespace sim
