// What the Intel e1000 lineage (82576 igb, 82574 e1000e) shares: the general, PHY-access, interrupt,
// receive/transmit control, address-filter and statistics registers at the same offsets with the same bits,
// and the code that only depends on them (PHY access through MDIC, link from STATUS, basic counters).
// Each family's regs.h pulls these in and adds what differs (queue registers, descriptor formats).
//
// Offsets and bits as used by the Linux e1000e/igb register headers and QEMU's e1000x/igb/e1000e models.
#pragma once

#include <cstdint>

#include "driver/device/device.h"
#include "driver/regmap/mmio.h"
#include "driver/regmap/reg.h"

namespace nic::e1000 {

using reg::Access;
using reg::bit;
using reg::Field;
using reg::RegDef;

inline constexpr const char* kSrc = "e1000 family (Linux e1000/igb regs.h, QEMU e1000x_regs.h)";

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
inline constexpr Field kLinkUp = bit(1);            // LU
inline constexpr Field kSpeed = Field{6, 2};        // 00 10, 01 100, 1x 1000 Mbit/s
inline constexpr Field kGioMasterEnable = bit(19);  // clears once CTRL.GIO_MASTER_DISABLE has taken effect
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
// MDI control: PHY register access (auto-negotiation). The internal PHY answers at address 1.
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

// Interrupts (the drivers poll: all masked)
inline constexpr RegDef ICR{.name = "ICR", .base = 0x000C0, .access = Access::kRC, .section = kSrc};
inline constexpr RegDef IMS{.name = "IMS", .base = 0x000D0, .section = kSrc};
inline constexpr RegDef IMC{.name = "IMC", .base = 0x000D8, .access = Access::kWO, .section = kSrc};

inline constexpr RegDef RCTL{.name = "RCTL", .base = 0x00100, .section = kSrc};
namespace rctl {
inline constexpr Field kEnable = bit(1);
inline constexpr Field kStoreBadPackets = bit(2);
inline constexpr Field kUnicastPromisc = bit(3);    // UPE
inline constexpr Field kMulticastPromisc = bit(4);  // MPE
inline constexpr Field kLongPackets = bit(5);       // LPE: off, so no frame exceeds 1522 bytes
inline constexpr Field kLoopbackMode = Field{6, 2};  // LBM: 01 = MAC loopback
inline constexpr uint32_t kLoopbackMac = 1;
inline constexpr Field kDescType = Field{10, 2};    // DTYP (82574: 00 legacy/extended per RFCTL.EXSTEN, 01 split;
                                                    // the 82576 takes the type from SRRCTL instead)
inline constexpr Field kBroadcastAccept = bit(15);  // BAM
inline constexpr Field kBufferSize = Field{16, 2};  // BSIZE with BSEX = 0: 00 = 2048 bytes
inline constexpr Field kBufferSizeExtension = bit(25);  // BSEX
inline constexpr Field kStripCrc = bit(26);         // SECRC
}  // namespace rctl
inline constexpr RegDef TCTL{.name = "TCTL", .base = 0x00400, .section = kSrc};
namespace tctl {
inline constexpr Field kEnable = bit(1);
inline constexpr Field kPadShortPackets = bit(3);  // PSP
inline constexpr Field kCollisionThreshold = Field{4, 8};
inline constexpr Field kCollisionDistance = Field{12, 10};
inline constexpr Field kRetransmitLateCollision = bit(24);  // RTLC
}  // namespace tctl

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

static_assert(rctl::kStripCrc.mask() == 0x04000000 && rctl::kBroadcastAccept.mask() == 0x8000);
static_assert(rctl::kLoopbackMode.make(rctl::kLoopbackMac) == 0x40);
static_assert(mdic::kReady.mask() == 0x10000000 && mdic::kOp.make(mdic::kOpRead) == 0x08000000);
static_assert(status::kGioMasterEnable.mask() == 0x00080000 && ctrl::kGioMasterDisable.mask() == 0x4);

// PHY register access through MDIC. Throws nic::Error on timeout (MDIC.R never set) or MDIC.E.
uint16_t phy_read(Mmio& mmio, uint32_t reg);
void phy_write(Mmio& mmio, uint32_t reg, uint16_t value);
// Link bring-up: the MAC follows the PHY (CTRL.SLU, nothing forced, GIO master disable released), and the
// PHY restarts auto-negotiation. MAC loopback instead forces 1000 Mbit/s full duplex in the MAC.
void setup_link(Mmio& mmio, bool loopback);
// Unicast + multicast promiscuous on or off (RCTL.UPE/MPE; these filters may change while receiving).
void set_promiscuous(Mmio& mmio, bool on);
// Link state from STATUS (down when the device reads all-ones).
LinkStatus link_from_status(uint32_t status);
// Adds GPRC, GPTC, GORC, GOTC, MPC and CRCERRS (read low half before high) to `s`.
void read_counters(Mmio& mmio, DeviceStats& s);

}  // namespace nic::e1000
