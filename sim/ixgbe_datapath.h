// The 82599's data-path rules, written once for both engines: pure functions of register values and
// descriptor words, used by the timed model (ixgbe_rx.cc, ixgbe_tx.cc, ixgbe_desc.cc) and the functional one
// (ixgbe_functional.cc). Each engine decides when things happen; what happens to a frame is decided here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "sim/crc32.h"
#include "sim/params.h"
#include "sim/world.h"

namespace sim::dp {

// --- Receive (§7.1.6, §8.2.3.8)

enum class RxQueueState { kOk, kUnsupportedDescType, kBad };
// May a queue with these registers receive? Advanced one-buffer descriptors (the only type modelled), a
// buffer size, a ring of whole 128-byte blocks, head and tail inside it.
inline RxQueueState rx_queue_state(uint32_t srrctl, uint32_t rdlen, uint32_t head, uint32_t tail) {
  using namespace nic::ixgbe;
  if (srrctl::kDescType.get(srrctl) != srrctl::kDescTypeAdvOneBuf) return RxQueueState::kUnsupportedDescType;
  const uint32_t n = rdlen / 16;
  if (srrctl::kBsizePacket.get(srrctl) == 0 || rdlen == 0 || rdlen % 128 != 0 || head >= n || tail >= n)
    return RxQueueState::kBad;
  return RxQueueState::kOk;
}
// SRRCTL.BSIZEPACKET counts 1 KB units.
inline uint32_t rx_buffer_bytes(uint32_t srrctl) { return nic::ixgbe::srrctl::kBsizePacket.get(srrctl) * 1024; }
// Bytes a frame takes in host buffers: its CRC stays unless HLREG0.RXCRCSTRP strips it (RDRXCTL.CRCSTRIP must
// agree, §8.2.3.8.8; strict mode checks that, the device follows HLREG0).
inline uint32_t rx_bytes(size_t frame_len, bool strip_crc) { return static_cast<uint32_t>(frame_len) + (strip_crc ? 0 : 4); }
// Descriptors a frame of `bytes` takes: one buffer each (§7.1.6.2).
inline uint32_t rx_descriptors(uint32_t bytes, uint32_t bsize) { return (bytes + bsize - 1) / bsize; }
// What descriptor i of the frame gets: a full buffer, the last one the rest.
inline uint32_t rx_chunk(uint32_t bytes, uint32_t bsize, uint32_t i) { return std::min(bsize, bytes - i * bsize); }
// Its write-back STATUS (§7.1.6.2): DD on every descriptor, EOP on the frame's last only.
inline uint32_t rx_status(uint32_t i, uint32_t ndesc) {
  return nic::rxd::kStatusDD | (i + 1 == ndesc ? nic::rxd::kStatusEOP : 0u);
}
// The FCS as the MAC keeps it: appended least significant byte first.
inline void append_fcs(Bytes& frame) {
  const uint32_t fcs = crc32(frame.data(), frame.size());
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<uint8_t>(fcs >> (8 * i)));
}

// --- Transmit (§7.2.3.2)

// One descriptor of a frame, as the engines read it (§7.2.3.2.3 context, §7.2.3.2.4 data).
struct TxDesc {
  bool supported;  // advanced (DEXT) data or context descriptor: the only kinds modelled
  bool context;    // a context descriptor: offload parameters for a slot (tx_context()), no data
  bool eop, rs;
  uint32_t len;    // DTALEN: data bytes in this descriptor's buffer
};
inline TxDesc parse_tx(uint32_t cmd_type_len) {
  using namespace nic::txd;
  const uint32_t type = dtyp(cmd_type_len);
  return {.supported = (cmd_type_len & kCmdDext) && (type == kDtypData || type == kDtypContext),
          .context = type == kDtypContext,
          .eop = (cmd_type_len & kCmdEop) != 0,
          .rs = (cmd_type_len & kCmdRs) != 0,
          .len = cmd_type_len & kLenMask};
}
// Checksum offload without segmentation (§7.2.5). A context descriptor fills the queue's slot IDX; the frame's
// first data descriptor names a slot (IDX) and asks, in POPTS, for the IPv4 header checksum (IXSM: over IPLEN
// bytes from MACLEN, its field computed as zero) and the L4 checksum (TXSM: over everything from MACLEN + IPLEN
// to the frame's end, the field seeded by software with the pseudo-header sum; UDP's field at +6, TCP's at +16;
// a UDP sum of 0 goes out as 0xFFFF).
struct TxContext {
  uint32_t macip_lens = 0, tucmd = 0;  // VLAN_MACIP_LENS, TYPE_TUCMD_MLHL
};
inline TxContext parse_tx_context(const nic::AdvTxContextDesc& c) { return {c.vlan_macip_lens, c.type_tucmd_mlhl}; }
inline uint32_t tx_context_slot(uint32_t idx_word) { return (idx_word >> nic::txctx::kIdxShift) % nic::txctx::kSlots; }
inline uint32_t ones_sum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i]) << 8 | p[i + 1];
  if (n % 2) s += static_cast<uint32_t>(p[n - 1]) << 8;
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return s;
}
inline void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
enum class OffloadResult { kDone, kOutsideFrame, kUnsupportedL4 };
inline OffloadResult tx_checksums(std::span<uint8_t> f, const TxContext& c, uint32_t popts) {
  using namespace nic::txctx;
  const size_t mac = (c.macip_lens >> kMacLenShift) & kMacLenMask, ip = c.macip_lens & kIpLenMask, l4 = mac + ip;
  const uint32_t l4t = (c.tucmd >> kL4tShift) & kL4tMask;
  const size_t field = l4t == kL4tUdp ? 6 : l4t == kL4tTcp ? 16 : 0;
  if ((popts & nic::txd::kPoptsTxsm) && field == 0) return OffloadResult::kUnsupportedL4;  // SCTP's CRC-32c
  if ((popts & nic::txd::kPoptsIxsm) && (ip < 20 || l4 > f.size())) return OffloadResult::kOutsideFrame;
  if ((popts & nic::txd::kPoptsTxsm) && l4 + field + 2 > f.size()) return OffloadResult::kOutsideFrame;
  if (popts & nic::txd::kPoptsIxsm) {
    put_be16(&f[mac + 10], 0);
    put_be16(&f[mac + 10], static_cast<uint16_t>(~ones_sum(&f[mac], ip)));
  }
  if (popts & nic::txd::kPoptsTxsm) {
    uint16_t sum = static_cast<uint16_t>(~ones_sum(&f[l4], f.size() - l4));
    if (l4t == kL4tUdp && sum == 0) sum = 0xFFFF;
    put_be16(&f[l4 + field], sum);
  }
  return OffloadResult::kDone;
}

// A frame shorter than the minimum is padded with zeros when HLREG0.TXPADEN says so.
inline bool tx_pads(uint32_t hlreg0, size_t len, const Params& p) {
  return (hlreg0 & nic::ixgbe::hlreg0::kTxPadEnable.mask()) && len < p.min_frame;
}

}  // namespace sim::dp
