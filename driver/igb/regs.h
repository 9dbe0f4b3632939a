// Intel 82576 (igb) register map: what this driver uses.
//
// Offsets and bits are the ones the Linux igb driver's register headers and QEMU's igb model use (both
// follow the 82576 datasheet); `section` names that source where no datasheet section number is at hand.
// Receive/transmit queue registers live at 0x0C000/0x0E000 + 0x40 n (the 82599 has them at 0x01000/0x06000);
// the advanced descriptor formats are the 82599's (driver/descriptors.h).
#pragma once

#include <cstdint>

#include "driver/reg.h"

namespace nic::igb {

using reg::Access;
using reg::bit;
using reg::Field;
using reg::RegDef;

inline constexpr uint32_t kMaxQueues = 8;
inline constexpr uint32_t kQ = 0x40;
inline constexpr const char* kSrc = "82576 (igb e1000_regs.h)";

// General
inline constexpr RegDef CTRL{.name = "CTRL", .base = 0x00000, .section = kSrc};
namespace ctrl {
inline constexpr Field kFullDuplex = bit(0);
inline constexpr Field kSetLinkUp = bit(6);  // SLU
inline constexpr Field kSpeed = Field{8, 2};
inline constexpr uint32_t kSpeed1000 = 2;
inline constexpr Field kForceSpeed = bit(11);   // FRCSPD
inline constexpr Field kForceDuplex = bit(12);  // FRCDPX
inline constexpr Field kReset = bit(26);        // RST, self-clearing
inline constexpr Field kPhyReset = bit(31);
}  // namespace ctrl
inline constexpr RegDef STATUS{.name = "STATUS", .base = 0x00008, .access = Access::kRO, .section = kSrc};
namespace status {
inline constexpr Field kFullDuplex = bit(0);
inline constexpr Field kLinkUp = bit(1);  // LU
inline constexpr Field kSpeed = Field{6, 2};  // 00 10, 01 100, 1x 1000 Mbit/s
}  // namespace status
inline constexpr RegDef EECD{.name = "EECD", .base = 0x00010, .section = kSrc};
namespace eecd {
inline constexpr Field kPresent = bit(8);
inline constexpr Field kAutoReadDone = bit(9);  // AUTO_RD
}  // namespace eecd
inline constexpr RegDef CTRL_EXT{.name = "CTRL_EXT", .base = 0x00018, .section = kSrc};
namespace ctrl_ext {
inline constexpr Field kDriverLoaded = bit(28);  // DRV_LOAD
}
// MDI control: PHY register access (§ "MDIC" in the 82576 datasheet; used for auto-negotiation).
inline constexpr RegDef MDIC{.name = "MDIC", .base = 0x00020, .section = kSrc};
namespace mdic {
inline constexpr Field kData = Field{0, 16};
inline constexpr Field kRegAddr = Field{16, 5};
inline constexpr Field kPhyAddr = Field{21, 5};
inline constexpr Field kOp = Field{26, 2};
inline constexpr uint32_t kOpWrite = 1, kOpRead = 2;
inline constexpr Field kReady = bit(28);
inline constexpr Field kError = bit(30);
inline constexpr uint32_t kInternalPhy = 1;  // the 82576's PHY answers at address 1
}  // namespace mdic
// IEEE 802.3 clause 22 PHY registers reached through MDIC.
namespace phy {
inline constexpr uint32_t kControl = 0;  // BMCR
inline constexpr uint32_t kStatus = 1;   // BMSR
inline constexpr uint16_t kControlRestartAn = 1u << 9;
inline constexpr uint16_t kControlAnEnable = 1u << 12;
inline constexpr uint16_t kStatusLinkUp = 1u << 2;
inline constexpr uint16_t kStatusAnComplete = 1u << 5;
}  // namespace phy

// Interrupts
inline constexpr RegDef ICR{.name = "ICR", .base = 0x000C0, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef IMS{.name = "IMS", .base = 0x000D0, .section = kSrc};
inline constexpr RegDef IMC{.name = "IMC", .base = 0x000D8, .access = Access::kWO, .section = kSrc};
inline constexpr RegDef EICS{.name = "EICS", .base = 0x01520, .access = Access::kWO, .section = kSrc};
inline constexpr RegDef EIMS{.name = "EIMS", .base = 0x01524, .section = kSrc};
inline constexpr RegDef EIMC{.name = "EIMC", .base = 0x01528, .access = Access::kWO, .section = kSrc};
inline constexpr RegDef EICR{.name = "EICR", .base = 0x01580, .access = Access::kRW1C, .section = kSrc};

// Receive
inline constexpr RegDef RCTL{.name = "RCTL", .base = 0x00100, .section = kSrc};
namespace rctl {
inline constexpr Field kEnable = bit(1);
inline constexpr Field kStoreBadPackets = bit(2);
inline constexpr Field kUnicastPromisc = bit(3);    // UPE
inline constexpr Field kMulticastPromisc = bit(4);  // MPE
inline constexpr Field kLoopbackMode = Field{6, 2};  // LBM: 01 = MAC loopback
inline constexpr uint32_t kLoopbackMac = 1;
inline constexpr Field kBroadcastAccept = bit(15);  // BAM
inline constexpr Field kBufferSize = Field{16, 2};  // 00 = 2048 B (SRRCTL overrides per queue)
inline constexpr Field kStripCrc = bit(26);         // SECRC
}  // namespace rctl
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
inline constexpr RegDef TCTL{.name = "TCTL", .base = 0x00400, .section = kSrc};
namespace tctl {
inline constexpr Field kEnable = bit(1);
inline constexpr Field kPadShortPackets = bit(3);  // PSP
inline constexpr Field kCollisionThreshold = Field{4, 8};
inline constexpr Field kCollisionDistance = Field{12, 10};
}  // namespace tctl
inline constexpr RegDef TDBAL{.name = "TDBAL", .base = 0x0E000, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDBAH{.name = "TDBAH", .base = 0x0E004, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDLEN{.name = "TDLEN", .base = 0x0E008, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDH{.name = "TDH", .base = 0x0E010, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDT{.name = "TDT", .base = 0x0E018, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TXDCTL{.name = "TXDCTL", .base = 0x0E028, .count = kMaxQueues, .stride = kQ, .section = kSrc};

// Address filter
inline constexpr RegDef MTA{.name = "MTA", .base = 0x05200, .count = 128, .section = kSrc};
inline constexpr RegDef RAL{.name = "RAL", .base = 0x05400, .count = 16, .stride = 8, .section = kSrc};
inline constexpr RegDef RAH{.name = "RAH", .base = 0x05404, .count = 16, .stride = 8, .section = kSrc};

// Statistics (clear on read; the 64-bit octet counters are read low half first)
inline constexpr RegDef CRCERRS{.name = "CRCERRS", .base = 0x04000, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef MPC{.name = "MPC", .base = 0x04010, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GPRC{.name = "GPRC", .base = 0x04074, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GPTC{.name = "GPTC", .base = 0x04080, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GORCL{.name = "GORCL", .base = 0x04088, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GORCH{.name = "GORCH", .base = 0x0408C, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GOTCL{.name = "GOTCL", .base = 0x04090, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GOTCH{.name = "GOTCH", .base = 0x04094, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef RNBC{.name = "RNBC", .base = 0x040A0, .access = Access::kRC, .section = kSrc};

inline constexpr RegDef kMap[] = {
    CTRL, STATUS, EECD, CTRL_EXT, MDIC, ICR, IMS, IMC, EICS, EIMS, EIMC, EICR,
    RCTL, RDBAL, RDBAH, RDLEN, SRRCTL, RDH, RDT, RXDCTL, RQDPC,
    TCTL, TDBAL, TDBAH, TDLEN, TDH, TDT, TXDCTL,
    MTA, RAL, RAH,
    CRCERRS, MPC, GPRC, GPTC, GORCL, GORCH, GOTCL, GOTCH, RNBC,
};
static_assert(reg::check_map(kMap), "82576 register map: misaligned or overlapping registers");
static_assert(srrctl::kDropEnable.mask() == 0x80000000 && srrctl::kDescType.mask() == 0x0E000000);
static_assert(rctl::kStripCrc.mask() == 0x04000000 && rctl::kBroadcastAccept.mask() == 0x8000);
static_assert(rctl::kLoopbackMode.make(rctl::kLoopbackMac) == 0x40);
static_assert(mdic::kReady.mask() == 0x10000000 && mdic::kOp.make(mdic::kOpRead) == 0x08000000);
static_assert(xdctl::kEnable.mask() == 0x02000000);

}  // namespace nic::igb
