// Fuzz target: the simulator's functional model (sim/ixgbe_functional.cc: engines that run at the doorbell)
// under the same arbitrary MMIO, DMA and wire input as sim_mmio_fuzz (fuzz/sim_ops.h), starting from a port
// whose rx and tx queues already run.
#include "fuzz/sim_ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_sim_ops(data, size, sim::Fidelity::kFunctional, /*preamble=*/true);
}
