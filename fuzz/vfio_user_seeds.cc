// Writes the seed corpus of //fuzz:vfio_user_fuzz (fuzz/corpus/vfio_user/) from QEMU's message sequence:
//   bazel run //fuzz:vfio_user_seeds -- $PWD/fuzz/corpus/vfio_user
// Each seed is byte 0 (0: VERSION first, whole reads) followed by a stream of messages.
#include <cstdio>
#include <string>
#include <vector>

#include "driver/ixgbe/regs.h"
#include "sim/vfio_user/testing/client.h"

namespace t = vfio_user::testing;
using Bytes = std::vector<uint8_t>;

static void add(Bytes& s, const Bytes& m) { s.insert(s.end(), m.begin(), m.end()); }

static void write_seed(const std::string& dir, const std::string& name, uint8_t shape, const std::vector<Bytes>& msgs) {
  Bytes s{shape};
  for (const Bytes& m : msgs) add(s, m);
  const std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(s.data(), 1, s.size(), f) != s.size()) std::perror(path.c_str());
  if (f) std::fclose(f);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vfio_user_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  using namespace vfio_user;
  namespace r = nic::ixgbe;
  const uint32_t trig_fd = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
  std::vector<Bytes> probe = {t::get_info(1)};
  for (uint32_t i = 0; i < 9; ++i) probe.push_back(t::region_info(2, i));
  for (uint32_t i = 0; i < 5; ++i) probe.push_back(t::irq_info(3, i));
  probe.push_back(t::dma_map(4, 0, 0xA0000, 0));
  probe.push_back(t::dma_map(5, 0x100000, 0x7F00000, 0));
  probe.push_back(t::region_read(6, VFIO_PCI_CONFIG_REGION_INDEX, 0, 4096));
  probe.push_back(t::region_read(7, 0, r::STATUS.at(), 4));
  probe.push_back(t::region_read(8, 0, r::EEC.at(), 4));
  probe.push_back(t::region_write32(9, 0, r::EIMS.at(), 1, kFlagNoReply));
  probe.push_back(t::region_write32(10, 0, r::CTRL.at(), r::ctrl::kReset.mask(), kFlagNoReply));
  probe.push_back(t::set_irqs(11, VFIO_PCI_MSIX_IRQ_INDEX, trig_fd, 0, 1));
  probe.push_back(t::region_write32(12, 0, r::EICS.at(), 1));
  probe.push_back(t::dma_unmap(13, 0xFFFFFFFFFFFFF000ull, 0x2000));
  probe.push_back(t::dma_unmap(14, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
  const uint16_t flr = 0xA810;
  probe.push_back(t::region_write(15, VFIO_PCI_CONFIG_REGION_INDEX, 0xA8, {reinterpret_cast<const uint8_t*>(&flr), 2}));
  probe.push_back(t::message(16, kDeviceReset, {}));
  write_seed(dir, "qemu_probe", 0, probe);
  write_seed(dir, "qemu_probe_split", 3, probe);  // 3-byte reads
  write_seed(dir, "version_only", 0x80, {t::version(1)});
  // A ring and its doorbell: RDBAL/RDLEN/RXDCTL then RDT, into memory mapped without an fd (faults).
  write_seed(dir, "rx_ring", 0,
             {t::dma_map(1, 0x200000, 0x10000, 0), t::region_write32(2, 0, r::RDBAL.at(0), 0x200000),
              t::region_write32(3, 0, r::RDLEN.at(0), 4096), t::region_write32(4, 0, r::RXDCTL.at(0), 1u << 25),
              t::region_write32(5, 0, r::RXCTRL.at(), 1), t::region_write32(6, 0, r::RDT.at(0), 8)});
  Bytes multi(8 + 2 * sizeof(WriteOne));
  const uint64_t n = 2;
  std::memcpy(multi.data(), &n, 8);
  const WriteOne w[2] = {{r::EIMS.at(), 0, 4, {1, 0, 0, 0}}, {r::EITR.at(0), 0, 4, {0x10, 0, 0, 0}}};
  std::memcpy(multi.data() + 8, w, sizeof w);
  write_seed(dir, "write_multi", 0, {t::message(1, kRegionWriteMulti, multi)});
  const uint8_t yes = 1;
  write_seed(dir, "irqs", 0,
             {t::set_irqs(1, VFIO_PCI_INTX_IRQ_INDEX, trig_fd, 0, 1),
              t::set_irqs(2, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1),
              t::set_irqs(3, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, {&yes, 1}),
              t::set_irqs(4, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0)});
  return 0;
}
