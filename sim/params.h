// Every timing and sizing parameter of the simulator, in one place, each with its source.
// "modelled" marks a value no public source pins down; it is chosen to be plausible and is easy to change.
// Sources: [facts] = docs/82599-facts.md (published figures the model is calibrated against,
// see sim/CALIBRATION.md); [802.3] = IEEE 802.3; [PCIe] = PCI Express Base Spec 2.0; [DS] = 82599 datasheet
// sections as cited by ixy/TinyNF and the Linux/DPDK register headers.
#pragma once

#include <cstdint>

namespace sim {

struct Params {
  // --- Wire [802.3]: 10 Gbit/s, 0.8 ns per byte; 7 B preamble + 1 B SFD + 12 B inter-frame gap.
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

  // --- PCIe Gen2 x8 host interface [facts]: 5 GT/s x 8 lanes after 8b/10b = 32 Gbit/s raw per direction
  // = 4 bytes/ns = 250 ps per byte. Every TLP also carries header/framing/DLLP overhead bytes [facts]:
  // 24 B for memory writes and read requests, 20 B for completions. With 256 B writes that leaves
  // 32 * 256 / 280 = 29.3 Gbit/s of payload ([facts]: "~28.7 usable").
  uint64_t pcie_ps_per_byte = 250;
  uint32_t pcie_write_overhead = 24;       // per memory-write TLP [facts]
  uint32_t pcie_read_request_bytes = 24;   // per read-request TLP (no payload) [facts]
  uint32_t pcie_completion_overhead = 20;  // per completion TLP [facts]
  uint32_t pcie_max_payload = 256;         // MPS: writes split into TLPs of at most this (modelled: common
                                           // server setting; [PCIe] allows 128..4096)
  uint32_t pcie_max_read_request = 512;    // MRRS: reads split into requests of at most this (modelled: the
                                           // [PCIe] default)
  uint32_t pcie_read_completion = 64;      // completions return in units of this (modelled: the read
                                           // completion boundary of x86 root complexes, one cache line)
  uint64_t pcie_latency_ns = 500;          // one way, device <-> host memory [facts: simulators assume ~500 ns].
                                           // A read costs two of these; a doorbell (MMIO write) one.

  // --- Descriptor engines [DS §7.1.3.3, §7.2.3.4, §8.2.3.9.10 (TXDCTL)].
  uint32_t tx_desc_cache = 40;  // on-chip tx descriptors per queue [DS §8.2.3.9.10: PTHRESH + WTHRESH <= 40]
                                // (at most 64: ixgbe_tx.cc keeps a frame's RS descriptors as a 64-bit mask)
  uint32_t rx_desc_cache = 32;  // on-chip rx descriptors per queue (modelled; Linux ixgbe keeps rx thresholds
                                // at 0 on the 82599, so only on-demand fetching is exercised by the driver)
  // A partial write-back batch (fewer than WTHRESH descriptors done) is written after this long. The hardware
  // flushes on its interrupt-moderation timer (Linux ixgbe: WTHRESH > 1 without ITR "could cause false TX
  // hangs"); with interrupts masked we flush after this (modelled).
  uint64_t wb_flush_ns = 2'000;
  // A DMA engine stops issuing when its pipe already holds this much queued work: tx data reads wait while the
  // downstream pipe is backed up by more than this, rx frames stay in the packet buffer while the upstream pipe
  // is (modelled: stands in for the 82599's bounded number of outstanding PCIe requests).
  uint64_t dma_queue_ns = 2'000;

  // --- Interrupt moderation [facts]: EITR.ITR_INTERVAL (bits 11:3) counts 2.048 us units on the 82599.
  uint64_t itr_unit_ns = 2'048;
};

// Time a frame occupies the wire, in picoseconds (64 B frame: 84 B * 800 ps = 67.2 ns). The device keeps its
// wire schedule in ps so back-to-back frames do not accumulate rounding error.
inline uint64_t wire_time_ps(const Params& p, uint32_t frame_bytes_without_fcs) {
  return static_cast<uint64_t>(frame_bytes_without_fcs + p.fcs_bytes + p.preamble_ifg_bytes) * p.wire_ps_per_byte;
}

}  // namespace sim
