// Fuzz target: the simulator's timed (cycle-approximate) model under arbitrary MMIO, DMA and wire input
// (fuzz/sim_ops.h).
#include "fuzz/sim_ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_sim_ops(data, size, sim::Fidelity::kTimed);
}
