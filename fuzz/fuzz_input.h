// Reads typed values from a fuzzer's byte string; past the end it yields zeros (and empty() turns true).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  size_t remaining() const { return n_; }
  uint8_t u8() { return take<uint8_t>(); }
  // A byte mapped into [lo, hi].
  uint32_t u8(uint32_t lo, uint32_t hi) { return lo + u8() % (hi - lo + 1); }
  uint16_t u16() { return take<uint16_t>(); }
  uint32_t u32() { return take<uint32_t>(); }
  uint64_t u64() { return take<uint64_t>(); }
  // Up to `max` raw bytes.
  size_t bytes(uint8_t* dst, size_t max) {
    const size_t k = max < n_ ? max : n_;
    if (k == 0) return 0;
    std::memcpy(dst, p_, k);
    p_ += k;
    n_ -= k;
    return k;
  }

 private:
  template <typename T>
  T take() {
    T v{};
    const size_t k = sizeof(T) < n_ ? sizeof(T) : n_;
    std::memcpy(&v, p_, k);
    p_ += k;
    n_ -= k;
    return v;
  }
  const uint8_t* p_;
  size_t n_;
};

}  // namespace fuzz
