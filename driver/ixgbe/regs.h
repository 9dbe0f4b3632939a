// Intel 82599 10 GbE controller: register map.
//
// Offsets, fields and reset values from the 82599 datasheet (rev. 3.3); section numbers are given per
// register, as the datasheet's table of contents numbers them (tests/regs_test.cc pins them). The driver reads offsets and fields from here, the simulator its reset values and access rules,
// the strict-mode checker its reserved bits. One register, one place.
//
// Reset values: where the datasheet text is quoted publicly (TinyNF's comments quote §8.2.3 "Init val"s)
// the value is the datasheet's; values marked "modelled" are the simulator's choice where no public source
// states the whole-register value (the driver writes every field it relies on, so none of them matter to it).
#pragma once

#include <cstdint>

#include "driver/regmap/reg.h"

namespace nic::ixgbe {

using reg::Access;
using reg::bit;
using reg::Field;
using reg::RegDef;

inline constexpr uint32_t kMaxQueues = 64;  // queues this driver can address through the low ranges
inline constexpr uint32_t kQ = 0x40;        // per-queue register stride

// ---------------------------------------------------------------------------------------------------------
// General control (§8.2.3.1)
inline constexpr RegDef CTRL{.name = "CTRL", .base = 0x00000, .section = "8.2.3.1.1"};
namespace ctrl {
inline constexpr Field kMasterDisable = bit(2);
inline constexpr Field kLinkReset = bit(3);  // LNK_RST
inline constexpr Field kReset = bit(26);     // RST, self-clearing
inline constexpr uint32_t kResetMask = kLinkReset.mask() | kReset.mask();
}  // namespace ctrl

inline constexpr RegDef STATUS{.name = "STATUS", .base = 0x00008, .access = Access::kRO, .section = "8.2.3.1.2"};
namespace status {
inline constexpr Field kLanId = Field{2, 2};
inline constexpr Field kMasterEnable = bit(19);  // GIO master enable status
}  // namespace status

inline constexpr RegDef CTRL_EXT{.name = "CTRL_EXT", .base = 0x00018, .section = "8.2.3.1.3"};
namespace ctrl_ext {
inline constexpr Field kNoSnoopDisable = bit(16);  // NS_DIS
inline constexpr Field kDriverLoaded = bit(28);    // DRV_LOAD
}  // namespace ctrl_ext

// Software-definable pins (§8.2.3.1). On SFP+ boards SDP2 reads 1 while a module sits in the cage; Linux's
// ixgbe reports link down without it (unless EEPROM word 0x2C bit 7 says the board needs no such check).
inline constexpr RegDef ESDP{.name = "ESDP", .base = 0x00020, .section = "8.2.3.1"};
namespace esdp {
inline constexpr Field kSdp2 = bit(2);  // SFP+ module present
inline constexpr Field kSdp3 = bit(3);  // SFP+ transmit laser disable
}  // namespace esdp
// The SFP+ cage's two-wire bus, bit-banged (§8.2.3.1; the module side is sim/sfp.h). Open drain: an OUT bit
// of 1 releases the line; the IN bits read the lines. Reset value modelled as both lines released.
inline constexpr RegDef I2CCTL{.name = "I2CCTL", .base = 0x00028, .reset = 0x0000000A, .section = "8.2.3.1"};
namespace i2cctl {
inline constexpr Field kClkIn = bit(0);
inline constexpr Field kClkOut = bit(1);
inline constexpr Field kDataIn = bit(2);
inline constexpr Field kDataOut = bit(3);
}  // namespace i2cctl

// EEPROM/Flash control (§8.2.3.2.1)
inline constexpr RegDef EEC{.name = "EEC", .base = 0x10010, .section = "8.2.3.2.1"};
namespace eec {
// Direct (bit-banged) access to the SPI EEPROM: request, wait for the grant, then drive the lines.
inline constexpr Field kClock = bit(0);         // EE_SK
inline constexpr Field kChipSelect = bit(1);    // EE_CS: 1 deselects (the line is active low)
inline constexpr Field kDataIn = bit(2);        // EE_DI: software -> EEPROM
inline constexpr Field kDataOut = bit(3);       // EE_DO: EEPROM -> software (read only)
inline constexpr Field kRequest = bit(6);       // EE_REQ
inline constexpr Field kGrant = bit(7);         // EE_GNT (read only)
inline constexpr Field kPresent = bit(8);       // PRES
inline constexpr Field kAutoReadDone = bit(9);  // ARD
inline constexpr Field kAddrSize = bit(10);      // EE_ADDR_SIZE: 0 = 8-bit SPI addresses
inline constexpr Field kSize = Field{11, 4};     // EEPROM size: 2^(SIZE + 6) 16-bit words
}  // namespace eec
// Software reads of EEPROM words (§8.2.3.2.2): write the word address with START, poll DONE, take DATA.
inline constexpr RegDef EERD{.name = "EERD", .base = 0x10014, .section = "8.2.3.2.2"};
namespace eerd {
inline constexpr Field kStart = bit(0);
inline constexpr Field kDone = bit(1);
inline constexpr Field kAddr = Field{2, 14};
inline constexpr Field kData = Field{16, 16};
}  // namespace eerd

// Semaphores shared by software (both ports' drivers) and firmware (§8.2.3.4; §10.5.4 describes the protocol).
inline constexpr RegDef SWSM{.name = "SWSM", .base = 0x10140, .section = "8.2.3.4.9"};
namespace swsm {
inline constexpr Field kSmbi = bit(0);     // semaphore: reads 0 when free, and the read itself takes it
inline constexpr Field kSwesmbi = bit(1);  // software/firmware semaphore: reads back 1 once software holds it
}  // namespace swsm
// Firmware status (section inferred from the register order of §8.2.3.4: between SWSM and SW_FW_SYNC). No
// manageability firmware is modelled: only FW_VAL (bit 15, the firmware image is valid) reads 1; Linux's
// ixgbe warns of a firmware error without it.
inline constexpr RegDef FWSM{.name = "FWSM", .base = 0x10148, .access = Access::kRO, .reset = 0x00008000,
                             .section = "8.2.3.4.10"};
namespace fwsm {
inline constexpr Field kFwValid = bit(15);
}  // namespace fwsm
// Which of the shared resources (EEPROM, PHYs, MAC CSRs) software or firmware holds, taken under SWSM.
inline constexpr RegDef SW_FW_SYNC{.name = "SW_FW_SYNC", .base = 0x10160, .section = "8.2.3.4.11"};

// ---------------------------------------------------------------------------------------------------------
// Interrupts (§8.2.3.5)
inline constexpr RegDef EICR{.name = "EICR", .base = 0x00800, .access = Access::kRW1C, .section = "8.2.3.5.1"};
inline constexpr RegDef EICS{.name = "EICS", .base = 0x00808, .access = Access::kWO, .section = "8.2.3.5.2"};
inline constexpr RegDef EIAC{.name = "EIAC", .base = 0x00810, .section = "8.2.3.5.5"};
inline constexpr RegDef EITR{.name = "EITR", .base = 0x00820, .count = 24, .section = "8.2.3.5.12"};
inline constexpr RegDef EIMS{.name = "EIMS", .base = 0x00880, .section = "8.2.3.5.3"};
inline constexpr RegDef EIMC{.name = "EIMC", .base = 0x00888, .access = Access::kWO, .section = "8.2.3.5.4"};
inline constexpr RegDef EIAM{.name = "EIAM", .base = 0x00890, .section = "8.2.3.5.6"};
inline constexpr RegDef GPIE{.name = "GPIE", .base = 0x00898, .section = "8.2.3.5.18"};
inline constexpr RegDef IVAR{.name = "IVAR", .base = 0x00900, .count = 64, .section = "8.2.3.5.16"};
// The other causes' vector: INT_ALLOC[1] (bits 15:8) names the MSI-X vector for EICR bits 29:16.
inline constexpr RegDef IVAR_MISC{.name = "IVAR_MISC", .base = 0x00A00, .section = "8.2.3.5.17"};
// MSI-X vectors 0..63, one bit each: [0] vectors 0..31, [1] vectors 32..63. Bits 15:0 of EICS/EIMS/EIMC/EIAM
// and bits 15:0 of their [0] register are the same bits (vectors 0..15, the RTxQ bits of EICR).
inline constexpr RegDef EICS_EX{.name = "EICS_EX", .base = 0x00A90, .count = 2, .stride = 4, .access = Access::kWO, .section = "8.2.3.5.7"};
inline constexpr RegDef EIMS_EX{.name = "EIMS_EX", .base = 0x00AA0, .count = 2, .stride = 4, .section = "8.2.3.5.8"};
inline constexpr RegDef EIMC_EX{.name = "EIMC_EX", .base = 0x00AB0, .count = 2, .stride = 4, .access = Access::kWO, .section = "8.2.3.5.9"};
inline constexpr RegDef EIAM_EX{.name = "EIAM_EX", .base = 0x00AD0, .count = 2, .stride = 4, .section = "8.2.3.5.10"};
namespace eicr {
inline constexpr Field kRxTxQueues = Field{0, 16};  // RTxQ
inline constexpr Field kOtherCauses = Field{16, 14};  // flow director .. ECC: each masked by its EIMS bit
inline constexpr Field kLinkStatusChange = bit(20);  // LSC
// Bit 31 is reserved: EIMC writes use this mask (ixy.rs correction of ixy's 0xFFFFFFFF).
inline constexpr uint32_t kAllCauses = 0x7FFFFFFF;
}  // namespace eicr
namespace gpie {
inline constexpr Field kMsixMode = bit(4);      // Multiple_MSIX: EICR bits are MSI-X vectors
inline constexpr Field kOtherClearDisable = bit(5);  // OCD
inline constexpr Field kEiame = bit(30);        // EIAM auto-masks on the MSI-X message
inline constexpr Field kPbaSupport = bit(31);   // PBA_support: MSI-X pending bits in the PBA
}  // namespace gpie
namespace ivar {  // IVAR[n]: rx queue 2n (7:0), tx queue 2n (15:8), rx queue 2n+1 (23:16), tx queue 2n+1 (31:24)
inline constexpr Field kAlloc = Field{0, 6};     // INT_ALLOC: the MSI-X vector, within one entry
inline constexpr Field kAllocValid = bit(7);     // INT_ALLOC_VAL, within one entry
inline constexpr uint32_t kMiscOtherShift = 8;  // IVAR_MISC: the other causes' entry (TCP timer's at 0)
inline constexpr uint32_t rx_shift(uint32_t q) { return (q % 2) * 16; }
inline constexpr uint32_t tx_shift(uint32_t q) { return (q % 2) * 16 + 8; }
}  // namespace ivar
namespace eitr {
inline constexpr Field kInterval = Field{3, 9};  // ITR_INTERVAL, 2.048 us units (sim/params.h itr_unit_ns)
inline constexpr uint32_t kUnitNs = 2048;
inline constexpr Field kCounterWriteDisable = bit(31);  // CNT_WDIS
}  // namespace eitr

// ---------------------------------------------------------------------------------------------------------
// Receive queues (§8.2.3.8), low range n = 0..63 at 0x01000 + 0x40 n
inline constexpr RegDef RDBAL{.name = "RDBAL", .base = 0x01000, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.8.1"};
inline constexpr RegDef RDBAH{.name = "RDBAH", .base = 0x01004, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.8.2"};
inline constexpr RegDef RDLEN{.name = "RDLEN", .base = 0x01008, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.8.3"};
inline constexpr RegDef DCA_RXCTRL{.name = "DCA_RXCTRL", .base = 0x0100C, .count = kMaxQueues, .stride = kQ,
                                   .reset = 0x00001000, .section = "8.2.3.11.1"};
inline constexpr RegDef RDH{.name = "RDH", .base = 0x01010, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.8.4"};
// Reset modelled as BSIZEPACKET = 2 KB, BSIZEHEADER = 256 B, DESCTYPE = legacy (000b per datasheet).
inline constexpr RegDef SRRCTL{.name = "SRRCTL", .base = 0x01014, .count = kMaxQueues, .stride = kQ,
                               .reset = 0x00000402, .section = "8.2.3.8.7"};
inline constexpr RegDef RDT{.name = "RDT", .base = 0x01018, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.8.5"};
inline constexpr RegDef RXDCTL{.name = "RXDCTL", .base = 0x01028, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.8.6"};
inline constexpr RegDef QPRC{.name = "QPRC", .base = 0x01030, .count = 16, .stride = kQ, .access = Access::kRC, .section = "8.2.3.23.71"};
// Packets dropped by queue n for lack of a descriptor while SRRCTL.DROP_EN is set.
// Octets of the frames the queue posted to host memory (CRC included only when it is kept): 64 bits as two
// registers, cleared on read. DPDK's ixgbe PMD takes its per-port receive byte count from them.
inline constexpr RegDef QBRC_L{.name = "QBRC_L", .base = 0x01034, .count = 16, .stride = kQ, .access = Access::kRC, .section = "8.2.3.23.73"};
inline constexpr RegDef QBRC_H{.name = "QBRC_H", .base = 0x01038, .count = 16, .stride = kQ, .access = Access::kRC, .section = "8.2.3.23.74"};
inline constexpr RegDef QPRDC{.name = "QPRDC", .base = 0x01430, .count = 16, .stride = kQ, .access = Access::kRC, .section = "8.2.3.23.72"};
namespace dca_rxctrl {
inline constexpr Field kReservedMustBeZero = bit(12);  // resets to 1; software must clear it (§4.6.7)
}
namespace srrctl {
inline constexpr Field kBsizePacket = Field{0, 5};   // in 1 KB units
inline constexpr Field kBsizeHeader = Field{8, 6};   // in 64 B units
inline constexpr Field kDescType = Field{25, 3};
inline constexpr uint32_t kDescTypeAdvOneBuf = 1;
inline constexpr Field kDropEnable = bit(28);
}  // namespace srrctl
namespace rxdctl {
inline constexpr Field kEnable = bit(25);
}

// Aliases of the first 16 queues' SRRCTL/DCA_RXCTRL (the 82598 locations, kept by the 82599 and used by
// ixy). The simulator maps them onto the canonical registers above.
inline constexpr RegDef SRRCTL_ALIAS{.name = "SRRCTL(0-15)", .base = 0x02100, .count = 16, .reset = 0x00000402,
                                     .section = "8.2.3.8.7"};
inline constexpr RegDef DCA_RXCTRL_ALIAS{.name = "DCA_RXCTRL(0-15)", .base = 0x02200, .count = 16,
                                         .reset = 0x00001000, .section = "8.2.3.11.1"};

// Reset modelled with RSCFRSTSIZE non-zero ("set to 0 as opposed to its hardware default") and CRCStrip 0.
inline constexpr RegDef RDRXCTL{.name = "RDRXCTL", .base = 0x02F00, .reset = 0x00020000, .section = "8.2.3.8.8"};
namespace rdrxctl {
inline constexpr Field kCrcStrip = bit(1);
inline constexpr Field kDmaInitDone = bit(3);  // DMAIDONE, read-only
inline constexpr Field kRscFirstSize = Field{17, 5};
inline constexpr Field kRscAckC = bit(25);     // must be set (ixy.rs correction)
inline constexpr Field kFcoeWriteFix = bit(26);  // must be set (ixy.rs correction)
}  // namespace rdrxctl

inline constexpr RegDef RXCTRL{.name = "RXCTRL", .base = 0x03000, .section = "8.2.3.8.10"};
namespace rxctrl {
inline constexpr Field kRxEnable = bit(0);
}

// Init val 512 KB for PB[0] ("PB[1-7] also 512 KB" in the datasheet text; software sizes them).
inline constexpr RegDef RXPBSIZE{.name = "RXPBSIZE", .base = 0x03C00, .count = 8, .reset = 0x00080000,
                                 .section = "8.2.3.8.9"};

// Flow control receive threshold high (§8.2.3.3.4). §4.6.3.2: RTH must be set whether or not flow control is
// used, typically to the packet buffer's size less 0x6000 bytes; FCEN stays 0 without flow control.
inline constexpr RegDef FCRTH{.name = "FCRTH", .base = 0x03260, .count = 8, .section = "8.2.3.3.4"};
namespace fcrth {
inline constexpr Field kRth = Field{5, 14};  // RTH, bytes in 32-byte units (bits 18:5 of the byte count)
inline constexpr Field kFcEnable = bit(31);  // FCEN
inline constexpr uint32_t kBelowBufferSize = 0x6000;  // §4.6.3.2: RTH = RXPBSIZE[n] - 0x6000 bytes
}  // namespace fcrth

// ---------------------------------------------------------------------------------------------------------
// MAC (§8.2.3.22)
// Init vals: TXCRCEN 1, RXCRCSTRP 1, TXPADEN 1, RXLNGTHERREN 1, the rest 0.
inline constexpr RegDef HLREG0{.name = "HLREG0", .base = 0x04240, .reset = 0x08000403, .section = "8.2.3.22.8"};
namespace hlreg0 {
inline constexpr Field kTxCrcEnable = bit(0);
inline constexpr Field kRxCrcStrip = bit(1);
inline constexpr Field kJumboEnable = bit(2);
inline constexpr Field kTxPadEnable = bit(10);
inline constexpr Field kLoopback = bit(15);  // LPBK: MAC loopback
inline constexpr Field kRxLengthErrorEnable = bit(27);
}  // namespace hlreg0

// MFS includes the 4-byte CRC; 1518 while HLREG0.JUMBOEN = 0.
inline constexpr RegDef MAXFRS{.name = "MAXFRS", .base = 0x04268, .reset = 0x05EE0000, .section = "8.2.3.22.13"};
namespace maxfrs {
inline constexpr Field kMaxFrameSize = Field{16, 16};
}

// Loaded from the EEPROM; modelled as LMS = 10G serial.
inline constexpr RegDef AUTOC{.name = "AUTOC", .base = 0x042A0, .reset = 0x00006000, .section = "8.2.3.22.19"};
namespace autoc {
inline constexpr Field kForceLinkUp = bit(0);  // FLU
inline constexpr Field kPmaPmd10G = Field{7, 2};
inline constexpr uint32_t kPmaPmd10GXaui = 0;
inline constexpr Field kAnRestart = bit(12);
inline constexpr Field kLinkModeSelect = Field{13, 3};  // LMS
inline constexpr uint32_t kLms10GNoAn = 1;
inline constexpr uint32_t kLms10GSerial = 3;
}  // namespace autoc

inline constexpr RegDef LINKS{.name = "LINKS", .base = 0x042A4, .access = Access::kRO, .section = "8.2.3.22.20"};
// Auto-negotiation link partner / state (§8.2.3.22). Linux's ixgbe restarts AN after an SFP+ module's setup
// and waits up to 40-80 ms for AN_STATE to leave 0 (it fails the probe otherwise).
inline constexpr RegDef ANLP1{.name = "ANLP1", .base = 0x042B0, .access = Access::kRO, .section = "8.2.3.22"};
namespace anlp1 {
inline constexpr Field kAnState = Field{16, 4};
}  // namespace anlp1
namespace links {
inline constexpr Field kSpeed = Field{28, 2};
inline constexpr uint32_t kSpeed100M = 1, kSpeed1G = 2, kSpeed10G = 3;
inline constexpr Field kLinkUp = bit(30);
}  // namespace links

// ---------------------------------------------------------------------------------------------------------
// Transmit (§8.2.3.9, §8.2.3.10)
inline constexpr RegDef RTTDCS{.name = "RTTDCS", .base = 0x04900, .section = "8.2.3.10.2"};
namespace rttdcs {
inline constexpr Field kArbiterDisable = bit(6);
}
inline constexpr RegDef DMATXCTL{.name = "DMATXCTL", .base = 0x04A80, .section = "8.2.3.9.2"};
namespace dmatxctl {
inline constexpr Field kTxEnable = bit(0);
}

inline constexpr RegDef TDBAL{.name = "TDBAL", .base = 0x06000, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.5"};
inline constexpr RegDef TDBAH{.name = "TDBAH", .base = 0x06004, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.6"};
inline constexpr RegDef TDLEN{.name = "TDLEN", .base = 0x06008, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.7"};
inline constexpr RegDef DCA_TXCTRL{.name = "DCA_TXCTRL", .base = 0x0600C, .count = kMaxQueues, .stride = kQ,
                                   .section = "8.2.3.11.2"};
inline constexpr RegDef TDH{.name = "TDH", .base = 0x06010, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.8"};
inline constexpr RegDef TDT{.name = "TDT", .base = 0x06018, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.9"};
inline constexpr RegDef TXDCTL{.name = "TXDCTL", .base = 0x06028, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.10"};
inline constexpr RegDef TDWBAL{.name = "TDWBAL", .base = 0x06038, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.11"};
inline constexpr RegDef TDWBAH{.name = "TDWBAH", .base = 0x0603C, .count = kMaxQueues, .stride = kQ, .section = "8.2.3.9.12"};
namespace txdctl {
inline constexpr Field kPrefetchThresh = Field{0, 7};   // PTHRESH
inline constexpr Field kHostThresh = Field{8, 7};       // HTHRESH
inline constexpr Field kWritebackThresh = Field{16, 7};  // WTHRESH
inline constexpr Field kEnable = bit(25);
inline constexpr Field kSwFlush = bit(26);
}  // namespace txdctl

inline constexpr RegDef DTXMXSZRQ{.name = "DTXMXSZRQ", .base = 0x08100, .section = "8.2.3.9.1"};
namespace dtxmxszrq {
inline constexpr Field kMaxBytesNumReq = Field{0, 12};  // 12 bits (ixy.rs correction: 0xFFF, not 0xFFFF)
}
// Multiple transmit queues command (§8.2.3.9.15) and the manageability TC map (§8.2.3.9.14): §4.6.8 programs
// them, with DTXMXSZRQ and the tx packet buffers, while RTTDCS.ARBDIS is set. Without DCB or virtualization
// (§4.6.11.3.4) MTQC is 0 (RT_Ena = VT_Ena = 0, NUM_TC_OR_Q = 00b), its reset value.
inline constexpr RegDef MTQC{.name = "MTQC", .base = 0x08120, .section = "8.2.3.9.15"};
inline constexpr RegDef MNGTXMAP{.name = "MNGTXMAP", .base = 0x0CD10, .section = "8.2.3.9.14"};
// Init val 0xA0 KB (160 KB) in SIZE (19:10).
inline constexpr RegDef TXPBSIZE{.name = "TXPBSIZE", .base = 0x0CC00, .count = 8, .reset = 0x00028000,
                                 .reset_rest = 0, .section = "8.2.3.9.13"};
// Init val 0x96 for [0], 0 for [1-7]; §4.6.11.3.4 asks for 0xA0 in [0] without DCB/virtualization.
inline constexpr RegDef TXPBTHRESH{.name = "TXPBTHRESH", .base = 0x04950, .count = 8, .reset = 0x96, .reset_rest = 0,
                                   .section = "8.2.3.9.16"};
namespace pbsize {
inline constexpr Field kSizeKb = Field{10, 10};  // RXPBSIZE/TXPBSIZE SIZE, in KB
}

// ---------------------------------------------------------------------------------------------------------
// Security (§8.2.3.12). §4.6.7 enables receive (RXCTRL.RXEN) with the rx security block halted: RX_DIS set,
// SECRX_RDY polled until set, RXEN set, RX_DIS cleared (Linux and DPDK do the same around every RXEN write).
// The model's security blocks hold no data, so their ready bits read 1 (reset values "modelled").
inline constexpr RegDef SECTXCTRL{.name = "SECTXCTRL", .base = 0x08800, .section = "8.2.3.12.1"};
inline constexpr RegDef SECTXSTAT{.name = "SECTXSTAT", .base = 0x08804, .access = Access::kRO, .reset = 0x00000001,
                                  .section = "8.2.3.12.2"};
inline constexpr RegDef SECRXCTRL{.name = "SECRXCTRL", .base = 0x08D00, .section = "8.2.3.12.5"};
inline constexpr RegDef SECRXSTAT{.name = "SECRXSTAT", .base = 0x08D04, .access = Access::kRO, .reset = 0x00000001,
                                  .section = "8.2.3.12.6"};
namespace sectxctrl {
inline constexpr Field kSecTxDisable = bit(0);  // SECTX_DIS
inline constexpr Field kTxDisable = bit(1);     // TX_DIS: halt the transmit data path
}  // namespace sectxctrl
namespace sectxstat {
inline constexpr Field kReady = bit(0);  // SECTX_RDY
}
namespace secrxctrl {
inline constexpr Field kSecRxDisable = bit(0);  // SECRX_DIS
inline constexpr Field kRxDisable = bit(1);     // RX_DIS: halt the receive data path
}  // namespace secrxctrl
namespace secrxstat {
inline constexpr Field kReady = bit(0);  // SECRX_RDY: the receive data path is empty (set by hardware)
}

// ---------------------------------------------------------------------------------------------------------
// Receive filtering (§8.2.3.7)
inline constexpr RegDef FCTRL{.name = "FCTRL", .base = 0x05080, .section = "8.2.3.7.1"};
namespace fctrl {
inline constexpr Field kStoreBadPackets = bit(1);  // SBP
inline constexpr Field kMulticastPromisc = bit(8);  // MPE
inline constexpr Field kUnicastPromisc = bit(9);    // UPE
inline constexpr Field kBroadcastAccept = bit(10);  // BAM
}  // namespace fctrl
inline constexpr RegDef MCSTCTRL{.name = "MCSTCTRL", .base = 0x05090, .section = "8.2.3.7.3"};
inline constexpr RegDef MTA{.name = "MTA", .base = 0x05200, .count = 128, .section = "8.2.3.7.7"};
inline constexpr RegDef RAL{.name = "RAL", .base = 0x05400, .count = 16, .stride = 8, .section = "8.2.3.7.8"};
inline constexpr RegDef RAH{.name = "RAH", .base = 0x05404, .count = 16, .stride = 8, .section = "8.2.3.7.9"};
namespace rah {
inline constexpr Field kAddrHigh = Field{0, 16};
inline constexpr Field kAddressValid = bit(31);  // AV
}  // namespace rah

// Receive-side scaling (§7.1.2.8): MRQC selects RSS and the hashed fields, RSSRK holds the 40-byte Toeplitz
// key (byte k in bits 8(k%4)+7:8(k%4) of RSSRK[k/4]), RETA the 128 one-byte entries (queue in bits 3:0).
inline constexpr RegDef MRQC{.name = "MRQC", .base = 0x05818, .section = "8.2.3.7.12"};
namespace mrqc {
inline constexpr Field kMode = Field{0, 4};  // MRQE: 0001b = RSS only
inline constexpr uint32_t kModeRss = 1;
inline constexpr Field kTcpIpv4 = bit(16);
inline constexpr Field kIpv4 = bit(17);
inline constexpr Field kIpv6 = bit(20);
inline constexpr Field kTcpIpv6 = bit(21);
inline constexpr Field kUdpIpv4 = bit(22);
inline constexpr Field kUdpIpv6 = bit(23);
}  // namespace mrqc
inline constexpr RegDef RETA{.name = "RETA", .base = 0x05C00, .count = 32, .section = "8.2.3.7.15"};
inline constexpr RegDef RSSRK{.name = "RSSRK", .base = 0x05C80, .count = 10, .section = "8.2.3.7.14"};

// ---------------------------------------------------------------------------------------------------------
// Statistics (§8.2.3.23). All clear on read; 64-bit octet counters clear when the high half is read.
inline constexpr RegDef CRCERRS{.name = "CRCERRS", .base = 0x04000, .access = Access::kRC, .section = "8.2.3.23.1"};
inline constexpr RegDef ILLERRC{.name = "ILLERRC", .base = 0x04004, .access = Access::kRC, .section = "8.2.3.23.2"};
inline constexpr RegDef ERRBC{.name = "ERRBC", .base = 0x04008, .access = Access::kRC, .section = "8.2.3.23.3"};
inline constexpr RegDef MPC{.name = "MPC", .base = 0x03FA0, .count = 8, .access = Access::kRC, .section = "8.2.3.23.4"};
inline constexpr RegDef RLEC{.name = "RLEC", .base = 0x04040, .access = Access::kRC, .section = "8.2.3.23.9"};
inline constexpr RegDef PRC64{.name = "PRC64", .base = 0x0405C, .access = Access::kRC, .section = "8.2.3.23.16"};
inline constexpr RegDef GPRC{.name = "GPRC", .base = 0x04074, .access = Access::kRC, .section = "8.2.3.23.18"};
inline constexpr RegDef BPRC{.name = "BPRC", .base = 0x04078, .access = Access::kRC, .section = "8.2.3.23.19"};
inline constexpr RegDef MPRC{.name = "MPRC", .base = 0x0407C, .access = Access::kRC, .section = "8.2.3.23.20"};
inline constexpr RegDef GPTC{.name = "GPTC", .base = 0x04080, .access = Access::kRC, .section = "8.2.3.23.21"};
inline constexpr RegDef GORCL{.name = "GORCL", .base = 0x04088, .access = Access::kRC, .section = "8.2.3.23.22"};
inline constexpr RegDef GORCH{.name = "GORCH", .base = 0x0408C, .access = Access::kRC, .section = "8.2.3.23.23"};
inline constexpr RegDef GOTCL{.name = "GOTCL", .base = 0x04090, .access = Access::kRC, .section = "8.2.3.23.24"};
inline constexpr RegDef GOTCH{.name = "GOTCH", .base = 0x04094, .access = Access::kRC, .section = "8.2.3.23.25"};
inline constexpr RegDef RFC{.name = "RFC", .base = 0x040A8, .access = Access::kRC, .section = "8.2.3.23.28"};
inline constexpr RegDef RUC{.name = "RUC", .base = 0x040A4, .access = Access::kRC, .section = "8.2.3.23.27"};
inline constexpr RegDef ROC{.name = "ROC", .base = 0x040AC, .access = Access::kRC, .section = "8.2.3.23.29"};
inline constexpr RegDef TORL{.name = "TORL", .base = 0x040C0, .access = Access::kRC, .section = "8.2.3.23.33"};
inline constexpr RegDef TORH{.name = "TORH", .base = 0x040C4, .access = Access::kRC, .section = "8.2.3.23.34"};
inline constexpr RegDef TPR{.name = "TPR", .base = 0x040D0, .access = Access::kRC, .section = "8.2.3.23.35"};
inline constexpr RegDef TPT{.name = "TPT", .base = 0x040D4, .access = Access::kRC, .section = "8.2.3.23.36"};
inline constexpr RegDef MPTC{.name = "MPTC", .base = 0x040F0, .access = Access::kRC, .section = "8.2.3.23.43"};
inline constexpr RegDef BPTC{.name = "BPTC", .base = 0x040F4, .access = Access::kRC, .section = "8.2.3.23.44"};
inline constexpr RegDef QPTC{.name = "QPTC", .base = 0x08680, .count = 16, .access = Access::kRC, .section = "8.2.3.23.73"};

// The whole map. Everything above must be listed here (tests check it); the build fails on any overlap.
inline constexpr RegDef kMap[] = {
    CTRL, STATUS, CTRL_EXT, ESDP, I2CCTL, EEC, EERD, SWSM, FWSM, SW_FW_SYNC,
    EICR, EICS, EIAC, EITR, EIMS, EIMC, EIAM, GPIE, IVAR, IVAR_MISC, EICS_EX, EIMS_EX, EIMC_EX, EIAM_EX,
    RDBAL, RDBAH, RDLEN, DCA_RXCTRL, RDH, SRRCTL, RDT, RXDCTL, QPRC, QBRC_L, QBRC_H, QPRDC, SRRCTL_ALIAS, DCA_RXCTRL_ALIAS,
    RDRXCTL, RXCTRL, RXPBSIZE, FCRTH,
    HLREG0, MAXFRS, AUTOC, LINKS, ANLP1,
    RTTDCS, DMATXCTL, TDBAL, TDBAH, TDLEN, DCA_TXCTRL, TDH, TDT, TXDCTL, TDWBAL, TDWBAH, DTXMXSZRQ, TXPBSIZE, TXPBTHRESH,
    MTQC, MNGTXMAP, SECTXCTRL, SECTXSTAT, SECRXCTRL, SECRXSTAT,
    FCTRL, MCSTCTRL, MTA, RAL, RAH, MRQC, RETA, RSSRK,
    CRCERRS, ILLERRC, ERRBC, MPC, RLEC, PRC64, GPRC, BPRC, MPRC, GPTC, GORCL, GORCH, GOTCL, GOTCH, RFC, RUC,
    ROC, TORL, TORH, TPR, TPT, MPTC, BPTC, QPTC,
};
static_assert(reg::check_map(kMap), "82599 register map: misaligned or overlapping registers");

// Field sanity: every field lies inside its 32-bit register and the multi-bit ones are as wide as the
// datasheet says.
static_assert(ctrl::kReset.mask() == 0x04000000 && ctrl::kLinkReset.mask() == 0x8);
static_assert(srrctl::kDescType.mask() == 0x0E000000 && srrctl::kDropEnable.mask() == 0x10000000);
static_assert(txdctl::kPrefetchThresh.mask() == 0x7F && txdctl::kHostThresh.mask() == 0x7F00 &&
              txdctl::kWritebackThresh.mask() == 0x7F0000);
static_assert(autoc::kLinkModeSelect.mask() == 0xE000 && autoc::kPmaPmd10G.mask() == 0x180);
static_assert(i2cctl::kClkIn.mask() == 0x1 && i2cctl::kClkOut.mask() == 0x2 && i2cctl::kDataIn.mask() == 0x4 &&
              i2cctl::kDataOut.mask() == 0x8 && esdp::kSdp2.mask() == 0x4 && anlp1::kAnState.mask() == 0x000F0000);
static_assert(links::kSpeed.mask() == 0x30000000 && links::kLinkUp.mask() == 0x40000000);
static_assert(rdrxctl::kRscFirstSize.mask() == 0x003E0000);
static_assert(dtxmxszrq::kMaxBytesNumReq.mask() == 0xFFF);
static_assert(fcrth::kRth.mask() == 0x0007FFE0 && secrxctrl::kRxDisable.mask() == 0x2 && secrxstat::kReady.mask() == 0x1);
static_assert(mrqc::kTcpIpv4.mask() == 0x10000 && mrqc::kIpv4.mask() == 0x20000 && mrqc::kUdpIpv4.mask() == 0x400000);
static_assert(eec::kAutoReadDone.mask() == 0x200 && rdrxctl::kDmaInitDone.mask() == 0x8);
static_assert(eec::kRequest.mask() == 0x40 && eec::kGrant.mask() == 0x80 && eec::kDataOut.mask() == 0x8);
static_assert(fctrl::kMulticastPromisc.mask() == 0x100 && fctrl::kUnicastPromisc.mask() == 0x200 &&
              fctrl::kBroadcastAccept.mask() == 0x400);

}  // namespace nic::ixgbe
