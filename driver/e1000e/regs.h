// Intel 82574 (e1000e) register map: what this driver uses.
//
// Offsets and bits are the ones the Linux e1000e driver's register headers and QEMU's e1000e model use (both
// follow the 82574 datasheet); `section` names that source. Queue registers live at 0x02800 (rx) / 0x03800
// (tx) + 0x100 n, n < 2. Unlike the 82599/82576 there is no per-queue enable bit in RXDCTL/TXDCTL: receive
// runs on RCTL.EN, transmit on TCTL.EN and TARC(n).ENABLE. Descriptors: extended rx, legacy tx
// (driver/descriptors.h).
#pragma once

#include <cstdint>

#include "driver/reg.h"

namespace nic::e1000e {

using reg::Access;
using reg::bit;
using reg::Field;
using reg::RegDef;

inline constexpr uint32_t kMaxQueues = 2;
inline constexpr uint32_t kQ = 0x100;
inline constexpr const char* kSrc = "82574 (e1000e regs.h / hw.h)";

// General
inline constexpr RegDef CTRL{.name = "CTRL", .base = 0x00000, .section = kSrc};
namespace ctrl {
inline constexpr Field kFullDuplex = bit(0);
inline constexpr Field kGioMasterDisable = bit(2);
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
inline constexpr Field kLinkUp = bit(1);        // LU
inline constexpr Field kSpeed = Field{6, 2};    // 00 10, 01 100, 1x 1000 Mbit/s
inline constexpr Field kGioMasterEnable = bit(19);  // clears once CTRL.GIO_MASTER_DISABLE has taken effect
}  // namespace status
// NVM (EEPROM/flash) control and the word-read interface.
inline constexpr RegDef EECD{.name = "EECD", .base = 0x00010, .section = kSrc};
namespace eecd {
inline constexpr Field kPresent = bit(8);
inline constexpr Field kAutoReadDone = bit(9);  // AUTO_RD: the MAC address and init words are loaded
}  // namespace eecd
inline constexpr RegDef EERD{.name = "EERD", .base = 0x00014, .section = kSrc};
namespace eerd {
inline constexpr Field kStart = bit(0);
inline constexpr Field kDone = bit(1);
inline constexpr Field kAddr = Field{2, 14};  // word address (bit 2 on the 82571 family; bit 8 on the 8254x)
inline constexpr Field kData = Field{16, 16};
inline constexpr uint32_t kMacWord0 = 0;  // words 0..2: the port's MAC address, low byte first
}  // namespace eerd
inline constexpr RegDef CTRL_EXT{.name = "CTRL_EXT", .base = 0x00018, .section = kSrc};
namespace ctrl_ext {
inline constexpr Field kDriverLoaded = bit(28);  // DRV_LOAD
}
// MDI control: PHY register access (auto-negotiation). The 82574's PHY answers at address 1.
inline constexpr RegDef MDIC{.name = "MDIC", .base = 0x00020, .section = kSrc};
namespace mdic {
inline constexpr Field kData = Field{0, 16};
inline constexpr Field kRegAddr = Field{16, 5};
inline constexpr Field kPhyAddr = Field{21, 5};
inline constexpr Field kOp = Field{26, 2};
inline constexpr uint32_t kOpWrite = 1, kOpRead = 2;
inline constexpr Field kReady = bit(28);
inline constexpr Field kError = bit(30);
inline constexpr uint32_t kInternalPhy = 1;
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

// Interrupts (the driver polls: all masked)
inline constexpr RegDef ICR{.name = "ICR", .base = 0x000C0, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef IMS{.name = "IMS", .base = 0x000D0, .section = kSrc};
inline constexpr RegDef IMC{.name = "IMC", .base = 0x000D8, .access = Access::kWO, .section = kSrc};

// Receive
inline constexpr RegDef RCTL{.name = "RCTL", .base = 0x00100, .section = kSrc};
namespace rctl {
inline constexpr Field kEnable = bit(1);
inline constexpr Field kStoreBadPackets = bit(2);
inline constexpr Field kUnicastPromisc = bit(3);    // UPE
inline constexpr Field kMulticastPromisc = bit(4);  // MPE
inline constexpr Field kLongPackets = bit(5);       // LPE: off, so no frame exceeds 1522 bytes
inline constexpr Field kLoopbackMode = Field{6, 2};  // LBM: 01 = MAC loopback
inline constexpr uint32_t kLoopbackMac = 1;
inline constexpr Field kDescType = Field{10, 2};     // DTYP: 00 = legacy/extended (RFCTL.EXSTEN), 01 = split
inline constexpr Field kBroadcastAccept = bit(15);   // BAM
inline constexpr Field kBufferSize = Field{16, 2};   // BSIZE with BSEX = 0: 00 = 2048 bytes
inline constexpr Field kBufferSizeExtension = bit(25);  // BSEX
inline constexpr Field kStripCrc = bit(26);          // SECRC
}  // namespace rctl
inline constexpr RegDef RDBAL{.name = "RDBAL", .base = 0x02800, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDBAH{.name = "RDBAH", .base = 0x02804, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDLEN{.name = "RDLEN", .base = 0x02808, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDH{.name = "RDH", .base = 0x02810, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDT{.name = "RDT", .base = 0x02818, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RDTR{.name = "RDTR", .base = 0x02820, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef RXDCTL{.name = "RXDCTL", .base = 0x02828, .count = kMaxQueues, .stride = kQ, .section = kSrc};
namespace xdctl {  // RXDCTL and TXDCTL
inline constexpr Field kPrefetchThresh = Field{0, 6};
inline constexpr Field kHostThresh = Field{8, 6};
inline constexpr Field kWritebackThresh = Field{16, 6};
inline constexpr Field kCountDesc = bit(22);  // TXDCTL only: set, as the datasheet asks
inline constexpr Field kGranularity = bit(24);  // thresholds in descriptors (1) or cache lines (0)
}  // namespace xdctl
inline constexpr RegDef RXCSUM{.name = "RXCSUM", .base = 0x05000, .section = kSrc};
inline constexpr RegDef RFCTL{.name = "RFCTL", .base = 0x05008, .section = kSrc};
namespace rfctl {
inline constexpr Field kExtendedStatus = bit(15);  // EXSTEN: extended rx descriptors
}

// Transmit
inline constexpr RegDef TCTL{.name = "TCTL", .base = 0x00400, .section = kSrc};
namespace tctl {
inline constexpr Field kEnable = bit(1);
inline constexpr Field kPadShortPackets = bit(3);  // PSP
inline constexpr Field kCollisionThreshold = Field{4, 8};
inline constexpr Field kCollisionDistance = Field{12, 10};
inline constexpr Field kRetransmitLateCollision = bit(24);  // RTLC
}  // namespace tctl
inline constexpr RegDef TIPG{.name = "TIPG", .base = 0x00410, .section = kSrc};
namespace tipg {
inline constexpr Field kIpgt = Field{0, 10};
inline constexpr Field kIpgr1 = Field{10, 10};
inline constexpr Field kIpgr2 = Field{20, 10};
}  // namespace tipg
inline constexpr RegDef TDBAL{.name = "TDBAL", .base = 0x03800, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDBAH{.name = "TDBAH", .base = 0x03804, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDLEN{.name = "TDLEN", .base = 0x03808, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDH{.name = "TDH", .base = 0x03810, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TDT{.name = "TDT", .base = 0x03818, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TIDV{.name = "TIDV", .base = 0x03820, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TXDCTL{.name = "TXDCTL", .base = 0x03828, .count = kMaxQueues, .stride = kQ, .section = kSrc};
inline constexpr RegDef TARC{.name = "TARC", .base = 0x03840, .count = kMaxQueues, .stride = kQ, .section = kSrc};
namespace tarc {
inline constexpr Field kEnable = bit(10);  // the queue's transmit enable
}

// Address filter
inline constexpr RegDef MTA{.name = "MTA", .base = 0x05200, .count = 128, .section = kSrc};
inline constexpr RegDef RAL{.name = "RAL", .base = 0x05400, .count = 16, .stride = 8, .section = kSrc};
inline constexpr RegDef RAH{.name = "RAH", .base = 0x05404, .count = 16, .stride = 8, .section = kSrc};
namespace rah {
inline constexpr Field kAddressValid = bit(31);  // AV
}

// Statistics (clear on read; the 64-bit octet counters are read low half first, the high read clears both)
inline constexpr RegDef CRCERRS{.name = "CRCERRS", .base = 0x04000, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef MPC{.name = "MPC", .base = 0x04010, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GPRC{.name = "GPRC", .base = 0x04074, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GPTC{.name = "GPTC", .base = 0x04080, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GORCL{.name = "GORCL", .base = 0x04088, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GORCH{.name = "GORCH", .base = 0x0408C, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GOTCL{.name = "GOTCL", .base = 0x04090, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef GOTCH{.name = "GOTCH", .base = 0x04094, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef RNBC{.name = "RNBC", .base = 0x040A0, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef TPR{.name = "TPR", .base = 0x040D0, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef TPT{.name = "TPT", .base = 0x040D4, .access = Access::kRC, .section = kSrc};

inline constexpr RegDef kMap[] = {
    CTRL, STATUS, EECD, EERD, CTRL_EXT, MDIC, ICR, IMS, IMC,
    RCTL, RDBAL, RDBAH, RDLEN, RDH, RDT, RDTR, RXDCTL, RXCSUM, RFCTL,
    TCTL, TIPG, TDBAL, TDBAH, TDLEN, TDH, TDT, TIDV, TXDCTL, TARC,
    MTA, RAL, RAH,
    CRCERRS, MPC, GPRC, GPTC, GORCL, GORCH, GOTCL, GOTCH, RNBC, TPR, TPT,
};
static_assert(reg::check_map(kMap), "82574 register map: misaligned or overlapping registers");
static_assert(RDT.at(1) == 0x02918 && TDT.at(1) == 0x03918 && TARC.at(1) == 0x03940);
static_assert(rctl::kStripCrc.mask() == 0x04000000 && rctl::kBroadcastAccept.mask() == 0x8000);
static_assert(rctl::kLoopbackMode.make(rctl::kLoopbackMac) == 0x40 && rctl::kDescType.mask() == 0x0C00);
static_assert(rfctl::kExtendedStatus.mask() == 0x8000 && tarc::kEnable.mask() == 0x400);
static_assert(mdic::kReady.mask() == 0x10000000 && mdic::kOp.make(mdic::kOpRead) == 0x08000000);
static_assert(eerd::kDone.mask() == 0x2 && eerd::kAddr.make(1) == 0x4 && eerd::kData.make(0xFFFF) == 0xFFFF0000);
static_assert(xdctl::kCountDesc.mask() == 0x00400000 && xdctl::kGranularity.mask() == 0x01000000);
static_assert(status::kGioMasterEnable.mask() == 0x00080000 && ctrl::kGioMasterDisable.mask() == 0x4);

}  // namespace nic::e1000e
