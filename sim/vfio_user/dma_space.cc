#include "sim/vfio_user/dma_space.h"

#include <linux/vfio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

namespace vfio_user {

namespace {

using u128 = unsigned __int128;
constexpr uint64_t kPage = 4096;
constexpr uint32_t kKnownFlags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

struct DmaSpace::File {
  uint8_t* base = nullptr;
  uint64_t len = 0;
  bool writable = false;
  ~File() {
    if (base) ::munmap(base, len);
  }
};

int DmaSpace::map(uint64_t iova, uint64_t size, uint64_t offset, uint32_t flags, int fd) {
  FdCloser closer{fd};
  if (size == 0 || ((iova | size | offset) & (kPage - 1)) != 0 || size > UINT64_MAX - iova || (flags & ~kKnownFlags))
    return EINVAL;
  if (fd < 0 && offset != 0) return EINVAL;
  // Overlap: the first mapping ending after iova must start at or after iova + size.
  auto next = entries_.lower_bound(iova);
  if (next != entries_.end() && next->first < iova + size) return EEXIST;
  if (next != entries_.begin()) {
    auto prev = std::prev(next);
    if (static_cast<u128>(prev->first) + prev->second.size > iova) return EEXIST;
  }
  if (entries_.size() >= limits_.max_mappings) return ENOSPC;
  Entry e{size, flags, nullptr, nullptr};
  if (fd >= 0) {
    int err = 0;
    e.file = file_for(fd, offset, size, flags, &e.host, &err);
    if (!e.file) return err;
  }
  entries_.emplace(iova, std::move(e));
  resegment(iova, static_cast<u128>(iova) + size);
  return 0;
}

std::shared_ptr<DmaSpace::File> DmaSpace::file_for(int fd, uint64_t offset, uint64_t size, uint32_t flags,
                                                   uint8_t** host, int* err) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    *err = errno;
    return nullptr;
  }
  // Regular files only (a memfd is one): a pipe, socket or device cannot back guest memory here.
  if (!S_ISREG(st.st_mode) || st.st_size < 0 || offset > static_cast<uint64_t>(st.st_size) ||
      size > static_cast<uint64_t>(st.st_size) - offset) {
    *err = EINVAL;
    return nullptr;
  }
  const bool want_write = flags & VFIO_DMA_MAP_FLAG_WRITE;
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  const bool whole = file_size <= limits_.whole_file_limit;
  const std::pair<uint64_t, uint64_t> key{st.st_dev, st.st_ino};
  std::shared_ptr<File> f;
  if (whole) {
    auto it = by_inode_.find(key);
    if (it != by_inode_.end()) {
      f = it->second.lock();
      if (f && want_write && !f->writable) f = nullptr;  // that mapping is read-only: map it again
    }
  }
  if (!f) {
    const uint64_t map_off = whole ? 0 : offset, map_len = whole ? file_size : size;
    // Read-write where the fd allows it (the device writes what it receives); read-only otherwise.
    void* p = ::mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(map_off));
    bool writable = p != MAP_FAILED;
    if (p == MAP_FAILED && errno == EACCES && !want_write) {
      p = ::mmap(nullptr, map_len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(map_off));
    }
    if (p == MAP_FAILED) {
      *err = errno;
      return nullptr;
    }
    f = std::make_shared<File>();
    f->base = static_cast<uint8_t*>(p);
    f->len = map_len;
    f->writable = writable;
    if (whole) {
      by_inode_[key] = f;
      // Forget inodes whose mappings are gone (a long-lived client passes many memfds over time).
      std::erase_if(by_inode_, [](const auto& kv) { return kv.second.expired(); });
      by_inode_[key] = f;
    }
  }
  *host = f->base + (whole ? offset : 0);
  if (whole) {  // most recently used first; the few kept here stay mapped after their last range goes
    std::erase(recent_, f);
    recent_.push_front(f);
    while (recent_.size() > limits_.keep_released) recent_.pop_back();
  }
  return f;
}

uint64_t DmaSpace::unmap(uint64_t iova, uint64_t size) {
  if (size == 0) return 0;
  const u128 end = std::min<u128>(static_cast<u128>(iova) + size, static_cast<u128>(UINT64_MAX) + 1);
  auto it = entries_.lower_bound(iova);
  if (it != entries_.begin()) {
    auto prev = std::prev(it);
    if (static_cast<u128>(prev->first) + prev->second.size > iova) it = prev;
  }
  uint64_t removed = 0;
  u128 lo = iova, hi = end;
  while (it != entries_.end() && it->first < end) {
    const uint64_t e_iova = it->first;
    Entry e = std::move(it->second);
    it = entries_.erase(it);
    const u128 e_end = static_cast<u128>(e_iova) + e.size;
    lo = std::min<u128>(lo, e_iova);
    hi = std::max<u128>(hi, e_end);
    // The parts outside [iova, end) stay mapped.
    if (e_iova < iova) {
      Entry left = e;
      left.size = iova - e_iova;
      entries_.emplace(e_iova, std::move(left));
    }
    if (e_end > end) {
      Entry right = e;
      const uint64_t cut = static_cast<uint64_t>(end - e_iova);
      right.size = static_cast<uint64_t>(e_end - end);
      if (right.host) right.host += cut;
      it = entries_.emplace(static_cast<uint64_t>(end), std::move(right)).first;
      ++it;
    }
    removed += static_cast<uint64_t>(std::min(e_end, end) - std::max<u128>(e_iova, iova));
  }
  if (removed) resegment(lo, hi);
  return removed;
}

void DmaSpace::resegment(u128 a, u128 b) {
  // The Iommu mappings overlapping or touching [a, b) go, the range widens to cover them ...
  u128 lo = a, hi = b;
  auto it = segments_.upper_bound(static_cast<uint64_t>(a));
  if (it != segments_.begin()) {
    auto prev = std::prev(it);
    if (static_cast<u128>(prev->first) + prev->second.len >= a) it = prev;
  }
  while (it != segments_.end() && static_cast<u128>(it->first) <= b) {
    lo = std::min<u128>(lo, it->first);
    hi = std::max<u128>(hi, static_cast<u128>(it->first) + it->second.len);
    if (iommu_) iommu_->unmap(it->first);
    it = segments_.erase(it);
  }
  // ... and come back from the entries there: runs of file-backed entries contiguous in IOVA and host memory.
  uint64_t run_iova = 0, run_len = 0;
  uint8_t* run_host = nullptr;
  auto flush = [&] {
    if (!run_host) return;
    segments_.emplace(run_iova, Segment{run_len, run_host});
    if (iommu_) iommu_->map(run_iova, run_host, run_len);
    run_host = nullptr;
  };
  for (auto e = entries_.lower_bound(static_cast<uint64_t>(lo)); e != entries_.end() && e->first < hi; ++e) {
    if (!e->second.host) {
      flush();
      continue;
    }
    if (run_host && static_cast<u128>(run_iova) + run_len == e->first && run_host + run_len == e->second.host) {
      run_len += e->second.size;
    } else {
      flush();
      run_iova = e->first;
      run_len = e->second.size;
      run_host = e->second.host;
    }
  }
  flush();
}

void DmaSpace::clear() {
  for (const auto& [iova, s] : segments_)
    if (iommu_) iommu_->unmap(iova);
  segments_.clear();
  entries_.clear();
  recent_.clear();
  by_inode_.clear();
}

size_t DmaSpace::files_mapped() const {
  std::set<const File*> files;
  for (const auto& [iova, e] : entries_)
    if (e.file) files.insert(e.file.get());
  for (const auto& f : recent_) files.insert(f.get());
  return files.size();
}

uint64_t DmaSpace::bytes_mapped() const {
  uint64_t n = 0;
  for (const auto& [iova, e] : entries_) n += e.size;
  return n;
}

uint8_t* DmaSpace::host(uint64_t iova, uint64_t len) const {
  auto it = entries_.upper_bound(iova);
  if (it == entries_.begin()) return nullptr;
  --it;
  const uint64_t off = iova - it->first;
  if (!it->second.host || off >= it->second.size || len > it->second.size - off) return nullptr;
  return it->second.host + off;
}

}  // namespace vfio_user
