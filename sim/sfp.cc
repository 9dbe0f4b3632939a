// The SFP+ module and its two-wire bus (sim/sfp.h).
#include "sim/sfp.h"

#include <cstring>

namespace sim {

namespace {

constexpr uint8_t kIdAddress = 0x50;  // 0xA0 >> 1: the serial ID EEPROM (SFF-8472 §4)

void put(std::array<uint8_t, 256>& p, uint8_t at, const char* text, size_t width) {
  const size_t n = std::strlen(text);
  for (size_t i = 0; i < width; ++i) p[at + i] = static_cast<uint8_t>(i < n ? text[i] : ' ');
}

uint8_t sum(const std::array<uint8_t, 256>& p, size_t from, size_t to) {
  uint32_t s = 0;
  for (size_t i = from; i <= to; ++i) s += p[i];
  return static_cast<uint8_t>(s);
}

}  // namespace

SfpModule::SfpModule(Kind kind) : kind_(kind) {
  if (kind == Kind::kEmpty) return;
  auto& p = a0_;
  p[sff::kIdentifier] = sff::kIdSfp;
  p[sff::kExtIdentifier] = 0x04;
  p[sff::kBitRate] = 103;  // 10.3125 GBd
  if (kind == Kind::kDirectAttach) {
    p[sff::kConnector] = 0x21;        // copper pigtail
    p[sff::kCableTechnology] = 0x04;  // passive cable
    p[sff::kCableSpec] = 0x01;        // SFF-8431 appendix E
    put(p, sff::kVendorPn, "NICSIM-DA-1M", 16);
  } else {
    p[sff::kConnector] = 0x07;        // LC
    p[sff::kCompliance10G] = 0x10;    // 10GBASE-SR
    put(p, sff::kVendorPn, "NICSIM-SR", 16);
  }
  put(p, sff::kVendorName, "NICSIM", 16);
  // OUI 00-00-00: neither Intel's nor a cable vendor's a driver knows by name.
  put(p, sff::kVendorSn, "0000000001", 16);
  p[sff::kDiagMonitoring] = 0;  // no digital diagnostics: nothing at 0xA2
  p[sff::kCcBase] = sum(p, 0, 62);
  p[sff::kCcExt] = sum(p, 64, 94);
}

std::string SfpModule::describe() const {
  switch (kind_) {
    case Kind::kEmpty: return "empty cage";
    case Kind::kDirectAttach: return "SFP+ direct-attach passive copper cable";
    case Kind::kSr: return "SFP+ 10GBASE-SR optical module";
  }
  return "?";
}

void SfpModule::drive(bool scl, bool sda) {
  if (scl == scl_) {
    const bool before = this->sda();
    sda_ = sda;
    if (!scl_ || before == this->sda()) return;
    if (before) {  // SDA falls while SCL is high
      on_start();
    } else {       // SDA rises while SCL is high
      ++stats_.stops;
      state_ = State::kIdle;
      slave_sda_ = true;
    }
    return;
  }
  sda_ = sda;  // both changed in one write: data first, then the clock edge
  scl_ = scl;
  if (scl) {
    clocked_ = true;
    on_rise();
  } else if (clocked_) {  // the end of a clock (not the fall that follows a START)
    clocked_ = false;
    on_fall();
  }
}

void SfpModule::on_start() {  // START or repeated START: the pointer survives
  ++stats_.starts;
  state_ = State::kAddress;
  clocked_ = false;
  bit_ = 0;
  shift_ = 0;
  slave_sda_ = true;
}

void SfpModule::on_rise() {
  switch (state_) {
    case State::kAddress:
    case State::kWrite:
      if (bit_ < 8) shift_ = static_cast<uint8_t>(shift_ << 1 | (sda() ? 1 : 0));
      break;
    case State::kRead:
      if (bit_ == 8) master_acked_ = !sda();  // the master pulls SDA low to ask for another byte
      break;
    case State::kIdle:
    case State::kIgnore:
      break;
  }
}

void SfpModule::on_fall() {
  switch (state_) {
    case State::kAddress:
    case State::kWrite:
      if (bit_ < 7) {
        ++bit_;
      } else if (bit_ == 7) {  // a whole byte: acknowledge it (or not) on the ninth clock
        if (state_ == State::kAddress) {
          ack_out_ = kind_ != Kind::kEmpty && (shift_ >> 1) == kIdAddress;
          read_ = shift_ & 1;
          if (!ack_out_) ++stats_.nacked_addresses;
        } else {
          ack_out_ = true;
          if (pointer_next_) {
            pointer_ = shift_;
            pointer_next_ = false;
          } else {
            ++stats_.bytes_written;  // the ID page is read-only: acknowledged, not stored
          }
        }
        slave_sda_ = !ack_out_;
        bit_ = 8;
      } else {  // the acknowledge clock is over
        slave_sda_ = true;
        bit_ = 0;
        shift_ = 0;
        if (state_ == State::kAddress) {
          if (!ack_out_) {
            state_ = State::kIgnore;
          } else if (read_) {
            state_ = State::kRead;
            shift_ = next_read_byte();
            slave_sda_ = shift_ & 0x80;
          } else {
            state_ = State::kWrite;
            pointer_next_ = true;
          }
        }
      }
      break;
    case State::kRead:
      if (bit_ < 7) {
        ++bit_;
        slave_sda_ = (shift_ >> (7 - bit_)) & 1;
      } else if (bit_ == 7) {
        slave_sda_ = true;  // the master drives the acknowledge
        bit_ = 8;
      } else if (master_acked_) {
        bit_ = 0;
        shift_ = next_read_byte();
        slave_sda_ = shift_ & 0x80;
      } else {  // NACK: the read is over; the master sends STOP (or a repeated START)
        state_ = State::kIgnore;
        slave_sda_ = true;
      }
      break;
    case State::kIdle:
    case State::kIgnore:
      break;
  }
}

uint8_t SfpModule::next_read_byte() {
  ++stats_.bytes_read;
  return a0_[pointer_++];  // the pointer wraps at 256 (uint8_t)
}

}  // namespace sim
