// Fuzz target: the simulator's own robustness. Arbitrary MMIO sequences (offsets drawn from the register
// map or anywhere), arbitrary values (ring bases pointing into, across or outside mapped DMA memory), frames
// of any length from the wire, time advancing, cables coming and going. The model may report violations
// (that is its job) but must never crash, hang or touch memory the IOMMU did not map.
#include <cstdint>
#include <cstring>
#include <vector>

#include "driver/ixgbe/regs.h"
#include "fuzz/fuzz_input.h"
#include "sim/sim_backend.h"
#include "sim/world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  sim::World world;
  sim::SimNic nic(world);
  sim::Sink sink;
  sink.keep = false;
  // Some mapped memory the fuzzer can point rings and buffers into (and next to).
  const nic::DmaRegion mem = nic.dma_alloc(64 * 1024, 4096);
  const auto& map = nic::ixgbe::kMap;
  const size_t regs = sizeof(map) / sizeof(map[0]);
  for (int op = 0; op < 2000 && !in.empty(); ++op) {
    switch (in.u8(0, 7)) {
      case 0:
      case 1: {  // write a known register (any element) with a value, often an address inside `mem`
        const auto& r = map[in.u8() % regs];
        const uint32_t off = r.at(in.u8() % r.count);
        uint32_t v = in.u32();
        if (in.u8() & 1) v = static_cast<uint32_t>(mem.iova + (v % (mem.size + 256)));
        else if (in.u8() & 1) v = static_cast<uint32_t>(mem.iova >> 32);
        nic.write32(off, v);
        break;
      }
      case 2:
        nic.read32(map[in.u8() % regs].at(0));
        break;
      case 3:  // anywhere at all
        if (in.u8() & 1) nic.write32(in.u32() % 0x30000, in.u32());
        else nic.read32(in.u32() % 0x30000);
        break;
      case 4: {  // a frame from the wire
        sim::Bytes f(in.u16() % 2100);
        in.bytes(f.data(), f.size());
        world.inject(&nic.device(), std::move(f), world.now());
        break;
      }
      case 5:
        world.advance(in.u16() * uint64_t{in.u8(1, 200)});
        break;
      case 6:
        nic.device().connect(in.u8() & 1 ? &sink : nullptr);
        break;
      case 7: {  // the "driver" scribbles over DMA memory (descriptors the device will read)
        const uint32_t at = in.u16() % (mem.size - 16);
        uint8_t bytes[16];
        in.bytes(bytes, sizeof bytes);
        std::memcpy(static_cast<uint8_t*>(mem.virt) + at, bytes, sizeof bytes);
        break;
      }
    }
  }
  world.advance(1'000'000);
  nic.dma_free(mem);
  return 0;
}
