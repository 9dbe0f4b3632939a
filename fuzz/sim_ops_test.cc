// The functional fuzz target starts from a working port (fuzz/sim_ops.h bring_up()): check that it is one, or
// the fuzzer would spend its time on a device that never moves a frame.
#include <gtest/gtest.h>

#include "fuzz/sim_ops.h"

namespace {

TEST(SimOpsBringUp, ReceivesAndTransmitsUnderBothModels) {
  for (sim::Fidelity fidelity : {sim::Fidelity::kTimed, sim::Fidelity::kFunctional}) {
    sim::World world({}, fidelity);
    sim::SimNic nic(world);
    sim::Sink sink;
    nic.device().connect(&sink);
    const nic::DmaRegion mem = nic.dma_alloc(64 * 1024, 4096);
    fuzz::bring_up(nic, mem);
    EXPECT_TRUE(nic.device().link_up());
    world.inject(&nic.device(), sim::Bytes(100, 0x42), world.now());
    world.advance(100'000);
    const auto* rx = static_cast<const nic::AdvRxDesc*>(mem.virt);
    EXPECT_TRUE(rx[0].wb.status_error & nic::rxd::kStatusDD);
    EXPECT_EQ(rx[0].wb.length, 100u);
    nic.write32(nic::ixgbe::TDT.at(0), 4);
    world.advance(100'000);
    EXPECT_EQ(sink.kept.size(), 4u);
    EXPECT_EQ(nic.device().diag().total(), 0u) << nic.device().diag().summary();
    nic.dma_free(mem);
  }
}

}  // namespace
