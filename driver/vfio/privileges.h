// Dropping root after the device is open.
//
// VFIO needs root (or a chown'ed /dev/vfio/N plus a large RLIMIT_MEMLOCK) only to open the group and pin
// memory. An app can open the device, allocate its DMA memory, then drop to an unprivileged user: the open
// fds and mappings stay valid. Note that VFIO_IOMMU_MAP_DMA after the drop is charged to the new user's
// RLIMIT_MEMLOCK, so allocate rings and mempools first.
#pragma once

#include <sys/types.h>

#include <string>

namespace nic::vfio {

struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
};

// "name" (looked up in the passwd database: its uid and primary gid) or numeric "uid:gid".
// Names are looked up through NSS, then in /etc/passwd itself (static binaries have no NSS modules).
// Throws nic::Error for unknown names, malformed or out-of-range ids, and a non-root uid with group 0
// (the drop would leave the process in root's group).
UserIds parse_user(const std::string& spec);
// The passwd(5) file at `path` searched for `name` (parse_user's fallback); false if absent or malformed.
bool lookup_passwd_file(const std::string& path, const std::string& name, UserIds* out);

// setgroups(0), setgid(gid), setuid(uid) — in that order, since after setuid we could no longer change
// groups — then verifies that regaining root fails. Throws nic::Error when not running as root, when an id is
// invalid, or when the drop did not stick. Process-wide: call before starting threads.
void drop_privileges(uid_t uid, gid_t gid);

}  // namespace nic::vfio
