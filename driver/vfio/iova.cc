#include "driver/vfio/iova.h"

#include <algorithm>

#include "driver/seam/error.h"

namespace nic::vfio {

IovaSpace::IovaSpace(std::vector<IovaRange> usable) : usable_(std::move(usable)) {
  if (usable_.empty()) usable_.push_back({0, kFallbackLimit - 1});
  std::sort(usable_.begin(), usable_.end(), [](const IovaRange& a, const IovaRange& b) { return a.first < b.first; });
}

bool IovaSpace::usable(uint64_t first, uint64_t size) const {
  if (size == 0 || first + size - 1 < first) return false;  // empty or wraps around
  return std::any_of(usable_.begin(), usable_.end(),
                     [&](const IovaRange& r) { return first >= r.first && first + size - 1 <= r.last; });
}

std::map<uint64_t, uint64_t>::const_iterator IovaSpace::overlap(uint64_t first, uint64_t size) const {
  // Blocks never overlap each other, so only the last block starting before `first + size` can overlap.
  auto it = used_.lower_bound(first + size);
  if (it == used_.begin()) return used_.end();
  --it;
  return it->first + it->second > first ? it : used_.end();
}

uint64_t IovaSpace::assign(uint64_t size, uint64_t align) {
  if (size == 0 || align == 0 || (align & (align - 1)) != 0)
    throw Error("IOVA request with size " + std::to_string(size) + " and alignment " + std::to_string(align));
  for (const IovaRange& r : usable_) {
    if (r.last < kAllocBase) continue;
    uint64_t at = std::max(r.first, kAllocBase);
    for (;;) {
      const uint64_t aligned = (at + align - 1) & ~(align - 1);
      if (aligned < at || !usable(aligned, size) || aligned + size - 1 > r.last) break;  // wrapped or past the end
      at = aligned;
      const auto hit = overlap(at, size);
      if (hit == used_.end()) {
        used_[at] = size;
        return at;
      }
      const uint64_t next = hit->first + hit->second;  // skip past the block in the way
      if (next <= at) break;
      at = next;
    }
  }
  throw Error("IOMMU address space exhausted: no free IOVA block of " + std::to_string(size >> 20) +
              " MiB (free DMA memory or use fewer/larger allocations)");
}

void IovaSpace::release(uint64_t iova) { used_.erase(iova); }

}  // namespace nic::vfio
