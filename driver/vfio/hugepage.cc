#include "driver/vfio/hugepage.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "driver/seam/error.h"
#include "driver/vfio/sysfs.h"

namespace nic::vfio {
namespace {

const std::string kHowToReserve =
    "reserve and mount them with `nicsetup hugepages 512` (tools/setup), or: "
    "echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages && mount -t hugetlbfs nodev ";

}  // namespace

void check_hugetlbfs(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0)
    throw Error("no hugepages: cannot access hugepage directory " + dir + " (" + errno_str(errno) + "); " +
                kHowToReserve + dir);
  if (static_cast<unsigned long>(fs.f_type) != HUGETLBFS_MAGIC)
    throw Error("no hugepages: " + dir + " is not a hugetlbfs mount; " + kHowToReserve + dir);
  if (static_cast<size_t>(fs.f_bsize) != kHugepageSize)
    throw Error("hugetlbfs at " + dir + " uses " + std::to_string(fs.f_bsize >> 10) +
                " KiB pages, the driver needs 2 MiB pages: mount -t hugetlbfs -o pagesize=2M nodev " + dir);
}

HugepageMemory HugepageMemory::allocate(const std::string& dir, size_t bytes) {
  if (bytes == 0) throw Error("hugepage allocation of 0 bytes");
  check_hugetlbfs(dir);
  const size_t size = (bytes + kHugepageSize - 1) / kHugepageSize * kHugepageSize;

  static std::atomic<unsigned> counter{0};
  const std::string path = dir + "/nic-dma-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  Fd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600));
  if (!fd.valid()) throw Error("cannot create " + path + ": " + errno_str(errno) + " (run as root or make " + dir + " writable)");
  // Unlink at once: the fd (and then the mapping) keeps the file alive; no leftovers on any exit path.
  ::unlink(path.c_str());
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    throw Error("cannot size hugepage file " + path + " to " + std::to_string(size) + " bytes: " + errno_str(errno));

  // MAP_POPULATE faults every page in now (so the IOMMU mapping pins present pages); MAP_LOCKED keeps them.
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE | MAP_LOCKED, fd.get(), 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    if (err == ENOMEM)
      throw Error("no free 2 MiB hugepages for " + std::to_string(size >> 20) + " MiB of DMA memory in " + dir + "; " +
                  "raise the reservation: echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages "
                  "(or `nicsetup hugepages 512`)");
    if (err == EAGAIN || err == EPERM)
      throw Error("cannot lock " + std::to_string(size >> 20) + " MiB of hugepages: " + errno_str(err) +
                  "; raise the locked-memory limit (ulimit -l unlimited) or run as root");
    throw Error("mmap of hugepage file in " + dir + " failed: " + errno_str(err));
  }
  return HugepageMemory(p, size);
}

HugepageMemory::HugepageMemory(HugepageMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HugepageMemory& HugepageMemory::operator=(HugepageMemory&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

HugepageMemory::~HugepageMemory() {
  if (data_) ::munmap(data_, size_);
}

}  // namespace nic::vfio
