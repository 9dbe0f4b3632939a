// Intel 82576 (igb) register map: what this driver uses.
//
// Offsets and bits are the ones the Linux igb driver's register headers and QEMU's igb model use (both
// follow the 82576 datasheet); `section` names that source where no datasheet section number is at hand.
// Receive/transmit queue registers live at 0x0C000/0x0E000 + 0x40 n (the 82599 has them at 0x01000/0x06000);
// the advanced descriptor formats are the 82599's (driver/ring/descriptors.h).
#pragma once

#include <cstdint>

#include "driver/e1000/common.h"
#include "driver/regmap/reg.h"

namespace nic::igb {

using reg::Access;
using reg::bit;
using reg::Field;
using reg::RegDef;

// Shared with the rest of the e1000 lineage (driver/e1000/common.h).
using namespace e1000;  // CTRL, STATUS, MDIC, RCTL, TCTL, RAL/RAH, statistics, and their fields

inline constexpr uint32_t kMaxQueues = 8;
inline constexpr uint32_t kQ = 0x40;
inline constexpr const char* kSrc = "82576 (igb e1000_regs.h)";

// General
// MDI control: PHY register access (§ "MDIC" in the 82576 datasheet; used for auto-negotiation).
// IEEE 802.3 clause 22 PHY registers reached through MDIC.

// Interrupts
inline constexpr RegDef EICS{.name = "EICS", .base = 0x01520, .access = Access::kWO, .section = kSrc};
inline constexpr RegDef EIMS{.name = "EIMS", .base = 0x01524, .section = kSrc};
inline constexpr RegDef EIMC{.name = "EIMC", .base = 0x01528, .access = Access::kWO, .section = kSrc};
inline constexpr RegDef EICR{.name = "EICR", .base = 0x01580, .access = Access::kRW1C, .section = kSrc};
inline constexpr RegDef GPIE{.name = "GPIE", .base = 0x01514, .section = kSrc};
inline constexpr RegDef EIAC{.name = "EIAC", .base = 0x0152C, .section = kSrc};
inline constexpr RegDef EIAM{.name = "EIAM", .base = 0x01530, .section = kSrc};
inline constexpr RegDef EITR{.name = "EITR", .base = 0x01680, .count = 25, .section = kSrc};
// IVAR0[n], n = 0..7 (QEMU hw/net/igb_regs.h igb_ivar_entry_rx/tx): byte 0 = rx queue n, byte 1 = tx queue n,
// byte 2 = rx queue n + 8, byte 3 = tx queue n + 8.
inline constexpr RegDef IVAR0{.name = "IVAR0", .base = 0x01700, .count = 8, .section = kSrc};
inline constexpr RegDef IVAR_MISC{.name = "IVAR_MISC", .base = 0x01740, .section = kSrc};
namespace gpie {
inline constexpr Field kMsixMode = bit(4);     // Multiple_MSIX
inline constexpr Field kEiame = bit(30);       // EIAM auto-masks on the MSI-X message
inline constexpr Field kPbaSupport = bit(31);  // PBA_support
}  // namespace gpie
namespace ivar {
inline constexpr Field kVector = Field{0, 5};  // within one byte entry: the MSI-X vector (0..24)
inline constexpr Field kValid = bit(7);
inline constexpr uint32_t rx_index(uint32_t q) { return q % 8; }
inline constexpr uint32_t rx_shift(uint32_t q) { return q < 8 ? 0 : 16; }
}  // namespace ivar
namespace eitr {
inline constexpr Field kInterval = Field{2, 13};  // bits 14:2, 1 us units
inline constexpr Field kCounterIgnore = bit(31);  // CNT_IGNR: the write leaves the running counter alone
}  // namespace eitr

// Receive
inline constexpr RegDef RDBAL{.name = "RDBAL", .base = 0x0C000, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDBAH{.name = "RDBAH", .base = 0x0C004, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDLEN{.name = "RDLEN", .base = 0x0C008, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef SRRCTL{.name = "SRRCTL", .base = 0x0C00C, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDH{.name = "RDH", .base = 0x0C010, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDT{.name = "RDT", .base = 0x0C018, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RXDCTL{.name = "RXDCTL", .base = 0x0C028, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RQDPC{.name = "RQDPC", .base = 0x0C030, .count = kMaxQueues, .stride = kQ, .access = Access::kRC, .section = kSrc};
namespace srrctl {
inline constexpr Field kBsizePacket = Field{0, 7};  // 1 KB units
inline constexpr Field kDescType = Field{25, 3};
inline constexpr uint32_t kDescTypeAdvOneBuf = 1;
inline constexpr Field kDropEnable = bit(31);  // bit 31 here (bit 28 on the 82599)
}  // namespace srrctl
namespace xdctl {  // RXDCTL and TXDCTL share this layout on the 82576
inline constexpr Field kPrefetchThresh = Field{0, 5};
inline constexpr Field kHostThresh = Field{8, 5};
inline constexpr Field kWritebackThresh = Field{16, 5};
inline constexpr Field kEnable = bit(25);
}  // namespace xdctl

// Transmit
inline constexpr RegDef TDBAL{.name = "TDBAL", .base = 0x0E000, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDBAH{.name = "TDBAH", .base = 0x0E004, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDLEN{.name = "TDLEN", .base = 0x0E008, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDH{.name = "TDH", .base = 0x0E010, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDT{.name = "TDT", .base = 0x0E018, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TXDCTL{.name = "TXDCTL", .base = 0x0E028, .count = kMaxQueues, .stride = kQ, .section = kSrc};

// Address filter

// Statistics (clear on read; the 64-bit octet counters are read low half first)

// Receive-side scaling (same offsets as the 82599; MRQC's mode field differs: 010b = RSS).
inline constexpr RegDef RXCSUM{.name = "RXCSUM", .base = 0x05000, .section = kSrc};
namespace rxcsum {
inline constexpr Field kPacketChecksumDisable = bit(13);  // PCSD: RSS hash in the write-back (needed for RSS)
}
inline constexpr RegDef MRQC{.name = "MRQC", .base = 0x05818, .section = kSrc};
namespace mrqc {
inline constexpr Field kMode = Field{0, 3};
inline constexpr uint32_t kModeRss = 2;  // E1000_MRQC_ENABLE_RSS_MQ
inline constexpr Field kTcpIpv4 = bit(16);
inline constexpr Field kIpv4 = bit(17);
inline constexpr Field kUdpIpv4 = bit(22);
}  // namespace mrqc
inline constexpr RegDef RETA{.name = "RETA", .base = 0x05C00, .count = 32, .section = kSrc};
inline constexpr RegDef RSSRK{.name = "RSSRK", .base = 0x05C80, .count = 10, .section = kSrc};

inline constexpr RegDef kMap[] = {
    CTRL, STATUS, EECD, CTRL_EXT, MDIC, ICR, IMS, IMC, EICS, EIMS, EIMC, EICR,
    GPIE, EIAC, EIAM, EITR, IVAR0, IVAR_MISC,
    RCTL, RDBAL, RDBAH, RDLEN, SRRCTL, RDH, RDT, RXDCTL, RQDPC,
    TCTL, TDBAL, TDBAH, TDLEN, TDH, TDT, TXDCTL,
    MTA, RAL, RAH,
    CRCERRS, MPC, GPRC, GPTC, GORCL, GORCH, GOTCL, GOTCH, RNBC,
    RXCSUM, MRQC, RETA, RSSRK,
};
static_assert(reg::check_map(kMap), "82576 register map: misaligned or overlapping registers");
static_assert(srrctl::kDropEnable.mask() == 0x80000000 && srrctl::kDescType.mask() == 0x0E000000);
static_assert(rctl::kStripCrc.mask() == 0x04000000 && rctl::kBroadcastAccept.mask() == 0x8000);
static_assert(rctl::kLoopbackMode.make(rctl::kLoopbackMac) == 0x40);
static_assert(mdic::kReady.mask() == 0x10000000 && mdic::kOp.make(mdic::kOpRead) == 0x08000000);
static_assert(xdctl::kEnable.mask() == 0x02000000);
static_assert(gpie::kMsixMode.mask() == 0x10 && eitr::kInterval.mask() == 0x7FFC && EITR.at(24) == 0x016E0);

}  // namespace nic::igb
