// A simulated 82599 port programmed register by register (no driver), so timing tests control every
// threshold and know exactly when each doorbell is rung. Virtual time only.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "sim/sim_backend.h"
#include "sim/world.h"

namespace timing {

using namespace nic::ixgbe;

struct PortSetup {
  uint32_t rx_n = 64, tx_n = 64;
  bool drop_en = true;
  uint32_t rxdctl_thresh = 0;  // PTHRESH | HTHRESH << 8 | WTHRESH << 16
  uint32_t txdctl_thresh = 0;
  uint32_t rxpb_kb = 512, txpb_kb = 160;
};

struct Port {
  sim::World world;
  sim::SimNic nic{world};
  sim::Ixgbe82599& dev = nic.device();
  sim::Sink sink;
  std::vector<uint64_t> arrivals;  // sink arrival times (ns)
  nic::DmaRegion rx_ring{}, tx_ring{}, bufs{};
  nic::AdvRxDesc* rxd = nullptr;
  nic::AdvTxDesc* txd = nullptr;
  PortSetup s;
  uint32_t tx_tail = 0;

  uint32_t rd(uint32_t off) { return dev.read32(off); }
  void wr(uint32_t off, uint32_t v) { dev.write32(off, v); }

  explicit Port(PortSetup setup = {}) : s(setup) {
    sink.keep = false;
    sink.on_frame = [this](const sim::Bytes&, uint64_t t) { arrivals.push_back(t); };
    dev.connect(&sink);
    wr(AUTOC.at(), AUTOC.reset | autoc::kAnRestart.mask());
    world.advance(world.params().link_up_ns);
    bufs = nic.dma_alloc(static_cast<size_t>(s.rx_n + s.tx_n) * 2048, 4096);
    // rx (§4.6.7)
    rx_ring = nic.dma_alloc(s.rx_n * 16, 4096);
    rxd = static_cast<nic::AdvRxDesc*>(rx_ring.virt);
    for (uint32_t i = 0; i < s.rx_n; ++i) rxd[i].read = {rx_buf_iova(i), 0};
    wr(RXPBSIZE.at(0), pbsize::kSizeKb.make(s.rxpb_kb));
    wr(HLREG0.at(), rd(HLREG0.at()) | hlreg0::kRxCrcStrip.mask() | hlreg0::kTxCrcEnable.mask() |
                        hlreg0::kTxPadEnable.mask());
    wr(RDRXCTL.at(), rd(RDRXCTL.at()) | rdrxctl::kCrcStrip.mask());
    wr(FCTRL.at(), fctrl::kUnicastPromisc.mask() | fctrl::kMulticastPromisc.mask() | fctrl::kBroadcastAccept.mask());
    wr(RDBAL.at(0), static_cast<uint32_t>(rx_ring.iova));
    wr(RDBAH.at(0), static_cast<uint32_t>(rx_ring.iova >> 32));
    wr(RDLEN.at(0), s.rx_n * 16);
    wr(SRRCTL.at(0), srrctl::kDescType.make(1) | srrctl::kBsizePacket.make(2) |
                         (s.drop_en ? srrctl::kDropEnable.mask() : 0));
    wr(RXDCTL.at(0), rxdctl::kEnable.mask() | s.rxdctl_thresh);
    // tx (§4.6.8)
    wr(TXPBSIZE.at(0), pbsize::kSizeKb.make(s.txpb_kb));
    tx_ring = nic.dma_alloc(s.tx_n * 16, 4096);
    txd = static_cast<nic::AdvTxDesc*>(tx_ring.virt);
    wr(TDBAL.at(0), static_cast<uint32_t>(tx_ring.iova));
    wr(TDBAH.at(0), static_cast<uint32_t>(tx_ring.iova >> 32));
    wr(TDLEN.at(0), s.tx_n * 16);
    wr(DMATXCTL.at(), dmatxctl::kTxEnable.mask());
    wr(TXDCTL.at(0), txdctl::kEnable.mask() | s.txdctl_thresh);
    world.advance(world.params().queue_enable_ns);
    wr(RDH.at(0), 0);
    wr(TDH.at(0), 0);
    wr(TDT.at(0), 0);
    wr(RXCTRL.at(), rxctrl::kRxEnable.mask());
  }
  ~Port() {
    nic.dma_free(rx_ring);
    nic.dma_free(tx_ring);
    nic.dma_free(bufs);
  }

  uint64_t rx_buf_iova(uint32_t i) const { return bufs.iova + static_cast<uint64_t>(i) * 2048; }
  uint64_t tx_buf_iova(uint32_t i) const { return bufs.iova + static_cast<uint64_t>(s.rx_n + i) * 2048; }
  uint8_t* tx_buf(uint32_t i) { return static_cast<uint8_t*>(bufs.virt) + static_cast<size_t>(s.rx_n + i) * 2048; }
  bool rx_done(uint32_t i) const {
    return __atomic_load_n(&rxd[i].wb.status_error, __ATOMIC_ACQUIRE) & nic::rxd::kStatusDD;
  }
  bool tx_done(uint32_t i) const { return __atomic_load_n(&txd[i].wb.status, __ATOMIC_ACQUIRE) & nic::txd::kStatusDD; }

  // Queues `count` frames of `len` bytes on the tx ring (RS on every `rs_every`-th and the last) and rings
  // the doorbell once.
  void send(uint32_t count, uint32_t len, uint32_t rs_every = 1) {
    for (uint32_t k = 0; k < count; ++k) {
      const uint32_t i = tx_tail;
      uint8_t* b = tx_buf(i);
      std::memset(b, 0, len);
      std::memcpy(b, "\x02\x53\x49\x4d\x00\x00", 6);
      b[12] = 0x88;
      b[13] = 0xB5;
      std::memcpy(b + 14, &k, 4);
      const bool rs = (k + 1) % rs_every == 0 || k + 1 == count;
      txd[i].read.buffer_addr = tx_buf_iova(i);
      txd[i].read.cmd_type_len = nic::txd::kCmdEop | nic::txd::kCmdIfcs | nic::txd::kCmdDext | nic::txd::kTypeData |
                                 (rs ? nic::txd::kCmdRs : 0) | len;
      txd[i].read.olinfo_status = len << nic::txd::kPaylenShift;
      tx_tail = (tx_tail + 1) % s.tx_n;
    }
    wr(TDT.at(0), tx_tail);
  }

  // A 60..1514-byte frame for this port, injected so that it has fully arrived at time t.
  void inject(uint32_t len, uint64_t t, uint32_t seq = 0) {
    sim::Bytes f(len, 0);
    std::memcpy(f.data(), "\x02\x53\x49\x4d\x00\x00", 6);
    std::memcpy(f.data() + 14, &seq, 4);
    world.inject(&dev, std::move(f), t);
  }
  // Runs until `pred` holds (checked every ns); returns the time, or UINT64_MAX after `limit_ns`.
  template <class Pred>
  uint64_t run_until_true(Pred pred, uint64_t limit_ns) {
    const uint64_t end = world.now() + limit_ns;
    while (!pred()) {
      if (world.now() >= end) return UINT64_MAX;
      world.advance(1);
    }
    return world.now();
  }
};

}  // namespace timing
