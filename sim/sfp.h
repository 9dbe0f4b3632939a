// An SFP+ module in the 82599's cage, as the driver reaches it: a two-wire (I2C) bus the MAC bit-bangs through
// I2CCTL (82599 datasheet §8.2.3.1.5), and on that bus the module's serial ID EEPROM (SFF-8472 / SFF-8079:
// device address 0xA0, 256 bytes).
//
// The bus is modelled at the level the driver drives it: every change of the two lines the MAC drives (SCL,
// SDA; open drain, so a 1 releases the line) is an edge; the module samples SDA on SCL's rising edge and
// changes its own SDA output only while SCL is low. START is SDA falling while SCL is high, STOP is SDA rising
// while SCL is high (I2C-bus specification, NXP UM10204 §3.1.4). The module never stretches the clock, so
// SCL reads back as the MAC drives it; SDA reads back as the wired AND of both drivers.
//
// What the module does (SFF-8472 §4): a write of [address+W][pointer] sets the byte pointer; a read
// [address+R] returns bytes from the pointer on, incrementing it, until the master NACKs; a write's further
// bytes are acknowledged and ignored (the ID page is read-only). Any other device address is not
// acknowledged (the modelled modules have no digital diagnostics, so 0xA2 is not either: SFF-8472 byte 92 is
// 0), and an empty cage acknowledges nothing: SDA stays high.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace sim {

// SFF-8472 Table 4-1 (serial ID, address 0xA0): the bytes a driver identifies a module by.
namespace sff {
inline constexpr uint8_t kIdentifier = 0;        // 0x03: SFP/SFP+
inline constexpr uint8_t kIdSfp = 0x03;
inline constexpr uint8_t kExtIdentifier = 1;     // 0x04: serial ID defined by two-wire interface
inline constexpr uint8_t kConnector = 2;         // 0x07: LC, 0x21: copper pigtail
inline constexpr uint8_t kCompliance10G = 3;     // bit 4: 10GBASE-SR, bit 5: 10GBASE-LR, bit 6: 10GBASE-LRM
inline constexpr uint8_t kCompliance1G = 6;      // bit 0: 1000BASE-SX, 1: LX, 2: CX, 3: 1000BASE-T
inline constexpr uint8_t kCableTechnology = 8;   // bit 2: passive cable, bit 3: active cable
inline constexpr uint8_t kBitRate = 12;          // nominal, units of 100 MBd
inline constexpr uint8_t kVendorName = 20;       // 16 bytes, ASCII, space padded
inline constexpr uint8_t kVendorOui = 37;        // 3 bytes
inline constexpr uint8_t kVendorPn = 40;         // 16 bytes
inline constexpr uint8_t kCableSpec = 60;        // passive cable: SFF-8431 appendix E compliance (bit 0)
inline constexpr uint8_t kCcBase = 63;           // checksum of bytes 0-62
inline constexpr uint8_t kVendorSn = 68;         // 16 bytes
inline constexpr uint8_t kDiagMonitoring = 92;   // 0: no digital diagnostics (page 0xA2 not implemented)
inline constexpr uint8_t kCcExt = 95;            // checksum of bytes 64-94
}  // namespace sff

class SfpModule {
 public:
  enum class Kind { kEmpty, kDirectAttach, kSr };
  // A module of `kind`; kEmpty is an empty cage (nothing on the bus answers).
  explicit SfpModule(Kind kind = Kind::kDirectAttach);

  Kind kind() const { return kind_; }
  const std::array<uint8_t, 256>& id_page() const { return a0_; }
  std::string describe() const;

  // The MAC's drivers changed (SCL and SDA as I2CCTL's CLK_OUT and DATA_OUT hold them: 1 = released).
  void drive(bool scl, bool sda);
  // The lines as the MAC reads them back (I2CCTL CLK_IN, DATA_IN).
  bool scl() const { return scl_; }
  bool sda() const { return sda_ && slave_sda_; }

  // What the bus saw, for tests and reports.
  struct Stats {
    uint64_t starts = 0, stops = 0, bytes_read = 0, bytes_written = 0, nacked_addresses = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  enum class State { kIdle, kAddress, kWrite, kRead, kIgnore };
  void on_start();
  void on_rise();
  void on_fall();
  uint8_t next_read_byte();

  Kind kind_;
  std::array<uint8_t, 256> a0_{};
  bool scl_ = true, sda_ = true;  // the MAC's drivers
  bool slave_sda_ = true;         // the module's driver
  State state_ = State::kIdle;
  bool clocked_ = false;          // SCL has risen since the last START or falling edge
  uint32_t bit_ = 0;              // clock of the current byte: 0-7 data, 8 acknowledge
  uint8_t shift_ = 0;
  bool ack_out_ = false;          // the module acknowledges the byte just received
  bool master_acked_ = false;     // the master acknowledged the byte just sent
  bool pointer_next_ = false;     // the next byte written is the byte pointer
  bool read_ = false;             // the addressed transfer is a read
  uint8_t pointer_ = 0;
  Stats stats_;
};

}  // namespace sim
