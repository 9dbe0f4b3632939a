// vfio-user wire format (QEMU's docs/interop/vfio-user.rst, protocol 0.x): the message header, the command
// numbers and the payload layouts this server reads and writes. All fields are host-endian (the protocol's
// rule for AF_UNIX peers). Payload structs mirror the Linux VFIO uapi structs they are derived from
// (<linux/vfio.h>: vfio_region_info, vfio_irq_info, vfio_irq_set, vfio_iommu_type1_dma_map/unmap); their
// sizes are checked below, so a layout slip fails the build.
//
// Parsing never casts the receive buffer to these structs: fields are copied out with memcpy (load<T>())
// after the message size has been checked, so a short or unaligned buffer cannot be over-read.
#pragma once

#include <linux/vfio.h>

#include <cstdint>
#include <cstring>
#include <span>

namespace vfio_user {

inline constexpr uint16_t kMajor = 0;
inline constexpr uint16_t kMinor = 0;

enum Command : uint16_t {
  kVersion = 1,
  kDmaMap = 2,
  kDmaUnmap = 3,
  kDeviceGetInfo = 4,
  kDeviceGetRegionInfo = 5,
  kDeviceGetRegionIoFds = 6,
  kDeviceGetIrqInfo = 7,
  kDeviceSetIrqs = 8,
  kRegionRead = 9,
  kRegionWrite = 10,
  kDmaRead = 11,   // server -> client
  kDmaWrite = 12,  // server -> client
  kDeviceReset = 13,
  kDirtyPages = 14,  // withdrawn in later protocol revisions
  kRegionWriteMulti = 15,
  kDeviceFeature = 16,
  kMigDataRead = 17,
  kMigDataWrite = 18,
};
const char* command_name(uint16_t command);

// Header flags (offset 8).
inline constexpr uint32_t kFlagTypeMask = 0xF;
inline constexpr uint32_t kTypeCommand = 0x0;
inline constexpr uint32_t kTypeReply = 0x1;
inline constexpr uint32_t kFlagNoReply = 1u << 4;
inline constexpr uint32_t kFlagError = 1u << 5;

struct Header {
  uint16_t msg_id;
  uint16_t command;
  uint32_t msg_size;  // the whole message, header included
  uint32_t flags;
  uint32_t error_no;  // replies with kFlagError: a UNIX errno (may be 0)
};
static_assert(sizeof(Header) == 16);
inline constexpr size_t kHeaderSize = sizeof(Header);

// VERSION: major, minor, then an optional NUL-terminated JSON object.
struct Version {
  uint16_t major, minor;
};
static_assert(sizeof(Version) == 4);

// DMA_MAP (argsz is the struct's size: 32) and DMA_UNMAP (24; the reply echoes it).
struct DmaMap {
  uint32_t argsz, flags;  // flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE
  uint64_t offset;        // file offset of the region in the passed fd, 0 without one
  uint64_t address;       // IOVA
  uint64_t size;
};
static_assert(sizeof(DmaMap) == 32 && sizeof(DmaMap) == sizeof(vfio_iommu_type1_dma_map));
struct DmaUnmap {
  uint32_t argsz, flags;  // flags: VFIO_DMA_UNMAP_FLAG_ALL unmaps everything
  uint64_t address, size;
};
static_assert(sizeof(DmaUnmap) == 24 && sizeof(DmaUnmap) == sizeof(vfio_iommu_type1_dma_unmap));

// DEVICE_GET_INFO: struct vfio_device_info without the v2 capability fields.
struct DeviceInfo {
  uint32_t argsz, flags, num_regions, num_irqs;
};
static_assert(sizeof(DeviceInfo) == 16);

// DEVICE_GET_REGION_INFO: struct vfio_region_info.
struct RegionInfo {
  uint32_t argsz, flags, index, cap_offset;
  uint64_t size, offset;
};
static_assert(sizeof(RegionInfo) == 32 && sizeof(RegionInfo) == sizeof(vfio_region_info));

// DEVICE_GET_IRQ_INFO: struct vfio_irq_info.
struct IrqInfo {
  uint32_t argsz, flags, index, count;
};
static_assert(sizeof(IrqInfo) == 16 && sizeof(IrqInfo) == sizeof(vfio_irq_info));

// DEVICE_SET_IRQS: struct vfio_irq_set (its data: DATA_BOOL bytes; eventfds travel as SCM_RIGHTS).
struct IrqSet {
  uint32_t argsz, flags, index, start, count;
};
static_assert(sizeof(IrqSet) == 20 && sizeof(IrqSet) == offsetof(vfio_irq_set, data));

// REGION_READ / REGION_WRITE (data follows a write request and a read reply).
struct RegionAccess {
  uint64_t offset;
  uint32_t region, count;
};
static_assert(sizeof(RegionAccess) == 16);

// REGION_WRITE_MULTI: wr_cnt (u64), then wr_cnt of these.
struct WriteOne {
  uint64_t offset;
  uint32_t region, count;
  uint8_t data[8];
};
static_assert(sizeof(WriteOne) == 24);
inline constexpr uint32_t kWriteMultiMax = 200;  // QEMU's VFIO_USER_MULTI_MAX: the most one message carries

// A field of type T at byte `at` of `msg`, copied out (the caller has checked the bounds).
template <typename T>
T load(std::span<const uint8_t> msg, size_t at) {
  T v;
  std::memcpy(&v, msg.data() + at, sizeof v);
  return v;
}

}  // namespace vfio_user
