// Intel 82574 (e1000e) register map: what this driver uses.
//
// Offsets and bits are the ones the Linux e1000e driver's register headers and QEMU's e1000e model use (both
// follow the 82574 datasheet); `section` names that source. Queue registers live at 0x02800 (rx) / 0x03800
// (tx) + 0x100 n, n < 2. Unlike the 82599/82576 there is no per-queue enable bit in RXDCTL/TXDCTL: receive
// runs on RCTL.EN, transmit on TCTL.EN and TARC(n).ENABLE. Descriptors: extended rx, legacy tx
// (driver/ring/descriptors.h).
#pragma once

#include <cstdint>

#include "driver/e1000/common.h"
#include "driver/regmap/reg.h"

namespace nic::e1000e {

using reg::Access;
using reg::bit;
using reg::Field;
using reg::RegDef;

// Shared with the rest of the e1000 lineage (driver/e1000/common.h).
using namespace e1000;  // CTRL, STATUS, MDIC, RCTL, TCTL, RAL/RAH, statistics, and their fields

inline constexpr uint32_t kMaxQueues = 2;
inline constexpr uint32_t kQ = 0x100;
inline constexpr const char* kSrc = "82574 (e1000e regs.h / hw.h)";

// General
// NVM (EEPROM/flash) control and the word-read interface.
inline constexpr RegDef EERD{.name = "EERD", .base = 0x00014, .section = kSrc};
namespace eerd {
inline constexpr Field kStart = bit(0);
inline constexpr Field kDone = bit(1);
inline constexpr Field kAddr = Field{2, 14};  // word address (bit 2 on the 82571 family; bit 8 on the 8254x)
inline constexpr Field kData = Field{16, 16};
inline constexpr uint32_t kMacWord0 = 0;  // words 0..2: the port's MAC address, low byte first
}  // namespace eerd
// MDI control: PHY register access (auto-negotiation). The 82574's PHY answers at address 1.
// IEEE 802.3 clause 22 PHY registers reached through MDIC.

// Interrupts (the driver polls: all masked)

// Receive
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

// MSI-X (82574 datasheet §7.4; offsets and bits as Linux e1000e's 82571.h/defines.h and QEMU's e1000e model
// use them). Five vectors; IVAR maps each cause (RxQ0, RxQ1, TxQ0, TxQ1, Other: 4-bit fields, vector in bits
// 2:0, valid in bit 3) to one; the causes are ICR bits 20..24.
inline constexpr RegDef EIAC{.name = "EIAC", .base = 0x000DC, .section = kSrc};  // auto-clear of ICR bits on the message
inline constexpr RegDef IAM{.name = "IAM", .base = 0x000E0, .section = kSrc};
inline constexpr RegDef IVAR{.name = "IVAR", .base = 0x000E4, .section = kSrc};
inline constexpr uint32_t kMsixVectors = 5;
inline constexpr RegDef EITR{.name = "EITR", .base = 0x000E8, .count = kMsixVectors, .stride = 4, .section = kSrc};
namespace ivar {
inline constexpr Field kRxQ0Vector = Field{0, 3};
inline constexpr Field kRxQ0Valid = bit(3);
}  // namespace ivar
namespace icr {
inline constexpr Field kRxQ0 = bit(20);  // rx queue 0 wrote back a frame (MSI-X mode)
}
namespace eitr {
inline constexpr Field kInterval = Field{0, 16};  // 256 ns units; 0 = no moderation (QEMU keeps at least 500)
inline constexpr uint32_t kUnitNs = 256;
}  // namespace eitr

// Address filter

// Statistics (clear on read; the 64-bit octet counters are read low half first, the high read clears both)

inline constexpr RegDef kMap[] = {
    CTRL, STATUS, EECD, EERD, CTRL_EXT, MDIC, ICR, IMS, IMC, EIAC, IAM, IVAR, EITR,
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
static_assert(EITR.at(4) == 0x000F8 && icr::kRxQ0.mask() == 0x00100000 && ivar::kRxQ0Valid.mask() == 0x8);

}  // namespace nic::e1000e
