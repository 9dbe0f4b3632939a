// IOVA (I/O virtual address) assignment for DMA mappings.
//
// IOVAs always come from this allocator's own space, first fit from 4 GiB upward (above the 32-bit MSI window
// at 0xfee00000), never from the process's virtual addresses. Identity mapping (IOVA = VA) would hand the
// device the driver's own address layout: every descriptor it reads would tell it where host memory lives
// (which defeats ASLR for whoever controls the device), and a driver bug that passes a virtual address where an
// IOVA belongs would work by luck instead of faulting. It would also fail on IOMMUs narrower than user space
// (many Intel client parts have 39 bits, user addresses go up to 2^47).
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

  // An IOVA block of `size` bytes: the first free `align`-aligned one at or above kAllocBase, whatever the
  // memory's virtual address. Throws nic::Error when the space is exhausted. `align` must be a power of two.
  uint64_t assign(uint64_t size, uint64_t align);
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
