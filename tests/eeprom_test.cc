// The 82599's EEPROM reached directly (sim/spi_eeprom.h): software requests the EEPROM through EEC, waits for
// the grant, then bit-bangs the SPI lines. The master here does what an SPI master of a 25xx-family serial
// EEPROM does in mode 0 (data set up while the clock is low, sampled by the part on the rising edge; the part's
// output read while the clock is high): RDSR until not busy, then READ with an 8-bit byte address, 16 bits per
// word, low byte first. DPDK's ixgbe PMD reads its first EEPROM word this way (before it has looked at EEC's
// size field it takes the bit-bang path), so a model without it fails DPDK's checksum validation.
#include "sim/spi_eeprom.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "driver/ixgbe/regs.h"
#include "sim/ixgbe_model.h"

namespace {

using namespace nic::ixgbe;

struct EecMaster {
  explicit EecMaster(sim::Ixgbe82599& dev) : d(dev) {}
  uint32_t read() { return d.read32(EEC.at()); }
  void write(uint32_t v) { d.write32(EEC.at(), v); }
  bool request() {  // EE_REQ, then EE_GNT; the lines idle: selected off (CS=1), clock low
    eec = read() | eec::kRequest.mask();
    write(eec);
    if (!(read() & eec::kGrant.mask())) return false;
    eec = (eec | eec::kChipSelect.mask()) & ~eec::kClock.mask();
    write(eec);
    return true;
  }
  void release() {
    eec = (eec | eec::kChipSelect.mask()) & ~(eec::kClock.mask() | eec::kRequest.mask());
    write(eec);
  }
  void select() { write(eec &= ~eec::kChipSelect.mask()); }
  void deselect() { write(eec |= eec::kChipSelect.mask()); }
  void clock(bool high) { write(eec = high ? eec | eec::kClock.mask() : eec & ~eec::kClock.mask()); }
  void out(uint32_t bits, int n) {
    for (int i = n - 1; i >= 0; --i) {
      eec = (bits >> i) & 1 ? eec | eec::kDataIn.mask() : eec & ~eec::kDataIn.mask();
      write(eec);
      clock(true);
      clock(false);
    }
    write(eec &= ~eec::kDataIn.mask());
  }
  uint32_t in(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      clock(true);
      v = v << 1 | ((read() & eec::kDataOut.mask()) ? 1 : 0);
      clock(false);
    }
    return v;
  }
  uint16_t word(uint32_t w) {  // RDSR (ready?), then READ of byte address 2w: low byte, then high byte
    select();
    out(0x05, 8);
    EXPECT_EQ(in(8) & 1, 0u) << "never busy";
    deselect();
    select();
    out(0x03 | (2 * w >= 256 ? 0x08 : 0), 8);
    out((2 * w) & 0xFF, 8);
    const uint32_t raw = in(16);
    deselect();
    return static_cast<uint16_t>((raw >> 8) | (raw << 8));
  }
  sim::Ixgbe82599& d;
  uint32_t eec = 0;
};

uint16_t eerd_word(sim::Ixgbe82599& d, uint32_t addr) {
  d.write32(EERD.at(), eerd::kAddr.make(addr) | eerd::kStart.mask());
  return static_cast<uint16_t>(eerd::kData.get(d.read32(EERD.at())));
}

TEST(Eeprom, BitBangedReadsThroughEecGiveTheWordsEerdGives) {
  sim::World world;
  sim::Iommu mmu;
  sim::Ixgbe82599 dev(world, mmu, {});
  world.advance(100'000'000);  // past the reset and the EEPROM auto-read
  EXPECT_EQ(dev.read32(EEC.at()) & eec::kAddrSize.mask(), 0u) << "8-bit SPI addresses";
  EecMaster m(dev);
  ASSERT_TRUE(m.request());
  std::array<uint16_t, 128> spi{}, eerd{};
  for (uint32_t w = 0; w < 128; ++w) spi[w] = m.word(w);
  m.release();
  for (uint32_t w = 0; w < 128; ++w) eerd[w] = eerd_word(dev, w);
  EXPECT_EQ(spi, eerd);
  uint16_t sum = 0;
  for (uint32_t w = 0; w <= 0x3F; ++w) sum = static_cast<uint16_t>(sum + spi[w]);
  EXPECT_EQ(sum, 0xBABA) << "the checksum DPDK validates";
  EXPECT_EQ(m.read() & eec::kGrant.mask(), 0u) << "EE_REQ cleared: the grant goes";
}

// A READ goes on at the next address while the part stays selected (the sequential read of 25xx parts).
TEST(Eeprom, OneReadCommandStreamsConsecutiveBytes) {
  sim::World world;
  sim::Iommu mmu;
  sim::Ixgbe82599 dev(world, mmu, {});
  world.advance(100'000'000);
  EecMaster m(dev);
  ASSERT_TRUE(m.request());
  m.select();
  m.out(0x03, 8);
  m.out(2 * 0x15, 8);
  const uint32_t a = m.in(16), b = m.in(16);
  m.deselect();
  m.release();
  EXPECT_EQ(static_cast<uint16_t>((a >> 8) | (a << 8)), eerd_word(dev, 0x15));
  EXPECT_EQ(static_cast<uint16_t>((b >> 8) | (b << 8)), eerd_word(dev, 0x16));
  EXPECT_EQ(dev.eeprom_spi().stats().bytes_read, 4u);
}

// No grant while the EEPROM auto-read after a reset runs, and none without EE_REQ: the lines do not reach
// the part, whose output stays 0.
TEST(Eeprom, NoGrantWithoutRequestOrDuringTheAutoRead) {
  sim::World world;
  sim::Iommu mmu;
  sim::Ixgbe82599 dev(world, mmu, {});
  dev.write32(CTRL.at(), ctrl::kReset.mask());
  EecMaster m(dev);
  EXPECT_FALSE(m.request()) << "auto-read in progress";
  world.advance(100'000'000);
  m.write(0);
  EXPECT_EQ(m.read() & (eec::kGrant.mask() | eec::kDataOut.mask()), 0u);
  ASSERT_TRUE(m.request());
  EXPECT_EQ(m.word(0x15), eerd_word(dev, 0x15));
  m.release();
  m.select();  // without the grant: nothing reaches the part
  m.out(0x03, 8);
  m.out(0, 8);
  EXPECT_EQ(m.in(16), 0u);
  EXPECT_EQ(dev.eeprom_spi().stats().bytes_read, 2u) << "only the granted read";
}

}  // namespace
