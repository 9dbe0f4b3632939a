// The body of the simulator fuzz targets (sim_mmio_fuzz: the timed model; sim_functional_fuzz: the functional
// one). Arbitrary MMIO sequences (offsets drawn from the register map or anywhere), arbitrary values (ring
// bases pointing into, across or outside mapped DMA memory), frames of any length from the wire, time
// advancing, cables coming and going, descriptors scribbled over. The model may report violations (that is
// its job) but must never crash, hang or touch memory the IOMMU did not map.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"
#include "fuzz/fuzz_input.h"
#include "sim/sim_backend.h"
#include "sim/world.h"

namespace fuzz {

// A working port before the fuzzer's operations start: link forced up, rx queue 0 and tx queue 0 with 8-entry
// rings inside `mem` (rx at 0, tx at 1 KB), rx descriptors posted with 1 KB buffers (at 8 KB), and four
// transmit descriptors written but not handed over (buffers at 16 KB; a TDT write sends them). Random input
// then starts from a device whose engines run, instead of having to find the bring-up on its own.
inline void bring_up(sim::SimNic& nic, const nic::DmaRegion& mem) {
  using namespace nic::ixgbe;
  nic.world().advance(5'000'000);  // EEPROM auto-read and DMA init done
  nic.write32(AUTOC.at(), autoc::kForceLinkUp.mask() | autoc::kAnRestart.mask());
  nic.write32(HLREG0.at(), hlreg0::kRxCrcStrip.mask() | hlreg0::kTxPadEnable.mask());
  nic.write32(RDRXCTL.at(), rdrxctl::kCrcStrip.mask());
  nic.write32(FCTRL.at(), fctrl::kUnicastPromisc.mask() | fctrl::kMulticastPromisc.mask() |
                              fctrl::kBroadcastAccept.mask());
  auto* rx = static_cast<nic::AdvRxDesc*>(mem.virt);
  auto* tx = reinterpret_cast<nic::AdvTxDesc*>(static_cast<uint8_t*>(mem.virt) + 1024);
  for (uint32_t i = 0; i < 8; ++i) {
    rx[i].read.pkt_addr = mem.iova + 8192 + i * 1024;
    rx[i].read.hdr_addr = 0;
    const uint32_t len = 60 + 40 * i;
    tx[i].read.buffer_addr = mem.iova + 16384 + i * 1024;
    tx[i].read.cmd_type_len = nic::txd::kCmdEop | nic::txd::kCmdIfcs | nic::txd::kCmdDext | nic::txd::kTypeData |
                              (i % 2 ? nic::txd::kCmdRs : 0) | len;
    tx[i].read.olinfo_status = len << nic::txd::kPaylenShift;
  }
  nic.write32(RDBAL.at(0), static_cast<uint32_t>(mem.iova));
  nic.write32(RDBAH.at(0), static_cast<uint32_t>(mem.iova >> 32));
  nic.write32(RDLEN.at(0), 128);
  nic.write32(SRRCTL.at(0), srrctl::kDescType.make(srrctl::kDescTypeAdvOneBuf) | srrctl::kBsizePacket.make(1) |
                                srrctl::kDropEnable.mask());
  nic.write32(RDH.at(0), 0);
  nic.write32(RDT.at(0), 0);
  nic.write32(RXDCTL.at(0), rxdctl::kEnable.mask());
  nic.write32(TDBAL.at(0), static_cast<uint32_t>(mem.iova + 1024));
  nic.write32(TDBAH.at(0), static_cast<uint32_t>((mem.iova + 1024) >> 32));
  nic.write32(TDLEN.at(0), 128);
  nic.write32(TDH.at(0), 0);
  nic.write32(TDT.at(0), 0);
  nic.write32(DMATXCTL.at(), dmatxctl::kTxEnable.mask());
  nic.write32(TXDCTL.at(0), txdctl::kEnable.mask());
  nic.world().advance(100'000);
  nic.write32(RDT.at(0), 7);
  nic.write32(RXCTRL.at(), rxctrl::kRxEnable.mask());
}

// `preamble`: start from bring_up()'s working port (the functional target) rather than from reset.
inline int run_sim_ops(const uint8_t* data, size_t size, sim::Fidelity fidelity, bool preamble = false) {
  fuzz::Input in(data, size);
  sim::World world({}, fidelity);
  sim::SimNic nic(world);
  sim::Sink sink;
  sink.keep = false;
  // Some mapped memory the fuzzer can point rings and buffers into (and next to).
  const nic::DmaRegion mem = nic.dma_alloc(64 * 1024, 4096);
  if (preamble) {
    nic.device().connect(&sink);
    bring_up(nic, mem);
  }
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

}  // namespace fuzz
