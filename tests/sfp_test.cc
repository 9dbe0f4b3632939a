// The SFP+ module on its two-wire bus (sim/sfp.h), driven by a bit-banging master that does what an I2C
// master does (NXP UM10204 §3.1): START, address byte, ACK sampled on the ninth clock, random read (pointer
// write, repeated START, read with ACK per byte, NACK on the last), STOP.
#include "sim/sfp.h"

#include <gtest/gtest.h>

#include "driver/ixgbe/regs.h"
#include "sim/ixgbe_model.h"

#include <memory>
#include <string>
#include <vector>

namespace {

using sim::SfpModule;

// The lines a master drives and reads: the module directly, or the model's I2CCTL register.
struct Lines {
  virtual ~Lines() = default;
  virtual void drive(bool scl, bool sda) = 0;
  virtual bool sda() = 0;
};
struct ModuleLines final : Lines {
  explicit ModuleLines(SfpModule& module) : m(module) {}
  void drive(bool scl, bool sda) override { m.drive(scl, sda); }
  bool sda() override { return m.sda(); }
  SfpModule& m;
};
// Through BAR0, as Linux's ixgbe does it: read I2CCTL, change an OUT bit, write it back; sample DATA_IN.
struct RegisterLines final : Lines {
  explicit RegisterLines(sim::Ixgbe82599& dev) : d(dev) {}
  void drive(bool scl, bool sda) override {
    namespace i = nic::ixgbe::i2cctl;
    uint32_t v = d.read32(nic::ixgbe::I2CCTL.at());
    v = scl ? v | i::kClkOut.mask() : v & ~i::kClkOut.mask();
    v = sda ? v | i::kDataOut.mask() : v & ~i::kDataOut.mask();
    d.write32(nic::ixgbe::I2CCTL.at(), v);
    EXPECT_EQ((d.read32(nic::ixgbe::I2CCTL.at()) & i::kClkIn.mask()) != 0, scl) << "SCL reads back as driven";
  }
  bool sda() override { return d.read32(nic::ixgbe::I2CCTL.at()) & nic::ixgbe::i2cctl::kDataIn.mask(); }
  sim::Ixgbe82599& d;
};

class Master {
 public:
  explicit Master(SfpModule& m) : own_(std::make_unique<ModuleLines>(m)), m_(*own_) {}
  explicit Master(Lines& l) : m_(l) {}
  void set(bool scl, bool sda) {
    scl_ = scl;
    sda_ = sda;
    m_.drive(scl, sda);
  }
  void start() {  // from idle or after a byte (SCL low): SDA high, SCL high, SDA low, SCL low
    set(false, true);
    set(true, true);
    set(true, false);
    set(false, false);
  }
  void stop() {
    set(false, false);
    set(true, false);
    set(true, true);
  }
  bool clock_bit_out(bool b) {  // returns what SDA read while SCL was high
    set(false, b);
    set(true, b);
    const bool line = m_.sda();
    set(false, b);
    return line;
  }
  bool clock_bit_in() {
    set(false, true);  // release SDA
    set(true, true);
    const bool line = m_.sda();
    set(false, true);
    return line;
  }
  // Sends a byte MSB first; returns true if the slave acknowledged it.
  bool write_byte(uint8_t v) {
    for (int i = 7; i >= 0; --i) clock_bit_out(v >> i & 1);
    return !clock_bit_in();
  }
  uint8_t read_byte(bool ack) {
    uint8_t v = 0;
    for (int i = 0; i < 8; ++i) v = static_cast<uint8_t>(v << 1 | clock_bit_in());
    clock_bit_out(!ack);
    return v;
  }
  // Random read: [0xA0][pointer] Sr [0xA1] n bytes. Empty on a NACK anywhere.
  std::vector<uint8_t> read(uint8_t dev, uint8_t pointer, size_t n) {
    std::vector<uint8_t> out;
    start();
    if (!write_byte(dev) || !write_byte(pointer)) {
      stop();
      return out;
    }
    start();
    if (!write_byte(dev | 1)) {
      stop();
      return out;
    }
    for (size_t i = 0; i < n; ++i) out.push_back(read_byte(i + 1 < n));
    stop();
    return out;
  }

 private:
  std::unique_ptr<Lines> own_;
  Lines& m_;
  bool scl_ = true, sda_ = true;
};

TEST(Sfp, DirectAttachIdPageSaysSfpPassiveCableWithValidChecksums) {
  SfpModule m(SfpModule::Kind::kDirectAttach);
  const auto& p = m.id_page();
  EXPECT_EQ(p[sim::sff::kIdentifier], 0x03);
  EXPECT_EQ(p[sim::sff::kCableTechnology], 0x04);
  EXPECT_EQ(p[sim::sff::kCompliance10G], 0x00);
  uint32_t s = 0;
  for (int i = 0; i <= 62; ++i) s += p[i];
  EXPECT_EQ(p[sim::sff::kCcBase], s & 0xFF);
  s = 0;
  for (int i = 64; i <= 94; ++i) s += p[i];
  EXPECT_EQ(p[sim::sff::kCcExt], s & 0xFF);
  SfpModule sr(SfpModule::Kind::kSr);
  EXPECT_EQ(sr.id_page()[sim::sff::kCompliance10G], 0x10);
  EXPECT_EQ(sr.id_page()[sim::sff::kCableTechnology], 0x00);
}

TEST(Sfp, RandomReadReturnsTheIdPageFromThePointer) {
  SfpModule m(SfpModule::Kind::kDirectAttach);
  Master bus(m);
  const auto one = bus.read(0xA0, sim::sff::kIdentifier, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], 0x03);
  const auto name = bus.read(0xA0, sim::sff::kVendorName, 16);
  ASSERT_EQ(name.size(), 16u);
  EXPECT_EQ(std::string(name.begin(), name.end()), "NICSIM          ");
  // The whole page, in one read, byte for byte.
  const auto all = bus.read(0xA0, 0, 255);
  ASSERT_EQ(all.size(), 255u);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], m.id_page()[i]) << "byte " << i;
  EXPECT_EQ(m.stats().bytes_read, 1u + 16u + 255u);
  EXPECT_EQ(m.stats().starts, 6u);  // START and repeated START per read
  EXPECT_EQ(m.stats().stops, 3u);
}

TEST(Sfp, CurrentAddressReadGoesOnWhereTheLastReadEnded) {
  SfpModule m(SfpModule::Kind::kSr);
  Master bus(m);
  ASSERT_EQ(bus.read(0xA0, sim::sff::kCompliance10G, 1).size(), 1u);
  bus.start();
  ASSERT_TRUE(bus.write_byte(0xA1));
  EXPECT_EQ(bus.read_byte(false), m.id_page()[sim::sff::kCompliance10G + 1]);
  bus.stop();
}

TEST(Sfp, OtherAddressesAndAnEmptyCageAreNotAcknowledged) {
  SfpModule m(SfpModule::Kind::kDirectAttach);
  Master bus(m);
  EXPECT_TRUE(bus.read(0xA2, 0, 1).empty());  // no digital diagnostics
  EXPECT_TRUE(bus.read(0xAC, 0, 1).empty());
  EXPECT_EQ(m.stats().nacked_addresses, 2u);
  EXPECT_EQ(bus.read(0xA0, 0, 1).size(), 1u);  // the bus is usable after a NACK

  SfpModule empty(SfpModule::Kind::kEmpty);
  Master none(empty);
  EXPECT_TRUE(none.read(0xA0, 0, 1).empty());
  EXPECT_TRUE(empty.sda());  // nobody holds the line
}

TEST(Sfp, SdaIsTheWiredAndOfBothDriversAndSclIsTheMasters) {
  SfpModule m(SfpModule::Kind::kDirectAttach);
  m.drive(true, true);
  EXPECT_TRUE(m.scl());
  EXPECT_TRUE(m.sda());
  m.drive(true, false);  // START
  EXPECT_FALSE(m.sda());
  m.drive(false, false);
  EXPECT_FALSE(m.scl());
  EXPECT_EQ(m.stats().starts, 1u);
}

TEST(Sfp, WritesAreAcknowledgedButDoNotChangeThePage) {
  SfpModule m(SfpModule::Kind::kDirectAttach);
  const auto before = m.id_page();
  Master bus(m);
  bus.start();
  ASSERT_TRUE(bus.write_byte(0xA0));
  ASSERT_TRUE(bus.write_byte(0x10));
  EXPECT_TRUE(bus.write_byte(0x55));
  bus.stop();
  EXPECT_EQ(m.stats().bytes_written, 1u);
  EXPECT_EQ(m.id_page(), before);
  EXPECT_EQ(bus.read(0xA0, 0x10, 1).at(0), before[0x10]);
}

// The model: the module in its cage answers through I2CCTL; ESDP.SDP2 says whether a module is there; the
// EEPROM has the init-sequence list Linux's ixgbe looks the module type up in.
TEST(Sfp, TheModelsI2cctlReachesTheModuleAndEsdpSaysItIsPresent) {
  for (auto kind : {SfpModule::Kind::kDirectAttach, SfpModule::Kind::kSr, SfpModule::Kind::kEmpty}) {
    sim::World world;
    sim::Iommu mmu;
    sim::IxgbeConfig c;
    c.sfp = kind;
    sim::Ixgbe82599 dev(world, mmu, c);
    RegisterLines lines(dev);
    Master bus(lines);
    const auto id = bus.read(0xA0, sim::sff::kIdentifier, 1);
    const auto tech = bus.read(0xA0, sim::sff::kCableTechnology, 1);
    const bool present = dev.read32(nic::ixgbe::ESDP.at()) & nic::ixgbe::esdp::kSdp2.mask();
    if (kind == SfpModule::Kind::kEmpty) {
      EXPECT_TRUE(id.empty());
      EXPECT_FALSE(present);
      continue;
    }
    ASSERT_EQ(id.size(), 1u);
    EXPECT_EQ(id[0], 0x03);
    ASSERT_EQ(tech.size(), 1u);
    EXPECT_EQ(tech[0], kind == SfpModule::Kind::kDirectAttach ? 0x04 : 0x00);
    EXPECT_TRUE(present);
    EXPECT_EQ(dev.sfp().stats().bytes_read, 2u);
  }
}

uint16_t eeprom_word(sim::Ixgbe82599& d, uint32_t addr) {
  namespace e = nic::ixgbe::eerd;
  d.write32(nic::ixgbe::EERD.at(), e::kAddr.make(addr) | e::kStart.mask());
  const uint32_t v = d.read32(nic::ixgbe::EERD.at());
  EXPECT_TRUE(v & e::kDone.mask());
  return static_cast<uint16_t>(e::kData.get(v));
}

// The lookup Linux's ixgbe does (word 0x2B -> list of {type, offset} after one skipped word, 0xFFFF ends it),
// for each module type it can compute, and the checksum over words 0x00-0x3F that it validates first.
TEST(Sfp, TheEepromListsAnInitSequenceForEveryModuleTypeAndKeepsItsChecksum) {
  sim::World world;
  sim::Iommu mmu;
  sim::Ixgbe82599 dev(world, mmu, {});
  EXPECT_EQ(nic::ixgbe::eec::kSize.get(dev.read32(nic::ixgbe::EEC.at())), 1u);  // 128 words
  uint16_t sum = 0;
  for (uint32_t i = 0; i <= 0x3F; ++i) sum = static_cast<uint16_t>(sum + eeprom_word(dev, i));
  EXPECT_EQ(sum, 0xBABA);
  const uint16_t list = eeprom_word(dev, 0x2B);
  ASSERT_NE(list, 0);
  ASSERT_NE(list, 0xFFFF);
  for (uint16_t type : {3, 4, 5, 6}) {  // DA copper LAN 0/1, SR/LR LAN 0/1
    uint32_t at = list + 1u;
    uint16_t id = eeprom_word(dev, at);
    while (id != 0xFFFF && id != type) id = eeprom_word(dev, at += 2);
    ASSERT_EQ(id, type) << "no init sequence for module type " << type;
    const uint16_t seq = eeprom_word(dev, at + 1);
    ASSERT_NE(seq, 0);
    ASSERT_NE(seq, 0xFFFF);
    uint32_t n = 0;
    while (eeprom_word(dev, seq + 1 + n) != 0xFFFF) ASSERT_LT(++n, 64u) << "sequence not terminated";
  }
  EXPECT_EQ(eeprom_word(dev, 0x2C) & 0x1, 0x1);  // any SFP+ vendor allowed
}

// Linux's ixgbe restarts auto-negotiation after the module's setup and fails its probe unless ANLP1's
// AN_STATE leaves 0; a reset puts it back.
TEST(Sfp, AnRestartMovesAnlp1AnStateAndResetClearsIt) {
  sim::World world;
  sim::Iommu mmu;
  sim::Ixgbe82599 dev(world, mmu, {});
  using namespace nic::ixgbe;
  EXPECT_EQ(anlp1::kAnState.get(dev.read32(ANLP1.at())), 0u);
  dev.write32(AUTOC.at(), dev.read32(AUTOC.at()) | autoc::kAnRestart.mask());
  EXPECT_NE(anlp1::kAnState.get(dev.read32(ANLP1.at())), 0u);
  dev.write32(CTRL.at(), ctrl::kReset.mask());
  EXPECT_EQ(anlp1::kAnState.get(dev.read32(ANLP1.at())), 0u);
}

}  // namespace
