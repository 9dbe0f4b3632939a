// Typed register maps built from constexpr data (in the spirit of Fuchsia's hwreg and Snabb's tables).
//
// A register map is a constexpr array of RegDef. Each entry names a register (or an array of them), its
// offset, stride, access semantics, reset value and the datasheet section that defines it. The same table
// serves the driver (offsets, fields), the simulator (reset values, access rules, names of unknown accesses)
// and the tests. check_map() proves at compile time that offsets are aligned and no two registers overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace nic::reg {

// How a register behaves. The simulator implements each kind generically; special registers (CTRL.RST,
// EICR, ...) get their own rule on top.
enum class Access : uint8_t {
  kRW,   // read/write
  kRO,   // read-only, writes ignored (the simulator reports them)
  kRC,   // read-only, cleared on read (statistics)
  kWO,   // write-only, reads return 0 (EIMC, EICS)
  kRW1C, // write 1 to clear (EICR)
};

// A bit field inside a 32-bit register.
struct Field {
  uint8_t shift;
  uint8_t width;

  constexpr uint32_t mask() const { return (width >= 32 ? ~0u : ((1u << width) - 1u)) << shift; }
  constexpr uint32_t get(uint32_t reg) const { return (reg & mask()) >> shift; }
  constexpr uint32_t set(uint32_t reg, uint32_t v) const { return (reg & ~mask()) | make(v); }
  constexpr uint32_t make(uint32_t v) const { return (v << shift) & mask(); }
  constexpr bool fits(uint32_t v) const { return width >= 32 || v < (1u << width); }
};

constexpr Field bit(uint8_t n) { return Field{n, 1}; }

// One register, or an array of `count` registers `stride` bytes apart.
struct RegDef {
  std::string_view name;
  uint32_t base;
  uint32_t count = 1;
  uint32_t stride = 4;
  Access access = Access::kRW;
  uint32_t reset = 0;          // value after a global reset (0 when the datasheet gives EEPROM-loaded values)
  int64_t reset_rest = -1;     // when >= 0: reset value of elements 1..count-1 (element 0 takes `reset`)
  std::string_view section{};  // 82599 datasheet (rev. 3.3) section, e.g. "8.2.3.1.1"

  // Offset of element i; out-of-range indices are a programming error caught by tests/asserts.
  constexpr uint32_t at(uint32_t i = 0) const { return base + i * stride; }
  constexpr uint32_t last() const { return base + (count - 1) * stride; }
  constexpr uint32_t reset_of(uint32_t i) const {
    return (i > 0 && reset_rest >= 0) ? static_cast<uint32_t>(reset_rest) : reset;
  }
  // If `offset` is one of this register's elements, its index; otherwise -1.
  constexpr int64_t index_of(uint32_t offset) const {
    if (offset < base || offset > last()) return -1;
    if ((offset - base) % stride != 0) return -1;
    return (offset - base) / stride;
  }
};

// Compile-time validation of a whole map: every offset 4-byte aligned, strides multiples of 4, no register
// of one entry coinciding with a register of another. Returns true or fails the build.
template <size_t N>
constexpr bool check_map(const RegDef (&map)[N]) {
  for (size_t i = 0; i < N; ++i) {
    const RegDef& a = map[i];
    if (a.base % 4 != 0 || a.stride % 4 != 0 || a.count == 0 || a.name.empty()) return false;
    for (size_t j = i + 1; j < N; ++j) {
      const RegDef& b = map[j];
      if (a.name == b.name) return false;
      // Element-wise collision check (arrays may interleave with distinct offsets, e.g. RDBAL/RDBAH).
      for (uint32_t k = 0; k < a.count; ++k)
        if (b.index_of(a.at(k)) >= 0) return false;
    }
  }
  return true;
}

// Lookup by offset (for the simulator and for diagnostics). Linear; callers cache what they need.
struct Hit {
  const RegDef* def = nullptr;
  uint32_t index = 0;
};

constexpr Hit find(std::span<const RegDef> map, uint32_t offset) {
  for (const RegDef& d : map) {
    int64_t i = d.index_of(offset);
    if (i >= 0) return Hit{&d, static_cast<uint32_t>(i)};
  }
  return Hit{};
}

}  // namespace nic::reg
