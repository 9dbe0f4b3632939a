// IOVA (I/O virtual address) assignment for DMA mappings.
//
// Identity (IOVA = process virtual address) is the simplest choice and what we use whenever the IOMMU can
// address it. Some IOMMUs cannot: many Intel client parts have a 39-bit address width, while user-space
// addresses go up to 2^47. Then IOVAs come from a first-fit allocator starting at 4 GiB (above the 32-bit
// MSI window at 0xfee00000). ixy.rs does the same for 39-bit IOMMUs.
//
// The usable ranges come from the kernel (VFIO_IOMMU_GET_INFO, capability VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
// Linux >= 5.4); without that capability we assume the narrowest common case, [0, 2^39).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace nic::vfio {

struct IovaRange {
  uint64_t first = 0;  // inclusive
  uint64_t last = 0;   // inclusive
};

class IovaSpace {
 public:
  static constexpr uint64_t kAllocBase = uint64_t{1} << 32;
  static constexpr uint64_t kFallbackLimit = uint64_t{1} << 39;

  // `usable` empty means "unknown": [0, 2^39).
  explicit IovaSpace(std::vector<IovaRange> usable = {});

  // An IOVA for [va, va + size): `va` itself if usable and free, else the first free `align`-aligned block at
  // or above kAllocBase. Throws nic::Error when the space is exhausted. `align` must be a power of two.
  uint64_t assign(uint64_t va, uint64_t size, uint64_t align);
  // Returns a block from assign() to the free space. Unknown IOVAs are ignored.
  void release(uint64_t iova);

  size_t in_use() const { return used_.size(); }

 private:
  bool usable(uint64_t first, uint64_t size) const;
  // The used block overlapping [first, first + size), or used_.end().
  std::map<uint64_t, uint64_t>::const_iterator overlap(uint64_t first, uint64_t size) const;

  std::vector<IovaRange> usable_;
  std::map<uint64_t, uint64_t> used_;  // iova -> size
};

}  // namespace nic::vfio
