// The simulated IOMMU: the only way the device model reaches host memory. An access outside every mapping
// (or straddling two) is a fault: counted, reported through the device's diagnostics, never performed.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>

namespace sim {

class Iommu {
 public:
  void map(uint64_t iova, void* host, uint64_t len) { maps_[iova] = Mapping{static_cast<uint8_t*>(host), len}; }
  void unmap(uint64_t iova) {
    maps_.erase(iova);
    last_ = nullptr;
  }
  size_t mappings() const { return maps_.size(); }

  // Fault injection: the next `n` translations fail as if unmapped (tests, tools/soak).
  void inject_faults(uint32_t n) { injected_faults_ = n; }

  // Host pointer for [iova, iova+len) if it lies inside one mapping; nullptr otherwise.
  uint8_t* translate(uint64_t iova, uint64_t len) {
    if (injected_faults_ != 0) [[unlikely]] {
      --injected_faults_;
      return nullptr;
    }
    if (last_ && iova >= last_iova_ && iova - last_iova_ + len <= last_->len) return last_->host + (iova - last_iova_);
    auto it = maps_.upper_bound(iova);
    if (it == maps_.begin()) return nullptr;
    --it;
    if (iova - it->first + len > it->second.len) return nullptr;
    last_iova_ = it->first;
    last_ = &it->second;
    return it->second.host + (iova - it->first);
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
  struct Mapping {
    uint8_t* host;
    uint64_t len;
  };
  std::map<uint64_t, Mapping> maps_;
  uint64_t last_iova_ = 0;
  Mapping* last_ = nullptr;
  uint32_t injected_faults_ = 0;
};

}  // namespace sim
