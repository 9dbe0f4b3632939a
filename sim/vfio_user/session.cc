#include "sim/vfio_user/session.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

namespace vfio_user {

const char* command_name(uint16_t command) {
  switch (command) {
    case kVersion: return "VERSION";
    case kDmaMap: return "DMA_MAP";
    case kDmaUnmap: return "DMA_UNMAP";
    case kDeviceGetInfo: return "DEVICE_GET_INFO";
    case kDeviceGetRegionInfo: return "DEVICE_GET_REGION_INFO";
    case kDeviceGetRegionIoFds: return "DEVICE_GET_REGION_IO_FDS";
    case kDeviceGetIrqInfo: return "DEVICE_GET_IRQ_INFO";
    case kDeviceSetIrqs: return "DEVICE_SET_IRQS";
    case kRegionRead: return "REGION_READ";
    case kRegionWrite: return "REGION_WRITE";
    case kDmaRead: return "DMA_READ";
    case kDmaWrite: return "DMA_WRITE";
    case kDeviceReset: return "DEVICE_RESET";
    case kDirtyPages: return "DIRTY_PAGES";
    case kRegionWriteMulti: return "REGION_WRITE_MULTI";
    case kDeviceFeature: return "DEVICE_FEATURE";
    case kMigDataRead: return "MIG_DATA_READ";
    case kMigDataWrite: return "MIG_DATA_WRITE";
    default: return "unknown command";
  }
}

namespace {

constexpr uint32_t kNumRegions = VFIO_PCI_NUM_REGIONS;  // 9: BAR0..5, ROM, config, VGA
constexpr uint32_t kMaxFdsPerMessage = 64;
constexpr size_t kMaxJson = 64 * 1024;
constexpr int kMaxJsonDepth = 32;

// Nesting depth of a JSON text (brackets outside strings): deeper input is refused before it is parsed.
int json_depth(std::string_view s) {
  int depth = 0, max = 0;
  bool in_string = false, escape = false;
  for (const char ch : s) {
    if (in_string) {
      if (escape) escape = false;
      else if (ch == '\\') escape = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      max = std::max(max, ++depth);
    } else if (ch == '}' || ch == ']') {
      --depth;
    }
  }
  return max;
}

bool one_bit(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

struct Session::Ctx {
  Header h;
  std::span<const uint8_t> payload;
  std::array<int, kMaxFdsPerMessage> fds{};
  size_t nfds = 0;
  std::vector<uint8_t>& reply;
  Ctx(std::vector<uint8_t>& r) : reply(r) {}
  ~Ctx() {
    for (size_t i = 0; i < nfds; ++i)
      if (fds[i] >= 0) ::close(fds[i]);
  }
  int take(size_t i) { return std::exchange(fds[i], -1); }
  bool no_reply() const { return h.flags & kFlagNoReply; }
};

Session::Session(PciFunction& fn, SessionOptions opt) : fn_(fn), opt_(opt), dma_(fn.dma_domain()) {
  opt_.max_msg_fds = std::clamp<uint32_t>(opt_.max_msg_fds, 1, kMaxFdsPerMessage);
  opt_.max_data_xfer = std::clamp<uint32_t>(opt_.max_data_xfer, 4096, 64u << 20);
  nlohmann::json caps = {{"max_msg_fds", opt_.max_msg_fds},
                         {"max_data_xfer_size", opt_.max_data_xfer},
                         {"max_dma_maps", 65535},
                         {"pgsizes", 4096}};
  if (opt_.write_multiple) caps["write_multiple"] = true;
  caps_json_ = nlohmann::json{{"capabilities", caps}}.dump();
  caps_json_.push_back('\0');
  for (uint32_t i = 0; i < kIrqIndices; ++i) irq_fds_[i].assign(fn_.irq_count(i), -1);
  fn_.set_interrupt_sink([this](uint32_t v) { deliver(v); });
}

Session::~Session() {
  fn_.set_interrupt_sink(nullptr);
  for (uint32_t i = 0; i < kIrqIndices; ++i) close_irq(i);
  dma_.clear();
}

int Session::irq_fd(uint32_t index, uint32_t sub) const {
  return index < kIrqIndices && sub < irq_fds_[index].size() ? irq_fds_[index][sub] : -1;
}

void Session::close_irq(uint32_t index) {
  for (int& fd : irq_fds_[index])
    if (fd >= 0) ::close(std::exchange(fd, -1));
  if (index == VFIO_PCI_INTX_IRQ_INDEX && intx_unmask_fd_ >= 0) ::close(std::exchange(intx_unmask_fd_, -1));
  irq_enabled_[index] = false;
  if (active_ == static_cast<int>(index)) active_ = -1;
}

void Session::signal(int fd) {
  if (fd < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);  // EAGAIN only with 2^64-2 pending
}

void Session::deliver(uint32_t vector) {
  switch (active_) {
    case VFIO_PCI_MSIX_IRQ_INDEX:
      if (vector < irq_fds_[active_].size() && irq_fds_[active_][vector] >= 0) {
        signal(irq_fds_[active_][vector]);
        ++stats_.interrupts;
      }
      break;
    case VFIO_PCI_MSI_IRQ_INDEX:
      if (!irq_fds_[active_].empty() && irq_fds_[active_][0] >= 0) {
        signal(irq_fds_[active_][0]);
        ++stats_.interrupts;
      }
      break;
    case VFIO_PCI_INTX_IRQ_INDEX:  // level-triggered, automasked until the client unmasks
      if (!intx_masked_ && !fn_.intx_disabled() && !irq_fds_[active_].empty() && irq_fds_[active_][0] >= 0) {
        intx_masked_ = true;
        signal(irq_fds_[active_][0]);
        ++stats_.interrupts;
      }
      break;
    default:
      break;
  }
}

uint8_t* Session::begin_reply(Ctx& c, size_t payload) {
  const size_t at = c.reply.size();
  c.reply.resize(at + kHeaderSize + payload);
  const Header r{c.h.msg_id, c.h.command, static_cast<uint32_t>(kHeaderSize + payload), kTypeReply, 0};
  std::memcpy(c.reply.data() + at, &r, sizeof r);
  return c.reply.data() + at + kHeaderSize;
}

Session::Result Session::fail(Ctx& c, int err, std::string why) {
  ++stats_.errors;
  last_error_ = std::string(command_name(c.h.command)) + ": " + why;
  if (c.no_reply()) return Result::kOk;
  const Header r{c.h.msg_id, c.h.command, static_cast<uint32_t>(kHeaderSize), kTypeReply | kFlagError,
                 static_cast<uint32_t>(err)};
  const size_t at = c.reply.size();
  c.reply.resize(at + kHeaderSize);
  std::memcpy(c.reply.data() + at, &r, sizeof r);
  return Result::kOk;
}

void Session::refuse(const Header& h, int err, const char* why, std::vector<uint8_t>& reply) {
  Ctx c(reply);
  c.h = h;
  ++stats_.messages;
  fail(c, err, why);
}

Session::Result Session::handle(std::span<const uint8_t> msg, std::span<const int> fds, std::vector<uint8_t>& reply) {
  Ctx c(reply);
  // Own every fd first, so each is closed on every path below.
  const size_t keep = std::min<size_t>(fds.size(), kMaxFdsPerMessage);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (i < keep) c.fds[c.nfds++] = fds[i];
    else if (fds[i] >= 0) ::close(fds[i]);
  }
  stats_.fds_received += fds.size();
  ++stats_.messages;
  if (msg.size() < kHeaderSize) {  // the transport never passes one; a direct caller might
    last_error_ = "message shorter than its header";
    ++stats_.errors;
    return Result::kClose;
  }
  c.h = load<Header>(msg, 0);
  if (c.h.msg_size != msg.size()) {
    const uint32_t claimed = c.h.msg_size;
    return fail(c, EINVAL, "header says " + std::to_string(claimed) + " bytes, message has " + std::to_string(msg.size()));
  }
  c.payload = msg.subspan(kHeaderSize);
  if (c.no_reply()) ++stats_.no_reply;
  switch (c.h.flags & kFlagTypeMask) {
    case kTypeCommand: break;
    case kTypeReply:  // this server sends no requests: a reply answers nothing; never answered
      ++stats_.errors;
      last_error_ = "a reply to no request (id " + std::to_string(c.h.msg_id) + ")";
      return Result::kOk;
    default: return fail(c, EINVAL, "unknown message type " + std::to_string(c.h.flags & kFlagTypeMask));
  }
  if (fds.size() > opt_.max_msg_fds)
    return fail(c, EINVAL, std::to_string(fds.size()) + " fds in one message (max_msg_fds is " + std::to_string(opt_.max_msg_fds) + ")");
  if (c.nfds && c.h.command != kDmaMap && c.h.command != kDeviceSetIrqs)
    return fail(c, EINVAL, std::to_string(c.nfds) + " unexpected fds");
  if (!negotiated_ && c.h.command != kVersion) return fail(c, EINVAL, "before VERSION");
  const size_t before = reply.size();
  const Result r = dispatch(c);
  if (c.no_reply()) reply.resize(before);  // done, never answered (errors included)
  return r;
}

Session::Result Session::dispatch(Ctx& c) {
  switch (c.h.command) {
    case kVersion: return version(c);
    case kDmaMap: return dma_map(c);
    case kDmaUnmap: return dma_unmap(c);
    case kDeviceGetInfo: return get_info(c);
    case kDeviceGetRegionInfo: return get_region_info(c);
    case kDeviceGetIrqInfo: return get_irq_info(c);
    case kDeviceSetIrqs: return set_irqs(c);
    case kRegionRead: return region_read(c);
    case kRegionWrite: return region_write(c);
    case kRegionWriteMulti:
      if (!opt_.write_multiple) return fail(c, ENOTSUP, "not offered");
      return write_multi(c);
    case kDeviceReset: return reset(c);
    case kDmaRead:
    case kDmaWrite: return fail(c, EINVAL, "a server-to-client command");
    case kDeviceGetRegionIoFds:
    case kDeviceFeature:
    case kDirtyPages:
    case kMigDataRead:
    case kMigDataWrite: return fail(c, ENOTSUP, "not supported by this server");
    default: return fail(c, ENOSYS, "command " + std::to_string(c.h.command));
  }
}

// ---------------------------------------------------------------------------------------------------------
Session::Result Session::version(Ctx& c) {
  if (negotiated_) return fail(c, EINVAL, "already negotiated");
  if (c.payload.size() < sizeof(Version)) return fail(c, EINVAL, "payload shorter than major/minor");
  const Version v = load<Version>(c.payload, 0);
  if (v.major != kMajor) {
    fail(c, ENOTSUP, "major version " + std::to_string(v.major) + " (this server speaks " + std::to_string(kMajor) + ")");
    return Result::kClose;  // the spec: a server that cannot speak the proposed major closes the connection
  }
  if (c.payload.size() > sizeof(Version)) {
    const auto json = c.payload.subspan(sizeof(Version));
    const auto nul = std::find(json.begin(), json.end(), uint8_t{0});
    if (nul == json.end()) return fail(c, EINVAL, "capabilities not NUL-terminated");
    const std::string_view text(reinterpret_cast<const char*>(json.data()), static_cast<size_t>(nul - json.begin()));
    if (text.size() > kMaxJson) return fail(c, EINVAL, "capabilities longer than 64 KiB");
    if (!text.empty()) {
      if (json_depth(text) > kMaxJsonDepth) return fail(c, EINVAL, "capabilities nested too deep");
      const auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded() || !doc.is_object()) return fail(c, EINVAL, "capabilities are not a JSON object");
      // Nothing the client offers changes this server: it sends no fds and no data transfers of its own, and
      // takes 4 KiB pages (every client supports them). A client that cannot map 4 KiB pages is refused.
      if (auto caps = doc.find("capabilities"); caps != doc.end() && caps->is_object()) {
        if (auto pg = caps->find("pgsizes"); pg != caps->end() && pg->is_number_unsigned() &&
                                             !(pg->get<uint64_t>() & 4096))
          return fail(c, EINVAL, "client page sizes exclude 4 KiB");
      }
    }
  }
  uint8_t* p = begin_reply(c, sizeof(Version) + caps_json_.size());
  const Version mine{kMajor, std::min(v.minor, kMinor)};
  std::memcpy(p, &mine, sizeof mine);
  std::memcpy(p + sizeof mine, caps_json_.data(), caps_json_.size());
  negotiated_ = true;
  return Result::kOk;
}

Session::Result Session::dma_map(Ctx& c) {
  ++stats_.dma_maps;
  if (c.payload.size() < sizeof(DmaMap)) return fail(c, EINVAL, "payload shorter than the map struct");
  const DmaMap m = load<DmaMap>(c.payload, 0);
  if (m.argsz < sizeof(DmaMap)) return fail(c, EINVAL, "argsz " + std::to_string(m.argsz));
  if (c.nfds > 1) return fail(c, EINVAL, std::to_string(c.nfds) + " fds (one at most)");
  const int fd = c.nfds ? c.take(0) : -1;
  if (const int err = dma_.map(m.address, m.size, m.offset, m.flags, fd); err != 0) {
    char why[96];
    std::snprintf(why, sizeof why, "iova 0x%llx size 0x%llx offset 0x%llx flags 0x%x", static_cast<unsigned long long>(m.address),
                  static_cast<unsigned long long>(m.size), static_cast<unsigned long long>(m.offset), m.flags);
    return fail(c, err, why);
  }
  stats_.fds_kept += fd >= 0;
  begin_reply(c, 0);
  return Result::kOk;
}

Session::Result Session::dma_unmap(Ctx& c) {
  ++stats_.dma_unmaps;
  if (c.payload.size() < sizeof(DmaUnmap)) return fail(c, EINVAL, "payload shorter than the unmap struct");
  const DmaUnmap u = load<DmaUnmap>(c.payload, 0);
  if (u.argsz < sizeof(DmaUnmap)) return fail(c, EINVAL, "argsz " + std::to_string(u.argsz));
  if (u.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) return fail(c, ENOTSUP, "dirty bitmaps");
  if (u.flags & ~static_cast<uint32_t>(VFIO_DMA_UNMAP_FLAG_ALL)) return fail(c, EINVAL, "flags " + std::to_string(u.flags));
  if (u.flags & VFIO_DMA_UNMAP_FLAG_ALL) dma_.clear();
  else dma_.unmap(u.address, u.size);
  uint8_t* p = begin_reply(c, sizeof(DmaUnmap));  // the spec: the reply is the original entry
  std::memcpy(p, &u, sizeof u);
  return Result::kOk;
}

Session::Result Session::get_info(Ctx& c) {
  if (c.payload.size() < sizeof(uint32_t)) return fail(c, EINVAL, "no argsz");
  const uint32_t argsz = load<uint32_t>(c.payload, 0);
  if (argsz < sizeof(DeviceInfo)) return fail(c, EINVAL, "argsz " + std::to_string(argsz));
  const DeviceInfo info{sizeof(DeviceInfo), VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, kNumRegions, kIrqIndices};
  std::memcpy(begin_reply(c, sizeof info), &info, sizeof info);
  return Result::kOk;
}

uint64_t Session::region_size(uint32_t region) const {
  if (region <= VFIO_PCI_BAR5_REGION_INDEX) return fn_.bar_size(region);
  if (region == VFIO_PCI_CONFIG_REGION_INDEX) return fn_.config_size();
  return 0;  // ROM, VGA: none
}

Session::Result Session::get_region_info(Ctx& c) {
  if (c.payload.size() < sizeof(RegionInfo)) return fail(c, EINVAL, "payload shorter than the region info struct");
  const RegionInfo q = load<RegionInfo>(c.payload, 0);
  if (q.argsz < sizeof(RegionInfo)) return fail(c, EINVAL, "argsz " + std::to_string(q.argsz));
  if (q.index >= kNumRegions) return fail(c, EINVAL, "region " + std::to_string(q.index) + " does not exist");
  RegionInfo r{};
  r.argsz = sizeof(RegionInfo);  // no capabilities (nothing is mmappable: every access comes as a message)
  r.index = q.index;
  r.size = region_size(q.index);
  r.flags = r.size ? VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE : 0;
  r.offset = static_cast<uint64_t>(q.index) << 40;  // as Linux's vfio-pci: only meaningful for mmap
  std::memcpy(begin_reply(c, sizeof r), &r, sizeof r);
  return Result::kOk;
}

Session::Result Session::get_irq_info(Ctx& c) {
  if (c.payload.size() < sizeof(IrqInfo)) return fail(c, EINVAL, "payload shorter than the irq info struct");
  const IrqInfo q = load<IrqInfo>(c.payload, 0);
  if (q.argsz < sizeof(IrqInfo)) return fail(c, EINVAL, "argsz " + std::to_string(q.argsz));
  if (q.index >= kIrqIndices) return fail(c, EINVAL, "irq index " + std::to_string(q.index) + " does not exist");
  IrqInfo r{sizeof(IrqInfo), 0, q.index, static_cast<uint32_t>(irq_fds_[q.index].size())};
  if (r.count) {
    r.flags = VFIO_IRQ_INFO_EVENTFD;
    if (q.index == VFIO_PCI_INTX_IRQ_INDEX) r.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
    else r.flags |= VFIO_IRQ_INFO_NORESIZE;
  }
  std::memcpy(begin_reply(c, sizeof r), &r, sizeof r);
  return Result::kOk;
}

Session::Result Session::set_irqs(Ctx& c) {
  ++stats_.irq_sets;
  if (c.payload.size() < sizeof(IrqSet)) return fail(c, EINVAL, "payload shorter than the irq set struct");
  const IrqSet s = load<IrqSet>(c.payload, 0);
  const uint32_t data = s.flags & VFIO_IRQ_SET_DATA_TYPE_MASK, action = s.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
  if (s.argsz < sizeof(IrqSet)) return fail(c, EINVAL, "argsz " + std::to_string(s.argsz));
  if (!one_bit(data) || !one_bit(action) || (s.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
    return fail(c, EINVAL, "flags " + std::to_string(s.flags));
  if (s.index >= kIrqIndices) return fail(c, EINVAL, "irq index " + std::to_string(s.index) + " does not exist");
  std::vector<int>& fds = irq_fds_[s.index];
  const uint32_t max = static_cast<uint32_t>(fds.size());
  const bool disable_all = s.count == 0 && data == VFIO_IRQ_SET_DATA_NONE;
  if (!disable_all && (s.start >= max || s.count > max - s.start))
    return fail(c, EINVAL, "interrupts " + std::to_string(s.start) + "+" + std::to_string(s.count) + " of " + std::to_string(max));
  if (data == VFIO_IRQ_SET_DATA_BOOL && (c.payload.size() - sizeof(IrqSet) < s.count || s.argsz - sizeof(IrqSet) < s.count))
    return fail(c, EINVAL, "fewer bools than count");
  if (data == VFIO_IRQ_SET_DATA_EVENTFD && c.nfds != 0 && c.nfds != s.count)
    return fail(c, EINVAL, std::to_string(c.nfds) + " fds for " + std::to_string(s.count) + " interrupts");
  if (data != VFIO_IRQ_SET_DATA_EVENTFD && c.nfds) return fail(c, EINVAL, "fds without DATA_EVENTFD");
  const bool intx = s.index == VFIO_PCI_INTX_IRQ_INDEX;
  auto selected = [&](uint32_t i) { return data != VFIO_IRQ_SET_DATA_BOOL || c.payload[sizeof(IrqSet) + i] != 0; };

  if (action == VFIO_IRQ_SET_ACTION_MASK || action == VFIO_IRQ_SET_ACTION_UNMASK) {
    if (!intx) return fail(c, EINVAL, "only INTx is maskable");
    if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
      if (action == VFIO_IRQ_SET_ACTION_MASK) return fail(c, EINVAL, "no mask eventfd for INTx");
      // The unmask (resample) eventfd a KVM client hands over: kept, closed with the session.
      if (intx_unmask_fd_ >= 0) ::close(std::exchange(intx_unmask_fd_, -1));
      if (c.nfds) intx_unmask_fd_ = c.take(0);
      stats_.fds_kept += c.nfds;
    } else if (!disable_all && selected(0)) {
      intx_masked_ = action == VFIO_IRQ_SET_ACTION_MASK;
    }
    begin_reply(c, 0);
    return Result::kOk;
  }
  // ACTION_TRIGGER.
  if (disable_all) {
    close_irq(s.index);
  } else if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
    for (uint32_t i = 0; i < s.count; ++i) {
      int& slot = fds[s.start + i];
      if (slot >= 0) ::close(slot);
      slot = c.nfds ? c.take(i) : -1;  // no fds: de-assign, the index stays enabled
    }
    stats_.fds_kept += c.nfds;
    if (active_ >= 0 && active_ != static_cast<int>(s.index)) close_irq(static_cast<uint32_t>(active_));
    irq_enabled_[s.index] = true;
    active_ = static_cast<int>(s.index);
    if (intx) intx_masked_ = false;
  } else {  // DATA_NONE / DATA_BOOL: the client triggers the interrupts itself (loopback through our eventfds)
    for (uint32_t i = 0; i < s.count; ++i)
      if (selected(i)) signal(fds[s.start + i]);
  }
  begin_reply(c, 0);
  return Result::kOk;
}

// ---------------------------------------------------------------------------------------------------------
int Session::check_access(uint32_t region, uint64_t offset, uint64_t count, std::string& why) const {
  if (region >= kNumRegions) {
    why = "region " + std::to_string(region) + " does not exist";
    return EINVAL;
  }
  const uint64_t size = region_size(region);
  if (count == 0 || count > opt_.max_data_xfer) {
    why = "count " + std::to_string(count);
    return EINVAL;
  }
  if (offset >= size || count > size - offset) {
    why = "region " + std::to_string(region) + " offset " + std::to_string(offset) + " count " + std::to_string(count) +
          " outside its " + std::to_string(size) + " bytes";
    return EINVAL;
  }
  if (region <= VFIO_PCI_BAR5_REGION_INDEX && ((count != 1 && count != 2 && count != 4 && count != 8) || offset % count)) {
    why = "BAR" + std::to_string(region) + " access of " + std::to_string(count) + " bytes at offset " + std::to_string(offset) +
          " (1, 2, 4 or 8, naturally aligned)";
    return EINVAL;
  }
  return 0;
}

Session::Result Session::region_read(Ctx& c) {
  ++stats_.region_reads;
  if (c.payload.size() < sizeof(RegionAccess)) return fail(c, EINVAL, "payload shorter than the access struct");
  const RegionAccess a = load<RegionAccess>(c.payload, 0);
  std::string why;
  if (const int err = check_access(a.region, a.offset, a.count, why)) return fail(c, err, why);
  uint8_t* p = begin_reply(c, sizeof(RegionAccess) + a.count);
  std::memcpy(p, &a, sizeof a);
  uint8_t* data = p + sizeof a;
  if (a.region == VFIO_PCI_CONFIG_REGION_INDEX) {
    ++stats_.config_reads;
    fn_.config_read(static_cast<uint32_t>(a.offset), {data, a.count});
  } else {
    ++stats_.bar_reads;
    const uint64_t v = fn_.bar_read(a.region, a.offset, a.count);
    std::memcpy(data, &v, a.count);  // little-endian host: the low bytes
  }
  return Result::kOk;
}

void Session::write_region(uint32_t region, uint64_t offset, std::span<const uint8_t> data) {
  if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
    ++stats_.config_writes;
    fn_.config_write(static_cast<uint32_t>(offset), data);
  } else {
    ++stats_.bar_writes;
    uint64_t v = 0;
    std::memcpy(&v, data.data(), data.size());
    fn_.bar_write(region, offset, static_cast<uint32_t>(data.size()), v);
  }
}

Session::Result Session::region_write(Ctx& c) {
  ++stats_.region_writes;
  if (c.payload.size() < sizeof(RegionAccess)) return fail(c, EINVAL, "payload shorter than the access struct");
  const RegionAccess a = load<RegionAccess>(c.payload, 0);
  std::string why;
  if (const int err = check_access(a.region, a.offset, a.count, why)) return fail(c, err, why);
  if (c.payload.size() - sizeof a < a.count)
    return fail(c, EINVAL, "count " + std::to_string(a.count) + " but " + std::to_string(c.payload.size() - sizeof a) + " data bytes");
  write_region(a.region, a.offset, c.payload.subspan(sizeof a, a.count));
  if (!c.no_reply()) std::memcpy(begin_reply(c, sizeof a), &a, sizeof a);
  return Result::kOk;
}

Session::Result Session::write_multi(Ctx& c) {
  ++stats_.write_multi;
  if (c.payload.size() < sizeof(uint64_t)) return fail(c, EINVAL, "no wr_cnt");
  const uint64_t n = load<uint64_t>(c.payload, 0);
  if (n > kWriteMultiMax || (c.payload.size() - sizeof(uint64_t)) / sizeof(WriteOne) < n)
    return fail(c, EINVAL, "wr_cnt " + std::to_string(n) + " in " + std::to_string(c.payload.size()) + " bytes");
  for (uint64_t i = 0; i < n; ++i) {
    const WriteOne w = load<WriteOne>(c.payload, sizeof(uint64_t) + i * sizeof(WriteOne));
    std::string why;
    if (w.count > sizeof w.data) return fail(c, EINVAL, "write " + std::to_string(i) + ": count " + std::to_string(w.count));
    if (const int err = check_access(w.region, w.offset, w.count, why)) return fail(c, err, "write " + std::to_string(i) + ": " + why);
    ++stats_.region_writes;
    write_region(w.region, w.offset, {w.data, w.count});
  }
  if (!c.no_reply()) std::memcpy(begin_reply(c, sizeof n), &n, sizeof n);
  return Result::kOk;
}

Session::Result Session::reset(Ctx& c) {
  ++stats_.resets;
  fn_.reset();
  begin_reply(c, 0);
  return Result::kOk;
}

}  // namespace vfio_user
