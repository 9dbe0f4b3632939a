// DMA-able memory from 2 MiB hugepages on hugetlbfs.
//
// Why hugepages: a 2 MiB page is physically contiguous, never swapped or migrated while mapped, and one IOTLB
// entry covers it. Each allocation is its own file on hugetlbfs (Documentation/admin-guide/mm/hugetlbpage.rst),
// unlinked right away so nothing is left behind if the process dies; the mapping keeps the pages alive.
#pragma once

#include <cstddef>
#include <string>

namespace nic::vfio {

inline constexpr size_t kHugepageSize = size_t{2} << 20;

// One hugetlbfs-backed mapping (MAP_SHARED | MAP_POPULATE | MAP_LOCKED), munmapped on destruction. Move-only.
class HugepageMemory {
 public:
  // `bytes` is rounded up to a multiple of 2 MiB. Throws nic::Error with the fix when `dir` is not a 2 MiB
  // hugetlbfs mount or has no free pages.
  static HugepageMemory allocate(const std::string& dir, size_t bytes);

  HugepageMemory() = default;
  HugepageMemory(HugepageMemory&& other) noexcept;
  HugepageMemory& operator=(HugepageMemory&& other) noexcept;
  HugepageMemory(const HugepageMemory&) = delete;
  HugepageMemory& operator=(const HugepageMemory&) = delete;
  ~HugepageMemory();

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  HugepageMemory(void* data, size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Throws nic::Error unless `dir` is a hugetlbfs mount with 2 MiB pages.
void check_hugetlbfs(const std::string& dir);

}  // namespace nic::vfio
