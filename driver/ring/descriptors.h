// Descriptor layouts: the advanced receive and transmit descriptors shared by the 82599 (§7.1.6, §7.2.3.2.4)
// and the 82576, and the 82574's extended receive / legacy transmit descriptors. Each is 16 bytes; the device
// reads the "read" format and overwrites it with the "write-back" format. The rings (ring.h) see them only
// through a format policy each.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nic {

// Receive descriptor, advanced one-buffer (SRRCTL.DESCTYPE = 001b), §7.1.6.1 / §7.1.6.2.
union AdvRxDesc {
  struct {
    uint64_t pkt_addr;  // IOVA of the packet buffer
    uint64_t hdr_addr;  // IOVA of the header buffer (unused: 0); bit 0 doubles as DD in write-back
  } read;
  struct {
    uint32_t pkt_info;      // packet type, RSS type
    uint32_t rss_or_csum;   // RSS hash or fragment checksum / IP id
    uint32_t status_error;  // STATUS (19:0) and ERRORS (31:20)
    uint16_t length;        // PKT_LEN: bytes written to the buffer
    uint16_t vlan;
  } wb;
};
static_assert(sizeof(AdvRxDesc) == 16);
static_assert(offsetof(AdvRxDesc, wb.status_error) == 8 && offsetof(AdvRxDesc, wb.length) == 12 &&
              offsetof(AdvRxDesc, wb.vlan) == 14);

namespace rxd {
inline constexpr uint32_t kStatusDD = 1u << 0;   // descriptor done
inline constexpr uint32_t kStatusEOP = 1u << 1;  // end of packet
// Error bits in the upper byte of status_error (§7.1.6.2): RXE (MAC error, e.g. CRC), IPE, L4E.
inline constexpr uint32_t kErrorRxe = 1u << 29;
inline constexpr uint32_t kErrorIpe = 1u << 30;
inline constexpr uint32_t kErrorL4e = 1u << 31;
}  // namespace rxd

// Transmit data descriptor, advanced (DTYP = 0011b), §7.2.3.2.4.
union AdvTxDesc {
  struct {
    uint64_t buffer_addr;
    uint32_t cmd_type_len;   // DTALEN (15:0), DTYP (23:20), DCMD (31:24)
    uint32_t olinfo_status;  // PAYLEN (31:14), ...
  } read;
  struct {
    uint64_t rsvd;
    uint32_t nxtseq_seed;
    uint32_t status;  // STA: DD is bit 0
  } wb;
};
static_assert(sizeof(AdvTxDesc) == 16);
static_assert(offsetof(AdvTxDesc, read.cmd_type_len) == 8 && offsetof(AdvTxDesc, read.olinfo_status) == 12 &&
              offsetof(AdvTxDesc, wb.status) == 12);

// Transmit context descriptor, advanced (DTYP = 0010b), §7.2.3.2.3: offload parameters, kept by the queue in
// one of two slots (IDX) for the frames whose data descriptors name that slot.
struct AdvTxContextDesc {
  uint32_t vlan_macip_lens;  // IPLEN (8:0), MACLEN (15:9), VLAN (31:16)
  uint32_t seqnum_seed;
  uint32_t type_tucmd_mlhl;  // TUCMD (19:9): IPV4 (10), L4T (12:11); DTYP (23:20), DEXT (29)
  uint32_t mss_l4len_idx;    // IDX (6:4), L4LEN (15:8), MSS (31:16)
};
static_assert(sizeof(AdvTxContextDesc) == 16 && offsetof(AdvTxContextDesc, type_tucmd_mlhl) == 8 &&
              offsetof(AdvTxContextDesc, mss_l4len_idx) == 12);

namespace txctx {
inline constexpr uint32_t kIpLenMask = 0x1FF, kMacLenShift = 9, kMacLenMask = 0x7F;
inline constexpr uint32_t kTucmdIpv4 = 1u << 10;
inline constexpr uint32_t kL4tShift = 11, kL4tMask = 0x3, kL4tUdp = 0, kL4tTcp = 1, kL4tSctp = 2;
inline constexpr uint32_t kIdxShift = 4;  // in mss_l4len_idx, and in a data descriptor's olinfo_status
inline constexpr uint32_t kSlots = 2;     // the 82599 keeps two contexts per queue
}  // namespace txctx

namespace txd {
inline constexpr uint32_t kLenMask = 0xFFFF;
inline constexpr uint32_t kDtypShift = 20, kDtypMask = 0xFu << kDtypShift;  // DTYP (23:20), §7.2.3.2.3-4
inline constexpr uint32_t kDtypContext = 0x2, kDtypData = 0x3;
inline constexpr uint32_t kTypeData = kDtypData << kDtypShift;  // DTYP = advanced data
constexpr uint32_t dtyp(uint32_t cmd_type_len) { return (cmd_type_len & kDtypMask) >> kDtypShift; }
inline constexpr uint32_t kCmdEop = 1u << 24;
inline constexpr uint32_t kCmdIfcs = 1u << 25;  // insert FCS
inline constexpr uint32_t kCmdRs = 1u << 27;    // report status
inline constexpr uint32_t kCmdDext = 1u << 29;  // extended (advanced) descriptor
inline constexpr uint32_t kCmdVle = 1u << 30;  // insert the context's VLAN tag
inline constexpr uint32_t kCmdTse = 1u << 31;  // TCP segmentation
inline constexpr uint32_t kPaylenShift = 14;
// olinfo_status POPTS (13:8), read from a frame's first data descriptor: insert the IPv4 header checksum (IXSM)
// and the TCP/UDP checksum (TXSM), where the context the descriptor's IDX names says the headers are.
inline constexpr uint32_t kPoptsIxsm = 1u << 8, kPoptsTxsm = 1u << 9;
inline constexpr uint32_t kPoptsChecksums = kPoptsIxsm | kPoptsTxsm;
inline constexpr uint32_t kStatusDD = 1u << 0;
}  // namespace txd

// --- 82574 (e1000e) formats: the driver uses the extended receive descriptor and the legacy transmit
// descriptor (82574 datasheet, receive/transmit descriptor chapters; layouts and bits as in Linux e1000e hw.h
// and QEMU's e1000e model).

// Receive descriptor, extended (RFCTL.EXSTEN = 1, RCTL.DTYP = 00b). Write-back puts STATUS/ERRORS
// and the length where the advanced write-back has them (bytes 8..13), with different error bits.
union ExtRxDesc {
  struct {
    uint64_t buffer_addr;  // IOVA of the packet buffer
    uint64_t reserved;     // written 0: its low bit is DD in write-back
  } read;
  struct {
    uint32_t mrq;           // RSS type / queue
    uint32_t rss_or_csum;   // RSS hash, or IP id (15:0) and packet checksum (31:16)
    uint32_t status_error;  // STATUS (19:0) and extended ERRORS (31:20)
    uint16_t length;        // bytes written to the buffer
    uint16_t vlan;
  } wb;
};
static_assert(sizeof(ExtRxDesc) == 16);
static_assert(offsetof(ExtRxDesc, read.reserved) == 8 && offsetof(ExtRxDesc, wb.status_error) == 8 &&
              offsetof(ExtRxDesc, wb.length) == 12 && offsetof(ExtRxDesc, wb.vlan) == 14);

namespace erxd {
inline constexpr uint32_t kStatusDD = 1u << 0;
inline constexpr uint32_t kStatusEOP = 1u << 1;
inline constexpr uint32_t kErrorCe = 1u << 24;    // CRC / alignment error
inline constexpr uint32_t kErrorTcpe = 1u << 29;  // TCP/UDP checksum error
inline constexpr uint32_t kErrorIpe = 1u << 30;   // IP checksum error
inline constexpr uint32_t kErrorRxe = 1u << 31;   // RX data error
}  // namespace erxd

// Transmit descriptor, legacy (CMD.DEXT = 0). The device writes STA in place (no separate
// write-back layout): DD in bit 0 of the last dword, as in the advanced write-back.
struct LegacyTxDesc {
  uint64_t buffer_addr;
  uint32_t cmd_len;  // LENGTH (15:0), CSO (23:16), CMD (31:24)
  uint32_t status;   // STA (3:0), CSS (15:8), SPECIAL (31:16)
};
static_assert(sizeof(LegacyTxDesc) == 16);
static_assert(offsetof(LegacyTxDesc, cmd_len) == 8 && offsetof(LegacyTxDesc, status) == 12);

namespace ltxd {
inline constexpr uint32_t kLenMask = 0xFFFF;
inline constexpr uint32_t kCmdEop = 1u << 24;
inline constexpr uint32_t kCmdIfcs = 1u << 25;
inline constexpr uint32_t kCmdRs = 1u << 27;
inline constexpr uint32_t kCmdDext = 1u << 29;  // must stay 0: 1 selects the extended (context/data) formats
inline constexpr uint32_t kStatusDD = 1u << 0;
}  // namespace ltxd

// Ring geometry shared by the families: 16-byte descriptors, ring length a multiple of 128 bytes
// (8 descriptors), at most 8K descriptors (82599 §8.2.3.8.3, §8.2.3.9.7). This driver also wants a power of
// two so indices wrap with a mask.
inline constexpr uint32_t kMinRingSize = 8;
inline constexpr uint32_t kMaxRingSize = 8192;
constexpr bool valid_ring_size(uint32_t n) {
  return n >= kMinRingSize && n <= kMaxRingSize && (n & (n - 1)) == 0;
}
static_assert(valid_ring_size(512) && !valid_ring_size(0) && !valid_ring_size(100) && !valid_ring_size(16384));

}  // namespace nic
