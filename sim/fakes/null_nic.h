// NullNic: an 82599 with no model behind it. It answers the init sequence at once (reset done, EEPROM and
// DMA init done, queues enabled, link up) and its rx/tx engines are two explicit calls the harness makes:
//   deliver_rx(): every descriptor the driver has handed over becomes a received frame (DD|EOP);
//   complete_tx(): every descriptor up to the tail is marked done (DD on RS descriptors).
// Register writes are stores into an array; queue tails are written through Doorbells that store into it
// directly, as the VFIO backend's store into the mapped BAR.
// DMA memory gets IOVAs of its own (from 4 GiB up, as the VFIO backend assigns them), never its host address;
// the engines translate the IOVAs the driver programmed (to_virt), so a driver that handed the device a host
// address would fault here too. Allocate (open devices, make pools) before driving queues from threads.
// Used to measure the driver alone (tools/bench) and as the base of the hostile device (hostile_nic.h).
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "driver/seam/backend.h"
#include "driver/ring/descriptors.h"
#include "driver/ixgbe/regs.h"

namespace sim {

class NullNic : public nic::Backend {
 public:
  explicit NullNic(std::string name) : name_(std::move(name)), regs_(0x20000 / 4, 0) {}

  uint32_t read32(uint32_t off) override {
    using namespace nic::ixgbe;
    if (off == EEC.at()) return eec::kAutoReadDone.mask() | eec::kPresent.mask();
    if (off == RDRXCTL.at()) return regs_[off / 4] | rdrxctl::kDmaInitDone.mask();
    if (off == LINKS.at()) return links::kLinkUp.mask() | links::kSpeed.make(links::kSpeed10G);
    if (off == CTRL.at()) return regs_[off / 4] & ~ctrl::kResetMask;
    return off < 0x20000 ? regs_[off / 4] : 0;
  }
  void write32(uint32_t off, uint32_t v) override {
    if (off < 0x20000) regs_[off / 4] = v;
  }
  // Tails are stores into the register array, as into a mapped BAR (the engines below read them from there).
  nic::Doorbell doorbell(uint32_t off) override {
    return off < 0x20000 ? nic::Doorbell(*this, off, &regs_[off / 4]) : nic::Doorbell(*this, off);
  }
  nic::DmaRegion dma_alloc(size_t bytes, size_t align) override {
    const size_t size = (bytes + align - 1) / align * align;
    void* p = std::aligned_alloc(align, size);
    next_iova_ = (next_iova_ + align - 1) & ~(static_cast<uint64_t>(align) - 1);
    const nic::DmaRegion r{p, next_iova_, size};
    next_iova_ += size;
    regions_[r.iova] = r;
    ++live_dma_;
    return r;
  }
  void dma_free(const nic::DmaRegion& r) override {
    regions_.erase(r.iova);
    std::free(r.virt);
    --live_dma_;
  }
  // Host address of [iova, iova + bytes) when one region holds all of it, else nullptr.
  void* to_virt(uint64_t iova, size_t bytes) const {
    auto it = regions_.upper_bound(iova);
    if (it == regions_.begin()) return nullptr;
    const nic::DmaRegion& r = (--it)->second;
    const uint64_t off = iova - r.iova;
    if (off >= r.size || bytes > r.size - off) return nullptr;
    return static_cast<uint8_t*>(r.virt) + off;
  }
  size_t live_dma() const { return live_dma_; }
  uint32_t config_read(uint32_t, int) override { return 0; }
  void config_write(uint32_t, uint32_t, int) override {}
  nic::PciId identity() override { return {0x8086, 0x10FB, 0x020000}; }
  void delay_us(uint32_t) override {}
  uint64_t now_ns() override { return 0; }
  std::string name() const override { return name_; }

  // The device's rx engine for queue q: fills every descriptor between its head and RDT(q). Queues are
  // independent, so one thread per queue may drive them.
  uint32_t deliver_rx(uint16_t len = 60, uint32_t q = 0) {
    using namespace nic::ixgbe;
    auto* ring = static_cast<nic::AdvRxDesc*>(ring_addr(RDBAL.at(q), RDBAH.at(q), RDLEN.at(q)));
    const uint32_t n = regs_[RDLEN.at(q) / 4] / 16, tail = regs_[RDT.at(q) / 4];
    uint32_t done = 0;
    if (ring == nullptr || n == 0) return 0;
    for (uint32_t& head = rx_head_[q].v; head != tail; head = (head + 1) % n, ++done) {
      ring[head].wb.length = len;
      ring[head].wb.status_error = nic::rxd::kStatusDD | nic::rxd::kStatusEOP;
    }
    return done;
  }
  // The device's tx engine for queue q: completes everything up to TDT(q).
  uint32_t complete_tx(uint32_t q = 0) {
    using namespace nic::ixgbe;
    auto* ring = static_cast<nic::AdvTxDesc*>(ring_addr(TDBAL.at(q), TDBAH.at(q), TDLEN.at(q)));
    const uint32_t n = regs_[TDLEN.at(q) / 4] / 16, tail = regs_[TDT.at(q) / 4];
    uint32_t done = 0;
    if (ring == nullptr || n == 0) return 0;
    for (uint32_t& head = tx_head_[q].v; head != tail; head = (head + 1) % n, ++done)
      if (ring[head].read.cmd_type_len & nic::txd::kCmdRs) ring[head].wb.status = nic::txd::kStatusDD;
    return done;
  }

 protected:
  uint32_t reg(uint32_t off) const { return regs_[off / 4]; }
  // The ring the driver programmed at base registers lo/hi and length register len, in host memory; nullptr
  // unless it lies wholly in DMA memory of this device.
  void* ring_addr(uint32_t lo, uint32_t hi, uint32_t len) const {
    return to_virt(static_cast<uint64_t>(regs_[hi / 4]) << 32 | regs_[lo / 4], regs_[len / 4]);
  }

 private:
  std::string name_;
  std::vector<uint32_t> regs_;
  struct alignas(64) Head {  // one cache line per queue: threads driving different queues share nothing
    uint32_t v = 0;
  };
  std::array<Head, nic::ixgbe::kMaxQueues> rx_head_{}, tx_head_{};
  size_t live_dma_ = 0;
  uint64_t next_iova_ = uint64_t{1} << 32;
  std::map<uint64_t, nic::DmaRegion> regions_;  // by IOVA
};

}  // namespace sim
