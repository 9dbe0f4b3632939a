#include "driver/vfio/vfio_backend.h"

#include <fcntl.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "driver/seam/error.h"
#include "driver/seam/log.h"

namespace nic::vfio {
namespace {

std::string hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", v);
  return buf;
}

// open(2) of a VFIO character device, with the likely cause spelled out.
Fd open_vfio_node(const std::string& path, const std::string& addr, bool container) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.valid()) return fd;
  const int err = errno;
  if (err == ENOENT && container)
    throw Error(path + " does not exist: the vfio-pci module is not loaded (modprobe vfio-pci)");
  if (err == ENOENT)
    throw Error(path + " does not exist although " + addr +
                " is bound to vfio-pci: is vfio-pci loaded and udev done (ls /dev/vfio; modprobe vfio-pci)?");
  if (err == EACCES || err == EPERM) {
    const std::string who = ::geteuid() == 0 ? "even as root (LSM policy?)" : "not running as root";
    throw Error("permission denied opening " + path + " (" + who + "): run as root, or give your user the file "
                "(chown $USER " + path + ") and enough locked memory (ulimit -l unlimited)");
  }
  if (err == EBUSY)
    throw Error(path + " is busy: another process (driver instance or VM) already uses the IOMMU group of " + addr);
  throw Error("cannot open " + path + ": " + errno_str(err));
}

// Valid IOVA ranges from VFIO_IOMMU_GET_INFO's capability chain (empty when the kernel does not report them).
std::vector<IovaRange> query_iova_ranges(int container) {
  std::vector<uint8_t> buf(sizeof(vfio_iommu_type1_info));
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto* info = reinterpret_cast<vfio_iommu_type1_info*>(buf.data());
    std::memset(buf.data(), 0, buf.size());
    info->argsz = static_cast<uint32_t>(buf.size());
    if (::ioctl(container, VFIO_IOMMU_GET_INFO, info) != 0) return {};
    if (info->argsz > buf.size()) {  // capabilities did not fit: retry with the size the kernel asked for
      buf.resize(info->argsz);
      continue;
    }
    if (!(info->flags & VFIO_IOMMU_INFO_CAPS)) return {};
    for (uint32_t off = info->cap_offset; off != 0 && off + sizeof(vfio_info_cap_header) <= buf.size();) {
      const auto* hdr = reinterpret_cast<const vfio_info_cap_header*>(buf.data() + off);
      if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
        if (off + sizeof(vfio_iommu_type1_info_cap_iova_range) > buf.size()) return {};  // truncated capability
        const auto* cap = reinterpret_cast<const vfio_iommu_type1_info_cap_iova_range*>(hdr);
        std::vector<IovaRange> ranges;
        for (uint32_t i = 0; i < cap->nr_iovas; ++i) {
          if (off + sizeof(*cap) + (i + 1) * sizeof(vfio_iova_range) > buf.size()) break;
          ranges.push_back({cap->iova_ranges[i].start, cap->iova_ranges[i].end});
        }
        return ranges;
      }
      if (hdr->next <= off) break;  // malformed chain: stop rather than loop
      off = hdr->next;
    }
    return {};
  }
  return {};
}

constexpr const char* kRigDoc = "see tools/RIG.md";

}  // namespace

std::unique_ptr<Backend> open_vfio(const std::string& pci_addr, const VfioOptions& options) {
  return std::make_unique<VfioBackend>(pci_addr, options);
}

VfioBackend::BarMapping::~BarMapping() {
  if (base) ::munmap(const_cast<uint8_t*>(base), size);
}

VfioBackend::VfioBackend(const std::string& pci_addr, const VfioOptions& options)
    : addr_(normalize_pci_addr(pci_addr)), options_(options) {
  const std::string& sys = options_.sysfs_root;
  const std::string dir = pci_device_dir(sys, addr_);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw Error("no PCI device " + addr_ + " (" + dir + " does not exist): list NICs with `nicsetup status` or `lspci -D -d ::0200`");

  // Sysfs checks first: they give far better messages than a failing ioctl. Order: IOMMU, class, ids,
  // binding (the first that fails is the one to fix first).
  const auto group = nic::vfio::iommu_group(sys, addr_);
  if (!group)
    throw Error(addr_ + " has no IOMMU group (" + dir + "/iommu_group missing): the IOMMU is off; enable VT-d/AMD-Vi "
                "in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD), plus iommu=pt (" +
                kRigDoc + ")");
  const PciDeviceInfo info = read_pci_device(sys, addr_);
  if (const std::string problem = not_ethernet_problem(info); !problem.empty())
    throw Error(problem + ": name a NIC's address (`nicsetup status` lists them; " + kRigDoc + ")");
  if (options_.supported && !options_.supported(info.vendor, info.device))
    throw Error(addr_ + " (" + hex16(info.vendor) + ":" + hex16(info.device) +
                ") is not a supported NIC: this driver drives the Intel 82599, 82576 and 82574 families (" + kRigDoc + ")");
  const std::string driver = bound_driver(sys, addr_);
  if (driver != "vfio-pci") {
    const std::string now = driver.empty() ? "not bound to any driver" : "bound to " + driver;
    throw Error(addr_ + " is " + now + ", not vfio-pci: bind it with `nicsetup bind " + addr_ + "` (tools/setup), or: " +
                (driver.empty() ? "" : "echo " + addr_ + " > /sys/bus/pci/devices/" + addr_ + "/driver/unbind; ") + "modprobe vfio-pci; echo " +
                hex16(info.vendor) + " " + hex16(info.device) + " > /sys/bus/pci/drivers/vfio-pci/new_id (" + kRigDoc + ")");
  }
  group_number_ = *group;
  if (const std::string problem = group_viability_problem(sys, group_number_, addr_); !problem.empty())
    throw Error(problem);

  open_container_and_group();
  open_device();
  const PciId id = identity();
  log(LogLevel::kInfo, "%s: %04x:%04x, IOMMU group %d, BAR0 %zu KiB", name().c_str(), id.vendor, id.device,
      group_number_, bar0_.size >> 10);
}

// The process's container for `vfio_dir` (VfioContainer in vfio_backend.h): opened by the first device,
// shared by the others while any of them lives. Checked once its group is open too (open_container_and_group),
// so a missing group node is reported before an unusable container, as with a container of its own.
static std::shared_ptr<VfioContainer> shared_container(const std::string& vfio_dir, const std::string& addr) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<VfioContainer>> containers;
  std::lock_guard<std::mutex> lock(mu);
  if (auto c = containers[vfio_dir].lock()) return c;
  auto c = std::make_shared<VfioContainer>();
  c->fd = open_vfio_node(vfio_dir + "vfio", addr, /*container=*/true);
  containers[vfio_dir] = c;
  return c;
}

// The sequence of Documentation/driver-api/vfio.rst, "VFIO Usage Example", with the container shared.
void VfioBackend::open_container_and_group() {
  const std::string vfio_dir = options_.dev_root + "/vfio/";
  const std::string group_path = vfio_dir + std::to_string(group_number_);
  container_ = shared_container(vfio_dir, addr_);
  group_ = open_vfio_node(group_path, addr_, /*container=*/false);
  {
    std::lock_guard<std::mutex> lock(container_->mu);
    if (!container_->checked) {
      const int version = ::ioctl(container_->fd.get(), VFIO_GET_API_VERSION);
      if (version != VFIO_API_VERSION)
        throw Error(vfio_dir + "vfio is not a usable VFIO container (VFIO_GET_API_VERSION: " +
                    (version < 0 ? errno_str(errno) : "version " + std::to_string(version)) + ", expected " +
                    std::to_string(VFIO_API_VERSION) + ")");
      if (::ioctl(container_->fd.get(), VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0)
        throw Error("this kernel's VFIO lacks the type1 IOMMU backend: modprobe vfio_iommu_type1");
      container_->checked = true;
    }
  }

  vfio_group_status status{};
  status.argsz = sizeof status;
  if (::ioctl(group_.get(), VFIO_GROUP_GET_STATUS, &status) != 0)
    throw Error(group_path + ": VFIO_GROUP_GET_STATUS failed: " + errno_str(errno));
  if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
    const std::string problem = group_viability_problem(options_.sysfs_root, group_number_, addr_);
    throw Error(!problem.empty() ? problem
                                 : "IOMMU group " + std::to_string(group_number_) + " of " + addr_ +
                                       " is not viable: bind every device in " + options_.sysfs_root +
                                       "/kernel/iommu_groups/" + std::to_string(group_number_) +
                                       "/devices to vfio-pci (see dmesg)");
  }

  std::lock_guard<std::mutex> lock(container_->mu);
  const int container_fd = container_->fd.get();
  // A group already in the container (a second port of one group, e.g. two functions of one card) is in it.
  if (!(status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) &&
      ::ioctl(group_.get(), VFIO_GROUP_SET_CONTAINER, &container_fd) != 0)
    throw Error(group_path + ": VFIO_GROUP_SET_CONTAINER failed: " + errno_str(errno));
  if (container_->iommu_set) return;
  // Type1v2 (stricter unmap semantics) when available; we always unmap exactly what we mapped, so either works.
  const int type = ::ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0 ? VFIO_TYPE1v2_IOMMU
                                                                                     : VFIO_TYPE1_IOMMU;
  if (::ioctl(container_fd, VFIO_SET_IOMMU, type) != 0)
    throw Error("VFIO_SET_IOMMU(type1) failed for group " + std::to_string(group_number_) + ": " + errno_str(errno));
  container_->iova = IovaSpace(query_iova_ranges(container_fd));
  container_->iommu_set = true;
}

void VfioBackend::open_device() {
  const int fd = ::ioctl(group_.get(), VFIO_GROUP_GET_DEVICE_FD, addr_.c_str());
  if (fd < 0) throw Error(addr_ + ": VFIO_GROUP_GET_DEVICE_FD failed: " + errno_str(errno) + " (device in use?)");
  device_ = Fd(fd);

  vfio_region_info config{};
  config.argsz = sizeof config;
  config.index = VFIO_PCI_CONFIG_REGION_INDEX;
  if (::ioctl(device_.get(), VFIO_DEVICE_GET_REGION_INFO, &config) != 0 || config.size == 0)
    throw Error(addr_ + ": cannot get the PCI config region: " + errno_str(errno));
  config_offset_ = config.offset;
  config_size_ = config.size;

  vfio_region_info bar{};
  bar.argsz = sizeof bar;
  bar.index = VFIO_PCI_BAR0_REGION_INDEX;
  if (::ioctl(device_.get(), VFIO_DEVICE_GET_REGION_INFO, &bar) != 0)
    throw Error(addr_ + ": cannot get BAR0 region info: " + errno_str(errno));
  if (bar.size == 0 || !(bar.flags & VFIO_REGION_INFO_FLAG_MMAP))
    throw Error(addr_ + ": BAR0 is " + (bar.size == 0 ? "empty" : "not mmap-able") + "; is this really a NIC?");
  void* p = ::mmap(nullptr, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, device_.get(), static_cast<off_t>(bar.offset));
  if (p == MAP_FAILED) throw Error(addr_ + ": mmap of BAR0 (" + std::to_string(bar.size) + " bytes) failed: " + errno_str(errno));
  bar0_.base = static_cast<volatile uint8_t*>(p);
  bar0_.size = bar.size;
}

VfioBackend::~VfioBackend() {
  disable_msix();  // before the device fd closes (closing it would also release the vectors)
  std::lock_guard<std::mutex> lock(dma_mu_);
  for (auto& [virt, block] : dma_) unmap_dma(block.iova, block.memory.size());
  dma_.clear();  // munmaps; then BAR0, device, group and container go in member order
}

// --- MMIO. Out-of-range offsets read as all-ones (like a device that fell off the bus) and writes are dropped:
// the hot path must not throw, and a wild offset must not become a wild pointer.
uint32_t VfioBackend::read32(uint32_t offset) {
  if (offset % 4 != 0 || offset + uint64_t{4} > bar0_.size) [[unlikely]]
    return 0xFFFFFFFFu;
  return *reinterpret_cast<volatile uint32_t*>(bar0_.base + offset);
}

void VfioBackend::write32(uint32_t offset, uint32_t value) {
  if (offset % 4 != 0 || offset + uint64_t{4} > bar0_.size) [[unlikely]] {
    log(LogLevel::kError, "%s: write32 to bad BAR0 offset 0x%x dropped", name().c_str(), offset);
    return;
  }
  *reinterpret_cast<volatile uint32_t*>(bar0_.base + offset) = value;
}

Doorbell VfioBackend::doorbell(uint32_t offset) {
  if (offset % 4 != 0 || offset + uint64_t{4} > bar0_.size) return Doorbell(*this, offset);
  return Doorbell(*this, offset, reinterpret_cast<volatile uint32_t*>(bar0_.base + offset));
}

// --- DMA memory.
DmaRegion VfioBackend::dma_alloc(size_t bytes, size_t align) {
  if (bytes == 0 || align == 0 || (align & (align - 1)) != 0)
    throw Error(name() + ": dma_alloc(" + std::to_string(bytes) + ", " + std::to_string(align) +
                "): size must be > 0 and alignment a power of two");
  if (align > kHugepageSize)
    throw Error(name() + ": dma_alloc alignment " + std::to_string(align) + " exceeds the 2 MiB hugepage size");
  std::lock_guard<std::mutex> lock(dma_mu_);
  HugepageMemory memory = HugepageMemory::allocate(options_.hugepage_dir, bytes);
  const uint64_t virt = reinterpret_cast<uintptr_t>(memory.data());
  std::lock_guard<std::mutex> clock(container_->mu);
  const uint64_t iova = container_->iova.assign(memory.size(), kHugepageSize);  // never the virtual address

  vfio_iommu_type1_dma_map map{};
  map.argsz = sizeof map;
  map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
  map.vaddr = virt;
  map.iova = iova;
  map.size = memory.size();
  if (::ioctl(container_->fd.get(), VFIO_IOMMU_MAP_DMA, &map) != 0) {
    const int err = errno;
    container_->iova.release(iova);
    throw Error(name() + ": VFIO_IOMMU_MAP_DMA of " + std::to_string(map.size >> 20) + " MiB failed: " + errno_str(err) +
                (err == ENOMEM ? " (pinned memory counts against RLIMIT_MEMLOCK: ulimit -l unlimited, or run as root)"
                               : ""));
  }
  DmaRegion region{memory.data(), iova, memory.size()};
  dma_.emplace(region.virt, DmaBlock{std::move(memory), iova});
  return region;
}

void VfioBackend::dma_free(const DmaRegion& region) {
  std::lock_guard<std::mutex> lock(dma_mu_);
  const auto it = dma_.find(region.virt);
  if (it == dma_.end() || it->second.iova != region.iova)
    throw Error(name() + ": dma_free of a region that was never allocated");
  unmap_dma(it->second.iova, it->second.memory.size());
  dma_.erase(it);  // munmaps the hugepages
}

void VfioBackend::unmap_dma(uint64_t iova, uint64_t size) {
  std::lock_guard<std::mutex> lock(container_->mu);
  vfio_iommu_type1_dma_unmap unmap{};
  unmap.argsz = sizeof unmap;
  unmap.iova = iova;
  unmap.size = size;
  if (::ioctl(container_->fd.get(), VFIO_IOMMU_UNMAP_DMA, &unmap) != 0)
    log(LogLevel::kWarn, "%s: VFIO_IOMMU_UNMAP_DMA(iova 0x%llx) failed: %s", name().c_str(),
        static_cast<unsigned long long>(iova), std::strerror(errno));
  container_->iova.release(iova);
}

// --- Config space: the config region of the device fd. PCI is little-endian; assembling bytes keeps this
// independent of the host's byte order.
uint32_t VfioBackend::config_read(uint32_t offset, int width) {
  if ((width != 1 && width != 2 && width != 4) || offset + uint64_t(width) > config_size_)
    throw Error(name() + ": config_read(" + std::to_string(offset) + ", " + std::to_string(width) + ") out of range");
  uint8_t b[4] = {};
  const ssize_t n = ::pread(device_.get(), b, width, static_cast<off_t>(config_offset_ + offset));
  if (n != width)
    throw Error(name() + ": config space read at " + std::to_string(offset) + " failed: " + (n < 0 ? errno_str(errno) : "short read"));
  uint32_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | b[i];
  return v;
}

void VfioBackend::config_write(uint32_t offset, uint32_t value, int width) {
  if ((width != 1 && width != 2 && width != 4) || offset + uint64_t(width) > config_size_)
    throw Error(name() + ": config_write(" + std::to_string(offset) + ", " + std::to_string(width) + ") out of range");
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(value >> (8 * i));
  const ssize_t n = ::pwrite(device_.get(), b, width, static_cast<off_t>(config_offset_ + offset));
  if (n != width)
    throw Error(name() + ": config space write at " + std::to_string(offset) + " failed: " + (n < 0 ? errno_str(errno) : "short write"));
}

PciId VfioBackend::identity() {
  return {static_cast<uint16_t>(config_read(pci::kVendorId, 2)), static_cast<uint16_t>(config_read(pci::kDeviceId, 2)),
          config_read(pci::kClassRev, 4) >> 8};
}

// --- Interrupts (Documentation/driver-api/vfio.rst, VFIO_DEVICE_GET_IRQ_INFO / VFIO_DEVICE_SET_IRQS):
// MSI-X is IRQ index VFIO_PCI_MSIX_IRQ_INDEX; SET_IRQS with DATA_EVENTFD | ACTION_TRIGGER hands the kernel
// one eventfd per vector (vfio-pci enables MSI-X on the device and signals the eventfd from its handler).
std::vector<int> VfioBackend::enable_msix(uint32_t vectors) {
  if (vectors == 0) throw Error(name() + ": enable_msix(0): at least one vector is needed");
  disable_msix();
  vfio_irq_info info{};
  info.argsz = sizeof info;
  info.index = VFIO_PCI_MSIX_IRQ_INDEX;
  if (::ioctl(device_.get(), VFIO_DEVICE_GET_IRQ_INFO, &info) != 0)
    throw Error(name() + ": VFIO_DEVICE_GET_IRQ_INFO(MSI-X) failed: " + errno_str(errno));
  if (info.count == 0)
    throw Error(name() + ": the device has no MSI-X capability (VFIO reports 0 MSI-X vectors); poll instead");
  if (!(info.flags & VFIO_IRQ_INFO_EVENTFD))
    throw Error(name() + ": VFIO cannot signal this device's MSI-X vectors through eventfds");
  if (vectors > info.count)
    throw Error(name() + ": " + std::to_string(vectors) + " MSI-X vectors wanted, the device has " +
                std::to_string(info.count));

  std::vector<Fd> fds;
  for (uint32_t i = 0; i < vectors; ++i) {
    Fd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!fd.valid()) throw Error(name() + ": eventfd() for MSI-X vector " + std::to_string(i) + ": " + errno_str(errno));
    fds.push_back(std::move(fd));
  }
  std::vector<uint8_t> buf(sizeof(vfio_irq_set) + sizeof(int32_t) * vectors);
  auto* set = reinterpret_cast<vfio_irq_set*>(buf.data());
  set->argsz = static_cast<uint32_t>(buf.size());
  set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
  set->index = VFIO_PCI_MSIX_IRQ_INDEX;
  set->start = 0;
  set->count = vectors;
  for (uint32_t i = 0; i < vectors; ++i) {
    const int32_t fd = fds[i].get();
    std::memcpy(set->data + i * sizeof(int32_t), &fd, sizeof fd);
  }
  if (::ioctl(device_.get(), VFIO_DEVICE_SET_IRQS, set) != 0) {
    const int err = errno;
    throw Error(name() + ": VFIO_DEVICE_SET_IRQS(MSI-X, " + std::to_string(vectors) + " eventfds) failed: " +
                errno_str(err) + (err == EINVAL ? " (is another interrupt mode, INTx or MSI, still enabled?)" : ""));
  }
  msix_fds_ = std::move(fds);
  std::vector<int> out;
  for (const Fd& fd : msix_fds_) out.push_back(fd.get());
  log(LogLevel::kInfo, "%s: MSI-X on, %u of %u vectors signalled through eventfds", name().c_str(), vectors, info.count);
  return out;
}

void VfioBackend::disable_msix() {
  if (msix_fds_.empty()) return;
  vfio_irq_set set{};
  set.argsz = sizeof set;
  set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;  // count 0: MSI-X off, every trigger gone
  set.index = VFIO_PCI_MSIX_IRQ_INDEX;
  set.start = 0;
  set.count = 0;
  if (::ioctl(device_.get(), VFIO_DEVICE_SET_IRQS, &set) != 0)
    log(LogLevel::kWarn, "%s: VFIO_DEVICE_SET_IRQS(MSI-X off) failed: %s", name().c_str(), std::strerror(errno));
  msix_fds_.clear();  // closes the eventfds
}

// --- Time.
void VfioBackend::delay_us(uint32_t us) {
  timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

uint64_t VfioBackend::now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace nic::vfio
