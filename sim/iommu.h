// The simulated IOMMU: the only way the device model reaches host memory. An access outside every mapping
// (or straddling two) is a fault: counted, reported through the device's diagnostics, never performed.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <map>

namespace sim {

class Iommu {
 public:
  void map(uint64_t iova, void* host, uint64_t len) {
    maps_[iova] = Mapping{static_cast<uint8_t*>(host), len};
    recent_ = {};
    ++epoch_;
  }
  void unmap(uint64_t iova) {
    maps_.erase(iova);
    recent_ = {};
    ++epoch_;
  }
  // Changes whenever a mapping does: a translation kept from an earlier epoch may be stale.
  uint64_t epoch() const { return epoch_; }
  size_t mappings() const { return maps_.size(); }

  // Fault injection: the next `n` translations fail as if unmapped (tests, tools/soak).
  void inject_faults(uint32_t n) { injected_faults_ = n; }

  // Host pointer for [iova, iova+len) if it lies inside one mapping; nullptr otherwise.
  uint8_t* translate(uint64_t iova, uint64_t len) {
    if (injected_faults_ != 0) [[unlikely]] {
      --injected_faults_;
      return nullptr;
    }
    return lookup(iova, len);
  }
  // A caller's own one-mapping cache (say, one per queue, whose buffers all come from one pool): the same
  // result as translate(iova, len), a few instructions when the window covers the access. Valid while no
  // mapping changes (epoch) and no fault is injected.
  struct Window {
    uint64_t iova = 0, len = 0, epoch = UINT64_MAX;
    uint8_t* host = nullptr;
  };
  uint8_t* translate(uint64_t iova, uint64_t len, Window& w) {
    if (w.epoch == epoch_ && injected_faults_ == 0 && fits(iova - w.iova, len, w.len)) [[likely]]
      return w.host + (iova - w.iova);
    if (injected_faults_ != 0) {
      --injected_faults_;
      return nullptr;
    }
    const Recent* m = find(iova, len);
    if (!m) return nullptr;
    w = Window{m->iova, m->len, epoch_, m->host};
    return m->host + (iova - m->iova);
  }
  // translate() without consuming an injected fault: for translations a device keeps (a ring's address) rather
  // than performs per access.
  uint8_t* lookup(uint64_t iova, uint64_t len) {
    const Recent* m = find(iova, len);
    return m ? m->host + (iova - m->iova) : nullptr;
  }
  // The window's host address for iova if the window covers it, else nullptr; never a fault (for prefetching).
  const uint8_t* peek(uint64_t iova, const Window& w) const {
    return w.epoch == epoch_ && iova - w.iova < w.len ? w.host + (iova - w.iova) : nullptr;
  }
  bool read(uint64_t iova, void* dst, uint64_t len) {
    uint8_t* p = translate(iova, len);
    if (!p) return false;
    std::memcpy(dst, p, len);
    return true;
  }
  bool write(uint64_t iova, const void* src, uint64_t len) {
    uint8_t* p = translate(iova, len);
    if (!p) return false;
    std::memcpy(p, src, len);
    return true;
  }

 private:
  struct Recent {  // a copy of a mapping: no pointer to chase on the hot path
    uint64_t iova = 0, len = 0;
    uint8_t* host = nullptr;
  };
  // The mapping holding [iova, iova+len), or nullptr. The few mappings a device touches per frame (descriptor
  // rings, buffer pools) hit a small cache first.
  const Recent* find(uint64_t iova, uint64_t len) {
    for (const Recent& c : recent_)  // (an empty entry has len 0; iova below c.iova wraps to a huge offset)
      if (fits(iova - c.iova, len, c.len)) return &c;
    auto it = maps_.upper_bound(iova);
    if (it == maps_.begin()) return nullptr;
    --it;
    if (!fits(iova - it->first, len, it->second.len)) return nullptr;
    Recent& slot = recent_[next_recent_++ % recent_.size()];
    slot = Recent{it->first, it->second.len, it->second.host};
    return &slot;
  }
  // [off, off+len) inside a mapping of map_len bytes, without overflow.
  static bool fits(uint64_t off, uint64_t len, uint64_t map_len) { return off < map_len && len <= map_len - off; }
  struct Mapping {
    uint8_t* host;
    uint64_t len;
  };
  std::map<uint64_t, Mapping> maps_;
  std::array<Recent, 4> recent_{};  // recently used mappings, replaced round-robin
  uint32_t next_recent_ = 0;
  uint64_t epoch_ = 0;
  uint32_t injected_faults_ = 0;
};

}  // namespace sim
