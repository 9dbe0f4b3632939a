// Typed register access on top of the Backend: reads and writes named by RegDef (+ element index), bit
// set/clear, and bounded polling that turns an absent or wedged device into a clear error instead of a hang.
#pragma once

#include <cstdint>
#include <string>

#include "driver/seam/backend.h"
#include "driver/seam/error.h"
#include "driver/regmap/reg.h"

namespace nic {

class Mmio {
 public:
  explicit Mmio(Backend& backend) : b_(backend) {}

  uint32_t read(const reg::RegDef& r, uint32_t i = 0) { return b_.read32(r.at(i)); }
  void write(const reg::RegDef& r, uint32_t v) { b_.write32(r.at(0), v); }
  void write(const reg::RegDef& r, uint32_t i, uint32_t v) { b_.write32(r.at(i), v); }
  void set_bits(const reg::RegDef& r, uint32_t i, uint32_t mask) { write(r, i, read(r, i) | mask); }
  void clear_bits(const reg::RegDef& r, uint32_t i, uint32_t mask) { write(r, i, read(r, i) & ~mask); }
  void set_bits(const reg::RegDef& r, uint32_t mask) { set_bits(r, 0, mask); }
  void clear_bits(const reg::RegDef& r, uint32_t mask) { clear_bits(r, 0, mask); }

  // Polls until (reg & mask) == want, every `interval_us`, for at most `timeout_us`. Returns false on
  // timeout. Throws DeviceDead when the register reads all-ones (device gone from the bus).
  bool poll(const reg::RegDef& r, uint32_t i, uint32_t mask, uint32_t want, uint32_t timeout_us,
            uint32_t interval_us = 100) {
    for (uint32_t waited = 0;; waited += interval_us) {
      const uint32_t v = read(r, i);
      if (v == 0xFFFFFFFFu && mask != 0xFFFFFFFFu)
        throw DeviceDead(b_.name() + ": " + std::string(r.name) + " reads 0xFFFFFFFF: device removed or dead");
      if ((v & mask) == want) return true;
      if (waited >= timeout_us) return false;
      b_.delay_us(interval_us);
    }
  }
  // Like poll(), but a timeout is an error naming the step.
  void wait(const reg::RegDef& r, uint32_t i, uint32_t mask, uint32_t want, uint32_t timeout_us, const char* step) {
    if (!poll(r, i, mask, want, timeout_us))
      throw Error(b_.name() + ": timeout after " + std::to_string(timeout_us / 1000) + " ms waiting for " + step +
                  " (" + std::string(r.name) + ")");
  }

  Backend& backend() { return b_; }

 private:
  Backend& b_;
};

}  // namespace nic
