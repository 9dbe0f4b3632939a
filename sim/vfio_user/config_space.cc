#include "sim/vfio_user/config_space.h"

#include <cassert>

namespace vfio_user {

void ConfigSpace::init(uint32_t offset, uint32_t width, uint32_t value, uint32_t writable, uint32_t w1c) {
  assert(width >= 1 && width <= 4 && offset + width <= kSize);
  for (uint32_t i = 0; i < width; ++i) {
    bytes_[offset + i] = static_cast<uint8_t>(value >> (8 * i));
    writable_[offset + i] = static_cast<uint8_t>(writable >> (8 * i));
    w1c_[offset + i] = static_cast<uint8_t>(w1c >> (8 * i));
  }
}

void ConfigSpace::init_bar32(uint32_t bar, uint32_t size) {
  assert(bar < 6 && (size == 0 || (size >= 16 && (size & (size - 1)) == 0)));
  // Memory space, 32-bit, not prefetchable: type bits 3:0 are zero and read-only; address bits below the
  // size read as zero (how classic BAR sizing learns the size).
  init(kBar0 + 4 * bar, 4, 0, size == 0 ? 0 : ~(size - 1));
}

void ConfigSpace::add_capability(uint8_t id, uint32_t offset, uint32_t length) {
  assert(offset >= 0x40 && offset % 4 == 0 && offset + length <= 0x100 && length >= 2);
  init(offset, 1, id);
  init(offset + 1, 1, 0);  // next: end of list, until another one is appended
  if (last_cap_ == 0) {
    init(kCapPtr, 1, offset);
    init(kStatus, 2, get(kStatus, 2) | kStatusCapList, 0, 0xF900);  // error bits 15:11, 8 are RW1C
  } else {
    init(last_cap_ + 1, 1, offset);
  }
  last_cap_ = offset;
}

void ConfigSpace::read(uint32_t offset, std::span<uint8_t> out) const {
  for (size_t i = 0; i < out.size(); ++i) out[i] = bytes_[offset + i];
}

void ConfigSpace::write(uint32_t offset, std::span<const uint8_t> in) {
  for (size_t i = 0; i < in.size(); ++i) {
    const uint32_t at = offset + static_cast<uint32_t>(i);
    const uint8_t v = in[i];
    uint8_t b = static_cast<uint8_t>((bytes_[at] & ~writable_[at]) | (v & writable_[at]));
    b = static_cast<uint8_t>(b & ~(v & w1c_[at]));  // write 1 to clear
    bytes_[at] = b;
  }
}

uint32_t ConfigSpace::get(uint32_t offset, uint32_t width) const {
  uint32_t v = 0;
  for (uint32_t i = 0; i < width && offset + i < kSize; ++i) v |= static_cast<uint32_t>(bytes_[offset + i]) << (8 * i);
  return v;
}

uint32_t ConfigSpace::find_capability(uint8_t id) const {
  if (!(get(kStatus, 2) & kStatusCapList)) return 0;
  uint32_t at = get(kCapPtr, 1) & ~3u;
  for (int guard = 0; at >= 0x40 && at < 0x100 && guard < 48; ++guard) {
    if (bytes_[at] == id) return at;
    at = bytes_[at + 1] & ~3u;
  }
  return 0;
}

}  // namespace vfio_user
