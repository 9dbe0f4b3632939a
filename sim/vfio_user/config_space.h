// A PCI Express function's configuration space as the device side of a vfio-user server presents it: 4 KiB
// of bytes with per-bit write masks (read-only, read-write, write-1-to-clear), the standard capability list
// and writes that software may make to any byte at any width. The values and which bits are writable are
// the device's (sim/vfio_user/ixgbe_function.cc builds an 82599's); this class only keeps the rules.
//
// BARs: the client (QEMU) emulates BAR registers itself and sizes them from DEVICE_GET_REGION_INFO, but a
// client may also size them the classic way (write all-ones, read back): BAR bits below the BAR's size are
// read-only zeroes here, so that works too.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace vfio_user {

class ConfigSpace {
 public:
  static constexpr uint32_t kSize = 4096;  // PCI Express: 256 bytes of PCI space, then extended space
  // Standard header offsets and bits (PCI Local Bus 3.0 §6.2, PCIe Base 3.0 §7.5, §7.8, §7.9).
  static constexpr uint32_t kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06;
  static constexpr uint32_t kRevision = 0x08, kClass = 0x09, kCacheLine = 0x0C, kLatency = 0x0D;
  static constexpr uint32_t kHeaderType = 0x0E, kBar0 = 0x10, kSubVendor = 0x2C, kSubDevice = 0x2E;
  static constexpr uint32_t kRom = 0x30, kCapPtr = 0x34, kIntLine = 0x3C, kIntPin = 0x3D;
  static constexpr uint16_t kCommandIo = 1u << 0, kCommandMemory = 1u << 1, kCommandBusMaster = 1u << 2;
  static constexpr uint16_t kCommandIntxDisable = 1u << 10;
  static constexpr uint16_t kStatusCapList = 1u << 4;
  static constexpr uint8_t kCapPm = 0x01, kCapMsi = 0x05, kCapPcie = 0x10, kCapMsix = 0x11;

  ConfigSpace() = default;

  // Building (the device's constructor): a value and which of its bits software may change.
  void init(uint32_t offset, uint32_t width, uint32_t value, uint32_t writable = 0, uint32_t w1c = 0);
  // A memory BAR of `size` bytes (a power of two >= 16; 0: no BAR), 32-bit, not prefetchable.
  void init_bar32(uint32_t bar, uint32_t size);
  // Appends a capability of `length` bytes at `offset` (>= 0x40, dword aligned) to the list: its ID and next
  // pointer are set here; the caller fills in the rest with init().
  void add_capability(uint8_t id, uint32_t offset, uint32_t length);
  // The value every byte has at power-on: reset() goes back to it (a function-level reset).
  void seal() { reset_ = bytes_; }
  void reset() { bytes_ = reset_; }

  // Accesses, any width: the caller has checked that [offset, offset + n) lies inside kSize.
  void read(uint32_t offset, std::span<uint8_t> out) const;
  void write(uint32_t offset, std::span<const uint8_t> in);

  uint32_t get(uint32_t offset, uint32_t width) const;
  uint16_t command() const { return static_cast<uint16_t>(get(kCommand, 2)); }
  // Offset of the first capability with `id`, 0 if none.
  uint32_t find_capability(uint8_t id) const;

 private:
  std::array<uint8_t, kSize> bytes_{}, writable_{}, w1c_{}, reset_{};
  uint32_t last_cap_ = 0;  // offset of the last capability in the list (0: none yet)
};

}  // namespace vfio_user
