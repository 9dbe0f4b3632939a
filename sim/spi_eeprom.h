// The 82599's EEPROM as software reaches it directly: an SPI serial EEPROM (datasheet §3.4, "EEPROM
// interface") whose four lines software bit-bangs through EEC (§8.2.3.2.1: EE_SK clock, EE_CS chip select,
// EE_DI data into the EEPROM, EE_DO data out of it) once the MAC has granted access (EE_REQ set, EE_GNT read
// back). The same words EERD reads (§8.2.3.2.2).
//
// Modelled at the level of the lines, as SPI serial EEPROMs of the 25xx family behave (SPI mode 0; e.g.
// Microchip 25AA/25LC or Atmel AT25 data sheets, "Read sequence" and "Read status register"):
// - EE_CS is active low: EEC.EE_CS = 1 deselects the EEPROM and ends a command; its falling edge starts one.
// - The EEPROM samples EE_DI on EE_SK's rising edge and, once a read command has its last address bit,
//   drives EE_DO with the next data bit after each falling edge, most significant bit first.
// - READ (0x03; bit 3 is address bit A8 on parts with 8-bit addresses): an 8-bit byte address follows
//   (EEC.EE_ADDR_SIZE = 0), then bytes from that address on, the address incrementing. Byte 2w is the low
//   byte of word w. RDSR (0x05) returns the status register, repeatedly: 0 (never busy: nothing is written).
// - Any other opcode (WREN, WRITE, ...) is taken and ignored: the modelled EEPROM is read-only.
#pragma once

#include <cstdint>
#include <span>

namespace sim {

class SpiEeprom {
 public:
  // `words`: the EEPROM's contents (owned by the device model, which also serves them through EERD).
  explicit SpiEeprom(std::span<const uint16_t> words) : words_(words) {}

  // The lines software drives through EEC (a write of EEC). `cs` is the EEC bit: 1 = deselected.
  void drive(bool sk, bool cs, bool di);
  bool dout() const { return do_; }  // EEC.EE_DO
  void reset() { drive(false, true, false); }

  struct Stats {
    uint64_t commands = 0;    // chip selects with at least an opcode
    uint64_t bytes_read = 0;  // data bytes shifted out by READ
    uint64_t status_reads = 0;  // RDSR commands
  };
  const Stats& stats() const { return stats_; }

 private:
  enum class Phase { kIdle, kOpcode, kAddress, kData, kStatus, kIgnore };
  uint8_t byte_at(uint32_t a) const;
  std::span<const uint16_t> words_;
  bool sk_ = false, cs_ = true, do_ = false;
  Phase phase_ = Phase::kIdle;
  uint32_t shift_ = 0, bits_ = 0;  // bits taken in of the current opcode or address
  uint32_t addr_ = 0;              // byte address of the next data byte (READ)
  uint8_t out_ = 0;                // the byte being shifted out
  uint32_t out_bits_ = 0;          // bits of it still to drive
  uint8_t opcode_ = 0;
  Stats stats_;
};

}  // namespace sim
