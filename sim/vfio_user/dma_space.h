// The client's memory as the device may reach it (DMA_MAP / DMA_UNMAP): IOVA ranges, each backed by a file
// the client passed (mmap'ed MAP_SHARED at the given offset) or by nothing (a range the client only serves
// through DMA_READ/DMA_WRITE messages, which this server does not send: the device's DMA there faults).
//
// Mirrored into the device's sim::Iommu, so the model reaches guest RAM exactly where the client mapped it.
// Adjacent mappings whose host memory is contiguous become one Iommu mapping: a client behind a vIOMMU maps
// one page per DMA_MAP (QEMU with intel-iommu: thousands, each with a new fd of the same memfd), and a
// descriptor ring or buffer crossing a page boundary must still translate in one piece, as it would through a
// real IOMMU's per-page tables.
//
// Files: every fd is closed once mapped (or refused). Mappings of one file (same device and inode) share one
// mmap of the whole file, so thousands of per-page maps cost one mapping of the server's address space; a
// file stays mapped while any range uses it, plus a few recently released ones (clients unmap and remap pages
// all the time).
//
// Unmap semantics (what QEMU relies on): DMA_UNMAP removes whatever lies in [iova, iova + size) and succeeds
// even when nothing does (power-off unmaps ranges reaching one past 2^64); a mapping that straddles an edge of
// the range keeps its part outside.
//
// Known limit: a client that truncates a file it passed makes the device's next access to the lost pages a
// SIGBUS in the server (as with any server that maps client memory, libvfio-user's included).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <utility>

#include "sim/iommu.h"

namespace vfio_user {

class DmaSpace {
 public:
  struct Limits {
    uint32_t max_mappings = 65535;          // the protocol's default max_dma_maps
    uint64_t whole_file_limit = 64ull << 30;  // larger files are mapped per range instead of whole
    uint32_t keep_released = 4;             // files kept mapped after their last range went
  };
  // `iommu`: the device's domain (nullptr: record only; the device does no DMA).
  explicit DmaSpace(sim::Iommu* iommu) : DmaSpace(iommu, Limits{}) {}
  DmaSpace(sim::Iommu* iommu, Limits limits) : iommu_(iommu), limits_(limits) {}
  ~DmaSpace() { clear(); }
  DmaSpace(const DmaSpace&) = delete;
  DmaSpace& operator=(const DmaSpace&) = delete;

  // Adds [iova, iova + size) with VFIO_DMA_MAP_FLAG_READ/WRITE `flags`, backed by `fd` at `offset` (fd >= 0:
  // this call owns it and closes it) or by nothing (fd < 0). Returns 0 or an errno: EINVAL (zero size,
  // wrap-around, not 4 KiB aligned, unknown flags, an fd that is not a regular file or too short), EEXIST
  // (overlaps a mapping), ENOSPC (too many mappings), or mmap's error.
  int map(uint64_t iova, uint64_t size, uint64_t offset, uint32_t flags, int fd);
  // Removes what lies in [iova, iova + size) (the end may lie past 2^64). Always succeeds; returns the number
  // of bytes unmapped.
  uint64_t unmap(uint64_t iova, uint64_t size);
  void clear();

  size_t mappings() const { return entries_.size(); }
  size_t iommu_mappings() const { return segments_.size(); }
  size_t files_mapped() const;
  uint64_t bytes_mapped() const;
  // Host address of [iova, iova + len) if one file-backed range holds it (tests).
  uint8_t* host(uint64_t iova, uint64_t len) const;

 private:
  struct File;  // one mmap of a file (whole, or one range's window)
  struct Entry {
    uint64_t size = 0;
    uint32_t flags = 0;
    uint8_t* host = nullptr;  // nullptr: not backed by a file
    std::shared_ptr<File> file;
  };
  struct Segment {
    uint64_t len;
    uint8_t* host;
  };
  std::shared_ptr<File> file_for(int fd, uint64_t offset, uint64_t size, uint32_t flags, uint8_t** host, int* err);
  // The Iommu's mappings over [a, b) (entries there changed; b may be 2^64): rebuilt from the entries,
  // coalesced.
  void resegment(unsigned __int128 a, unsigned __int128 b);

  sim::Iommu* iommu_;
  Limits limits_;
  std::map<uint64_t, Entry> entries_;    // by IOVA; never overlapping
  std::map<uint64_t, Segment> segments_;  // what the Iommu holds, by IOVA
  std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<File>> by_inode_;  // whole-file mmaps, (dev, ino)
  std::deque<std::shared_ptr<File>> recent_;  // recently released whole-file mmaps, kept mapped
};

}  // namespace vfio_user
