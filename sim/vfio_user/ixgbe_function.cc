#include "sim/vfio_user/ixgbe_function.h"

#include <linux/vfio.h>

#include <cstring>

#include "driver/ixgbe/regs.h"

namespace vfio_user {

namespace {

// 82599 BAR0 registers a driver may touch, by offset, with the datasheet's name (82599 datasheet rev. 3.3,
// §8.2.3; the same names Linux's ixgbe_type.h uses). Reporting only: which of them the model has is decided
// by driver/ixgbe/regs.h. Arrays are listed by their first element and stride.
struct Named {
  uint32_t base, count, stride;
  const char* name;
};
constexpr Named kNames[] = {
    {0x00000, 1, 4, "CTRL"}, {0x00008, 1, 4, "STATUS"}, {0x00018, 1, 4, "CTRL_EXT"},
    {0x00020, 1, 4, "ESDP (SDP pins)"}, {0x00028, 1, 4, "I2CCTL (SFP+ I2C bit-bang)"},
    {0x00048, 1, 4, "FRTIMER"}, {0x0004C, 1, 4, "TCPTIMER"}, {0x00200, 1, 4, "LEDCTL"},
    {0x00894, 1, 4, "EITRSEL"}, {0x00E00, 1, 4, "PFMBICR? (mailbox)"},
    {0x01034, 16, 0x40, "QBRC_L"}, {0x01038, 16, 0x40, "QBRC_H"},
    {0x02140, 8, 4, "RTRPT4C"}, {0x02160, 8, 4, "RTRPT4S"}, {0x0241C, 1, 4, "FCOERPDC"}, {0x02424, 1, 4, "FCLAST"},
    {0x02428, 1, 4, "FCOEPRC"}, {0x0242C, 1, 4, "FCOEDWRC"}, {0x02430, 1, 4, "RTRPCS"},
    {0x02F04, 1, 4, "PFQDE"}, {0x02F50, 1, 4, "RXDGPC"}, {0x02F54, 1, 4, "RXDGBCL"}, {0x02F58, 1, 4, "RXDGBCH"},
    {0x02F5C, 1, 4, "RXDDGPC"}, {0x02F60, 1, 4, "RXDDGBCL"}, {0x02F64, 1, 4, "RXDDGBCH"}, {0x02F68, 1, 4, "RXLPBKGPC"},
    {0x02F6C, 1, 4, "RXLPBKGBCL"}, {0x02F70, 1, 4, "RXLPBKGBCH"}, {0x02F74, 1, 4, "RXDLPBKGPC"},
    {0x02F78, 1, 4, "RXDLPBKGBCL"}, {0x02F7C, 1, 4, "RXDLPBKGBCH"}, {0x02F90, 1, 4, "B2OGPRC"},
    {0x03008, 1, 4, "PFCTOP"}, {0x03020, 1, 4, "RTRUP2TC"}, {0x03190, 1, 4, "RXMEMWRAP"},
    {0x03200, 4, 4, "FCTTV"}, {0x03220, 8, 4, "FCRTL"}, {0x03240, 8, 4, "PXON2OFFCNT"}, {0x03260, 8, 4, "FCRTH"},
    {0x032A0, 1, 4, "FCRTV"}, {0x03D00, 1, 4, "FCCFG"}, {0x03F00, 8, 4, "PXONTXC"}, {0x03F20, 8, 4, "PXOFFTXC"},
    {0x03F60, 1, 4, "LXONTXC"}, {0x03F68, 1, 4, "LXOFFTXC"}, {0x03FC0, 8, 4, "RNBC"},
    {0x04010, 1, 4, "MSPDC"}, {0x04034, 1, 4, "MLFC"}, {0x04038, 1, 4, "MRFC"}, {0x04060, 1, 4, "PRC127"},
    {0x04064, 1, 4, "PRC255"}, {0x04068, 1, 4, "PRC511"}, {0x0406C, 1, 4, "PRC1023"}, {0x04070, 1, 4, "PRC1522"},
    {0x040B0, 1, 4, "RJC"}, {0x040B4, 1, 4, "MNGPRC"}, {0x040B8, 1, 4, "MNGPDC"}, {0x040D8, 1, 4, "PTC64"},
    {0x040DC, 1, 4, "PTC127"}, {0x040E0, 1, 4, "PTC255"}, {0x040E4, 1, 4, "PTC511"}, {0x040E8, 1, 4, "PTC1023"},
    {0x040EC, 1, 4, "PTC1522"}, {0x04120, 1, 4, "XEC"}, {0x04140, 8, 4, "PXONRXCNT"}, {0x04160, 8, 4, "PXOFFRXCNT"},
    {0x041A4, 1, 4, "LXONRXCNT"}, {0x041A8, 1, 4, "LXOFFRXCNT"}, {0x041B0, 1, 4, "RXNFGPC"}, {0x041B4, 1, 4, "RXNFGBCL"},
    {0x041B8, 1, 4, "RXNFGBCH"}, {0x041C0, 1, 4, "B2OSPC"}, {0x041C4, 1, 4, "O2BGPTC"},
    {0x04200, 1, 4, "PCS1GCFIG"}, {0x04208, 1, 4, "PCS1GLCTL"}, {0x0420C, 1, 4, "PCS1GLSTA"}, {0x04218, 1, 4, "PCS1GANA"},
    {0x0421C, 1, 4, "PCS1GANLP"}, {0x04244, 1, 4, "HLREG1"}, {0x04248, 1, 4, "PAP"}, {0x0424C, 1, 4, "MACA"},
    {0x0425C, 1, 4, "MSCA (MDI single command)"}, {0x04260, 1, 4, "MSRWD (MDI read/write data)"},
    {0x04264, 1, 4, "MLADD"}, {0x04288, 1, 4, "PCSS1"}, {0x0428C, 1, 4, "PCSS2"}, {0x04290, 1, 4, "XPCSS"},
    {0x04294, 1, 4, "MFLCN"}, {0x04298, 1, 4, "SERDESC"}, {0x0429C, 1, 4, "MACS"}, {0x042A8, 1, 4, "AUTOC2"},
    {0x042AC, 1, 4, "AUTOC3"}, {0x042B0, 1, 4, "ANLP1"}, {0x042B4, 1, 4, "ANLP2"}, {0x042D0, 1, 4, "MMNGC"},
    {0x042E0, 1, 4, "KRPCSFC"}, {0x042E4, 1, 4, "KRPCSS"}, {0x042E8, 1, 4, "FECS1"}, {0x042EC, 1, 4, "FECS2"},
    {0x04314, 1, 4, "SGMIIC"}, {0x04318, 1, 4, "MPVC"}, {0x04324, 1, 4, "LINKS2"}, {0x04330, 1, 4, "MACC"},
    {0x04800, 1, 4, "ATLASCTL"}, {0x04904, 1, 4, "RTTDQSEL"}, {0x04908, 1, 4, "RTTDT1C"}, {0x0490C, 1, 4, "RTTDT1S"},
    {0x04910, 8, 4, "RTTDT2C"}, {0x04930, 8, 4, "RTTDT2S"}, {0x04980, 1, 4, "RTTBCNRM"}, {0x04984, 1, 4, "RTTBCNRC"},
    {0x04A88, 1, 4, "DTXTCPFLGL"}, {0x04A8C, 1, 4, "DTXTCPFLGH"},
    {0x05000, 1, 4, "RXCSUM"}, {0x05008, 1, 4, "RFCTL"}, {0x05088, 1, 4, "VLNCTRL"}, {0x05118, 1, 4, "FCCRC"},
    {0x05128, 8, 4, "ETQF"}, {0x051B0, 1, 4, "PFVTCTL"}, {0x051B8, 1, 4, "RXFECCERR0"}, {0x051E0, 2, 4, "PFVFRE"},
    {0x05800, 1, 4, "WUC"}, {0x05808, 1, 4, "WUFC"}, {0x05810, 1, 4, "WUS"}, {0x05840, 4, 8, "IP4AT"},
    {0x05880, 4, 4, "IP6AT"}, {0x05900, 1, 4, "WUPL"}, {0x05A00, 32, 4, "WUPM"},
    {0x08110, 2, 4, "PFVFTE"}, {0x08120, 1, 4, "MTQC"}, {0x08200, 8, 4, "PFVFSPOOF"}, {0x08220, 1, 4, "PFDTXGSWC"},
    {0x08700, 16, 8, "QBTC_L"}, {0x08704, 16, 8, "QBTC_H"}, {0x08780, 1, 4, "SSVPC"}, {0x08784, 1, 4, "FCOEPTC"},
    {0x08788, 1, 4, "FCOEDWTC"}, {0x087A0, 1, 4, "TXDGPC"}, {0x087A4, 1, 4, "TXDGBCL"}, {0x087A8, 1, 4, "TXDGBCH"},
    {0x087B0, 1, 4, "O2BSPC"}, {0x08800, 1, 4, "SECTXCTRL"}, {0x08804, 1, 4, "SECTXSTAT"},
    {0x08808, 1, 4, "SECTXBUFFAF"}, {0x08810, 1, 4, "SECTXMINIFG"}, {0x08D00, 1, 4, "SECRXCTRL"},
    {0x08D04, 1, 4, "SECRXSTAT"}, {0x09000, 128, 4, "FHFT"}, {0x0A000, 128, 4, "VFTA"}, {0x0A600, 256, 4, "MPSAR"},
    {0x0C800, 1, 4, "RTTUP2TC"}, {0x0CD00, 1, 4, "RTTPCS"}, {0x0CD20, 8, 4, "RTTPT2C"}, {0x0CD40, 8, 4, "RTTPT2S"},
    {0x0CE00, 1, 4, "TFCS"}, {0x0CF90, 1, 4, "MNGPTC"},
    {0x0E000, 128, 4, "SAQF"}, {0x0E200, 128, 4, "DAQF"}, {0x0E400, 128, 4, "SDPQF"}, {0x0E600, 128, 4, "FTQF"},
    {0x0E800, 128, 4, "L34T_IMIR"}, {0x0EA00, 64, 4, "PSRTYPE"}, {0x0EC00, 8, 4, "ETQS"}, {0x0EC30, 1, 4, "SYNQF"},
    {0x0EC70, 1, 4, "RQTC"}, {0x0EE00, 1, 4, "FDIRCTRL"}, {0x0EE68, 1, 4, "FDIRHKEY"}, {0x0EE6C, 1, 4, "FDIRSKEY"},
    {0x0EE70, 1, 4, "FDIRM"}, {0x0F000, 64, 4, "PFVML2FLT"}, {0x0F400, 128, 4, "UTA"},
    {0x10014, 1, 4, "EERD (EEPROM read)"}, {0x10018, 1, 4, "EEWR (EEPROM write)"}, {0x1001C, 1, 4, "FLA (flash access)"},
    {0x10110, 1, 4, "EEMNGCTL"}, {0x10114, 1, 4, "EEMNGDATA"}, {0x10118, 1, 4, "FLMNGCTL"}, {0x1011C, 1, 4, "FLMNGDATA"},
    {0x10120, 1, 4, "FLMNGCNT"}, {0x1013C, 1, 4, "FLOP"}, {0x10140, 1, 4, "SWSM (software semaphore)"},
    {0x10148, 1, 4, "FWSM (firmware semaphore)"}, {0x10150, 1, 4, "FACTPS"},
    {0x10160, 1, 4, "SW_FW_SYNC (GSSR: SW/FW semaphore)"}, {0x10200, 1, 4, "GRC"},
    {0x11000, 1, 4, "GCR (PCIe control)"}, {0x11050, 1, 4, "GCR_EXT"}, {0x11068, 1, 4, "PBACL (MSI-X PBA clear)"},
    {0x11070, 1, 4, "DCA_ID"}, {0x11074, 1, 4, "DCA_CTRL"}, {0x14F00, 1, 4, "CORECTL"}, {0x14F10, 1, 4, "SMADARCTL"},
};

}  // namespace

std::string IxgbeFunction::register_name(uint32_t offset) {
  for (const Named& n : kNames) {
    if (offset < n.base || (offset - n.base) % n.stride != 0) continue;
    const uint32_t i = (offset - n.base) / n.stride;
    if (i >= n.count) continue;
    return n.count == 1 ? std::string(n.name) : std::string(n.name) + "[" + std::to_string(i) + "]";
  }
  return "";
}

IxgbeFunction::IxgbeFunction(sim::World& world, sim::IxgbeConfig config, Options options)
    : model_(world, iommu_, std::move(config)),
      msix_bar_(kMsixBarSize, 0),
      known_(sim::Ixgbe82599::kBarSize / 4, false),
      log_unknown_(options.log_unknown) {
  for (const nic::reg::RegDef& d : nic::ixgbe::kMap)
    for (uint32_t k = 0; k < d.count; ++k)
      if (d.at(k) < sim::Ixgbe82599::kBarSize) known_[d.at(k) / 4] = true;
  model_.on_interrupt = [this](uint32_t vector, uint64_t) {
    if (sink_) sink_(vector);
  };
  build_config(options);
}

IxgbeFunction::~IxgbeFunction() { model_.on_interrupt = nullptr; }

void IxgbeFunction::build_config(const Options& o) {
  ConfigSpace& c = config_;
  using C = ConfigSpace;
  c.init(C::kVendorId, 2, 0x8086);
  c.init(C::kDeviceId, 2, model_.config().device_id);
  // Command: I/O, memory, bus master, parity error response, SERR#, INTx disable are writable.
  c.init(C::kCommand, 2, 0, 0x0547);
  c.init(C::kStatus, 2, 0, 0, 0xF900);
  c.init(C::kRevision, 1, 0x01);
  c.init(C::kClass, 3, 0x020000);  // Ethernet controller
  c.init(C::kCacheLine, 1, 0x10, 0xFF);
  c.init(C::kLatency, 1, 0);
  c.init(C::kHeaderType, 1, 0x00);
  c.init_bar32(0, sim::Ixgbe82599::kBarSize);
  c.init_bar32(3, kMsixBarSize);
  c.init(C::kSubVendor, 2, 0x8086);
  c.init(C::kSubDevice, 2, o.subsystem_id);
  c.init(C::kIntLine, 1, 0xFF, 0xFF);
  c.init(C::kIntPin, 1, 0x01);  // INTA#
  // Power management (PCI PM 1.2): PMC version 3; PMCSR power state (bits 1:0) and PME_En (8) writable,
  // PME_Status (15) write-1-to-clear.
  c.add_capability(C::kCapPm, 0x40, 8);
  c.init(0x42, 2, 0x0003);
  c.init(0x44, 2, 0x0000, 0x0103, 0x8000);
  // MSI: 64-bit address, per-vector masking, one vector (Message Control bits: enable 0, MME 6:4).
  c.add_capability(C::kCapMsi, 0x50, 0x18);
  c.init(0x52, 2, 0x0180, 0x0071);
  c.init(0x54, 4, 0, 0xFFFFFFFC);  // address low
  c.init(0x58, 4, 0, 0xFFFFFFFF);  // address high
  c.init(0x5C, 2, 0, 0xFFFF);      // data
  c.init(0x60, 4, 0, 0x1);         // mask bits
  c.init(0x64, 4, 0);              // pending bits
  // MSI-X: 64 vectors (table size - 1 in bits 10:0); function mask (14) and enable (15) writable.
  c.add_capability(C::kCapMsix, 0x70, 12);
  c.init(0x72, 2, kMsixVectors - 1, 0xC000);
  c.init(0x74, 4, 0x0000 | 3);        // table: BAR3, offset 0
  c.init(0x78, 4, kPbaOffset | 3);    // PBA: BAR3, offset 0x2000
  // PCI Express capability v2, endpoint.
  pcie_cap_ = 0xA0;
  c.add_capability(C::kCapPcie, 0xA0, 0x3C);
  c.init(0xA2, 2, 0x0002);                       // version 2, endpoint
  c.init(0xA4, 4, (1u << 28) | (1u << 15) | 0x2);  // DevCap: FLR, role-based errors, max payload 512 B
  // DevCtl: error reporting enables (3:0), relaxed ordering (4), max payload (7:5), ext tag (8), phantom (9),
  // aux PM (10), no snoop (11), max read request (14:12) writable; Initiate FLR (15) acts and reads 0.
  c.init(0xA8, 2, 0x2810, 0x7FFF);
  c.init(0xAA, 2, 0x0000, 0, 0x000F);            // DevSta: error bits RW1C
  c.init(0xAC, 4, 0x00004C82);                   // LnkCap: 5 GT/s, x8, ASPM L0s+L1, L0s exit latency
  c.init(0xB0, 2, 0x0000, 0x01CB);               // LnkCtl
  c.init(0xB2, 2, 0x1082);                       // LnkSta: 5 GT/s, x8, slot clock
  c.init(0xC4, 4, 0x0000001F);                   // DevCap2: completion timeout ranges A-D, disable
  c.init(0xC8, 2, 0x0000, 0x001F);               // DevCtl2
  c.init(0xCC, 4, 0x00000006);                   // LnkCap2: 2.5 and 5 GT/s
  c.init(0xD0, 2, 0x0002, 0x003F);               // LnkCtl2: target 5 GT/s
  c.init(0xD2, 2, 0x0000);                       // LnkSta2
  c.seal();
}

uint64_t IxgbeFunction::bar_size(uint32_t bar) const {
  if (bar == 0) return sim::Ixgbe82599::kBarSize;
  if (bar == 3) return kMsixBarSize;
  return 0;
}

void IxgbeFunction::note_unknown(uint32_t offset, bool write, uint32_t value) {
  Unknown& u = unknown_[offset];
  if (u.reads + u.writes == 0 && log_unknown_) {
    const std::string n = register_name(offset);
    if (write)
      std::fprintf(log_unknown_, "%s: BAR0 write 0x%08x to 0x%05x%s%s: no such register in the model\n", name().c_str(), value,
                   offset, n.empty() ? "" : " ", n.c_str());
    else
      std::fprintf(log_unknown_, "%s: BAR0 read of 0x%05x%s%s: no such register in the model (reads 0)\n", name().c_str(), offset,
                   n.empty() ? "" : " ", n.c_str());
    std::fflush(log_unknown_);
  }
  if (write) {
    ++u.writes;
    u.last_written = value;
  } else {
    ++u.reads;
  }
}

uint32_t IxgbeFunction::read_reg(uint32_t offset) {
  if (!known_[offset / 4]) [[unlikely]]
    note_unknown(offset, false, 0);
  return model_.read32(offset);
}

void IxgbeFunction::write_reg(uint32_t offset, uint32_t value) {
  if (!known_[offset / 4]) [[unlikely]]
    note_unknown(offset, true, value);
  model_.write32(offset, value);
}

uint64_t IxgbeFunction::bar_read(uint32_t bar, uint64_t offset, uint32_t width) {
  const uint32_t off = static_cast<uint32_t>(offset);
  if (bar == 3) {
    uint64_t v = 0;
    if (off < kPbaOffset) std::memcpy(&v, &msix_bar_[off], width);  // PBA: nothing pending (QEMU keeps it)
    return v;
  }
  switch (width) {
    case 4: return read_reg(off);
    case 8: {
      const uint64_t lo = read_reg(off);
      return lo | static_cast<uint64_t>(read_reg(off + 4)) << 32;
    }
    default: {
      const uint32_t dword = read_reg(off & ~3u);
      return (dword >> (8 * (off & 3))) & (width == 1 ? 0xFFu : 0xFFFFu);
    }
  }
}

void IxgbeFunction::bar_write(uint32_t bar, uint64_t offset, uint32_t width, uint64_t value) {
  const uint32_t off = static_cast<uint32_t>(offset);
  if (bar == 3) {
    if (off < kPbaOffset) std::memcpy(&msix_bar_[off], &value, width);
    return;
  }
  switch (width) {
    case 4: return write_reg(off, static_cast<uint32_t>(value));
    case 8:
      write_reg(off, static_cast<uint32_t>(value));
      return write_reg(off + 4, static_cast<uint32_t>(value >> 32));
    default: {
      ++subword_writes_;
      const uint32_t shift = 8 * (off & 3), mask = (width == 1 ? 0xFFu : 0xFFFFu) << shift;
      const uint32_t dword = read_reg(off & ~3u);
      return write_reg(off & ~3u, (dword & ~mask) | ((static_cast<uint32_t>(value) << shift) & mask));
    }
  }
}

void IxgbeFunction::config_write(uint32_t offset, std::span<const uint8_t> in) {
  config_.write(offset, in);
  // Device Control's Initiate FLR (bit 15: byte 0xA9, bit 7): the function resets; the bit reads back 0.
  const uint32_t flr_byte = pcie_cap_ + 9;
  if (offset <= flr_byte && flr_byte < offset + in.size() && (in[flr_byte - offset] & 0x80)) reset();
}

void IxgbeFunction::reset() {
  ++flrs_;
  config_.reset();
  std::fill(msix_bar_.begin(), msix_bar_.end(), 0);
  model_.fault_reset();
}

uint32_t IxgbeFunction::irq_count(uint32_t index) const {
  switch (index) {
    case VFIO_PCI_INTX_IRQ_INDEX: return 1;
    case VFIO_PCI_MSI_IRQ_INDEX: return 1;
    case VFIO_PCI_MSIX_IRQ_INDEX: return kMsixVectors;
    default: return 0;
  }
}

std::string IxgbeFunction::unknown_report() const {
  std::string s;
  char line[192];
  for (const auto& [off, u] : unknown_) {
    const std::string n = register_name(off);
    std::snprintf(line, sizeof line, "  0x%05x %-36s reads %8llu  writes %8llu%s", off, n.empty() ? "?" : n.c_str(),
                  static_cast<unsigned long long>(u.reads), static_cast<unsigned long long>(u.writes), u.writes ? "  last written 0x" : "");
    s += line;
    if (u.writes) {
      std::snprintf(line, sizeof line, "%08x", u.last_written);
      s += line;
    }
    s += '\n';
  }
  return s;
}

}  // namespace vfio_user
