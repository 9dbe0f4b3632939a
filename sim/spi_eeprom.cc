#include "sim/spi_eeprom.h"

namespace sim {

namespace {
constexpr uint8_t kRead = 0x03, kReadStatus = 0x05;
constexpr uint8_t kA8 = 0x08;  // READ's address bit 8 on parts with 8-bit addresses
}  // namespace

uint8_t SpiEeprom::byte_at(uint32_t a) const {
  const uint32_t w = a / 2;
  if (w >= words_.size()) return 0xFF;  // beyond the part: an erased cell's value
  return static_cast<uint8_t>(a % 2 ? words_[w] >> 8 : words_[w]);
}

void SpiEeprom::drive(bool sk, bool cs, bool di) {
  const bool select = cs_ && !cs, deselect = !cs_ && cs;
  const bool rise = !sk_ && sk, fall = sk_ && !sk;
  cs_ = cs, sk_ = sk;
  if (deselect || cs) {  // the command ends; the output floats (reads 0 through EEC)
    if (deselect && phase_ != Phase::kIdle && phase_ != Phase::kOpcode) ++stats_.commands;
    phase_ = Phase::kIdle, do_ = false;
    return;
  }
  if (select) phase_ = Phase::kOpcode, shift_ = 0, bits_ = 0;
  if (rise) {
    switch (phase_) {
      case Phase::kOpcode:
        shift_ = shift_ << 1 | di;
        if (++bits_ == 8) {
          opcode_ = static_cast<uint8_t>(shift_);
          shift_ = 0, bits_ = 0;
          if ((opcode_ & ~kA8) == kRead) {
            phase_ = Phase::kAddress;
          } else if (opcode_ == kReadStatus) {
            phase_ = Phase::kStatus, out_ = 0, out_bits_ = 8;
            ++stats_.status_reads;
          } else {
            phase_ = Phase::kIgnore;
          }
        }
        break;
      case Phase::kAddress:
        shift_ = shift_ << 1 | di;
        if (++bits_ == 8) {
          addr_ = shift_ | ((opcode_ & kA8) ? 0x100u : 0u);
          phase_ = Phase::kData, out_ = byte_at(addr_), out_bits_ = 8;
        }
        break;
      default:
        break;  // data in during output phases is not looked at
    }
    return;
  }
  if (fall && (phase_ == Phase::kData || phase_ == Phase::kStatus)) {
    if (out_bits_ == 0) {  // the next byte: READ goes on at the next address, RDSR repeats the status
      if (phase_ == Phase::kData) {
        ++stats_.bytes_read;
        out_ = byte_at(++addr_);
      }
      out_bits_ = 8;
    }
    do_ = (out_ >> --out_bits_) & 1;
  }
}

}  // namespace sim
