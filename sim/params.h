// Every timing and sizing parameter of the simulator, in one place, each with its source.
// "modelled" marks a value no public source pins down; it is chosen to be plausible and is easy to change.
#pragma once

#include <cstdint>

namespace sim {

struct Params {
  // --- Wire (IEEE 802.3): 10 Gbit/s, 0.8 ns per byte; 7 B preamble + 1 B SFD + 12 B inter-frame gap.
  uint64_t wire_ps_per_byte = 800;
  uint32_t preamble_ifg_bytes = 20;
  uint32_t fcs_bytes = 4;
  uint32_t min_frame = 60;  // without FCS; TXPADEN pads shorter frames to this

  // --- Device life cycle.
  uint64_t reset_ns = 500'000;           // CTRL.RST self-clears after this (modelled; datasheet: wait >= 1 ms)
  uint64_t reset_quiet_ns = 1'000'000;   // §8.2.3.1.1: no register access for 1 ms after setting RST
  uint64_t eeprom_ns = 2'000'000;        // EEC.ARD after reset completes (modelled)
  uint64_t dma_init_ns = 2'000'000;      // RDRXCTL.DMAIDONE after reset completes (modelled)
  uint64_t link_up_ns = 50'000'000;      // link up after AN restart with a cable (modelled; Intel shared code
                                         // allows up to 500 ms for KR/SFI)
  uint64_t queue_enable_ns = 10'000;     // RXDCTL/TXDCTL.ENABLE reads back 1 after this (modelled)
};

// Time a frame occupies the wire, in picoseconds (64 B frame: 84 B * 800 ps = 67.2 ns). The device keeps its
// wire schedule in ps so back-to-back frames do not accumulate rounding error.
inline uint64_t wire_time_ps(const Params& p, uint32_t frame_bytes_without_fcs) {
  return static_cast<uint64_t>(frame_bytes_without_fcs + p.fcs_bytes + p.preamble_ifg_bytes) * p.wire_ps_per_byte;
}

}  // namespace sim
