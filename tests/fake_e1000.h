// A fake register file with the e1000-lineage behaviours the igb and e1000e drivers rely on: self-clearing
// reset, link status, MDIC PHY access (PHY address 1), the MAC in RAL/RAH(0), clear-on-read counters, DMA
// memory from the heap (at IOVAs that are not its addresses: to_virt() translates) and a virtual clock. Each family's test adds what differs by
// overriding family_read/family_write; every register write is logged for order checks (find()).
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "driver/seam/backend.h"
#include "driver/e1000/common.h"

namespace testbed {

class FakeE1000 : public nic::Backend {
 public:
  FakeE1000(uint16_t device_id, std::string name, std::set<uint32_t> clear_on_read)
      : device_id_(device_id), name_(std::move(name)), clear_on_read_(std::move(clear_on_read)) {
    using namespace nic::e1000;
    for (const auto& r : {GPRC, GPTC, MPC, CRCERRS}) clear_on_read_.insert(r.at());
  }

  std::map<uint32_t, uint32_t> regs;
  std::map<uint32_t, uint16_t> phy{{nic::e1000::phy::kControl, 0x1140}, {nic::e1000::phy::kStatus, 0x796D}};
  std::vector<std::pair<uint32_t, uint32_t>> writes;
  bool mdic_error = false, mdic_stuck = false, link_up = true;
  bool mac_loaded = true;  // RAL/RAH(0) hold 02:53:49:4d:00:01 until software writes them
  size_t live_dma = 0;

  uint32_t read32(uint32_t off) override {
    using namespace nic::e1000;
    uint32_t v;
    if (family_read(off, v)) return v;
    if (off == CTRL.at()) return regs[off] & ~ctrl::kReset.mask();  // reset completes at once
    if (off == STATUS.at()) {
      uint32_t s = link_up ? status::kLinkUp.mask() | status::kFullDuplex.mask() | status::kSpeed.make(2) : 0;
      if (!(regs[CTRL.at()] & ctrl::kGioMasterDisable.mask())) s |= status::kGioMasterEnable.mask();
      return s;
    }
    if (off == MDIC.at()) return mdic_stuck ? regs[off] & ~mdic::kReady.mask() : regs[off];
    if (mac_loaded && off == RAL.at(0) && !regs.count(off)) return 0x4d495302;  // 02:53:49:4d
    if (mac_loaded && off == RAH.at(0) && !regs.count(off)) return 0x80000100;  // :00:01, AV
    v = regs[off];
    if (clear_on_read_.count(off)) regs[off] = 0;
    return v;
  }
  void write32(uint32_t off, uint32_t v) override {
    using namespace nic::e1000;
    writes.emplace_back(off, v);
    if (family_write(off, v)) return;
    if (off == MDIC.at()) {
      const uint32_t reg = mdic::kRegAddr.get(v);
      uint32_t result = v | mdic::kReady.mask();
      if (mdic_error || mdic::kPhyAddr.get(v) != mdic::kInternalPhy) result |= mdic::kError.mask();
      else if (mdic::kOp.get(v) == mdic::kOpWrite) phy[reg] = static_cast<uint16_t>(mdic::kData.get(v));
      else result = mdic::kData.set(result, phy[reg]);
      regs[off] = result;
      return;
    }
    regs[off] = v;
  }
  // DMA memory at IOVAs of its own (from 4 GiB up), never the host address: the device side translates.
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override {
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    next_iova_ = (next_iova_ + align - 1) & ~(static_cast<uint64_t>(align) - 1);
    const nic::DmaRegion r{p, next_iova_, size};
    next_iova_ += size;
    dma_regions_[r.iova] = r;
    ++live_dma;
    return r;
  }
  void dma_free(const nic::DmaRegion& r) override {
    dma_regions_.erase(r.iova);
    std::free(r.virt);
    --live_dma;
  }
  // Host address of [iova, iova + bytes) when one region holds all of it; fails the test otherwise.
  void* to_virt(uint64_t iova, size_t bytes) const {
    auto it = dma_regions_.upper_bound(iova);
    if (it != dma_regions_.begin()) {
      const nic::DmaRegion& r = (--it)->second;
      const uint64_t off = iova - r.iova;
      if (off < r.size && bytes <= r.size - off) return static_cast<uint8_t*>(r.virt) + off;
    }
    ADD_FAILURE() << "device DMA to 0x" << std::hex << iova << ": not in any region this device was given";
    return nullptr;
  }
  uint32_t config_read(uint32_t off, int) override {
    if (off == nic::pci::kVendorId) return nic::pci::kVendorIntel;
    if (off == nic::pci::kDeviceId) return device_id_;
    if (off == nic::pci::kClassRev) return nic::pci::kClassEthernet << 8;
    return 0;
  }
  void config_write(uint32_t, uint32_t, int) override {}
  nic::PciId identity() override { return {nic::pci::kVendorIntel, device_id_, nic::pci::kClassEthernet}; }
  void delay_us(uint32_t us) override { now_ += us * 1000ull; }
  uint64_t now_ns() override { return now_; }
  std::string name() const override { return name_; }

  // Index of the first write of `value` (masked) to `off` at or after `from`; -1 when none.
  long find(uint32_t off, uint32_t mask, uint32_t value, long from = 0) const {
    for (size_t i = static_cast<size_t>(from); i < writes.size(); ++i)
      if (writes[i].first == off && (writes[i].second & mask) == value) return static_cast<long>(i);
    return -1;
  }

 protected:
  // Family hooks: return true when the access was handled (read: value in `v`).
  virtual bool family_read(uint32_t, uint32_t&) { return false; }
  virtual bool family_write(uint32_t, uint32_t) { return false; }

 private:
  uint16_t device_id_;
  std::string name_;
  std::set<uint32_t> clear_on_read_;
  uint64_t now_ = 0;
  uint64_t next_iova_ = uint64_t{1} << 32;
  std::map<uint64_t, nic::DmaRegion> dma_regions_;  // by IOVA
};

// A fake with MSI-X: `vectors` eventfds from enable_msix() (the test signals them), closed by disable_msix().
template <class Fake>
class WithMsix : public Fake {
 public:
  std::vector<int> fds;
  int enables = 0, disables = 0;
  std::vector<int> enable_msix(uint32_t vectors) override {
    ++enables;
    for (uint32_t i = 0; i < vectors; ++i) fds.push_back(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    return fds;
  }
  void disable_msix() override {
    ++disables;
    for (int fd : fds) ::close(fd);
    fds.clear();
  }
  ~WithMsix() override { disable_msix(); }
};

}  // namespace testbed
