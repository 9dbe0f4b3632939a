#include "driver/vfio/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "driver/seam/error.h"

namespace nic::vfio {
namespace {

// A decimal id in [0, 2^32 - 2]; (uid_t)-1 means "unchanged" to the set*id calls and is never valid.
bool parse_id(const std::string& s, uint32_t* out) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (v >= 0xFFFFFFFFull) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// The passwd "files" database read directly: a statically linked binary (the QEMU guests run those) has no
// NSS modules, so getpwnam_r finds nobody there; /etc/passwd still names the local users (passwd(5):
// name:password:uid:gid:gecos:dir:shell).
}  // namespace

bool lookup_passwd_file(const std::string& path, const std::string& name, UserIds* out) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return false;
  char line[1024];
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f) != nullptr) {
    std::string l(line);
    size_t fields[4], at = 0;
    bool ok = true;
    for (size_t& pos : fields) {
      pos = l.find(':', at);
      if (pos == std::string::npos) { ok = false; break; }
      at = pos + 1;
    }
    uint32_t uid = 0, gid = 0;
    if (ok && l.compare(0, fields[0], name) == 0 && fields[0] == name.size() &&
        parse_id(l.substr(fields[1] + 1, fields[2] - fields[1] - 1), &uid) &&
        parse_id(l.substr(fields[2] + 1, fields[3] - fields[2] - 1), &gid)) {
      *out = {uid, gid};
      found = true;
    }
  }
  std::fclose(f);
  return found;
}

namespace {

UserIds checked(UserIds ids, const std::string& spec) {
  if (ids.uid != 0 && ids.gid == 0)
    throw Error("user '" + spec + "' has group 0 (root): the process would keep root's group after the drop; "
                "give a non-root group, e.g. " + std::to_string(ids.uid) + ":65534");
  return ids;
}

}  // namespace

UserIds parse_user(const std::string& spec) {
  const size_t colon = spec.find(':');
  if (colon != std::string::npos) {
    uint32_t uid = 0, gid = 0;
    if (!parse_id(spec.substr(0, colon), &uid) || !parse_id(spec.substr(colon + 1), &gid))
      throw Error("bad user '" + spec + "': expected a user name or numeric uid:gid, e.g. 65534:65534");
    return checked({uid, gid}, spec);
  }
  if (spec.empty()) throw Error("empty user name: expected a user name or numeric uid:gid, e.g. nobody");
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int err = ::getpwnam_r(spec.c_str(), &pw, buf.data(), buf.size(), &found);
  if (err == 0 && found != nullptr) return checked({found->pw_uid, found->pw_gid}, spec);
  UserIds ids;
  if (lookup_passwd_file("/etc/passwd", spec, &ids)) return checked(ids, spec);
  throw Error("unknown user '" + spec + "'" + (err ? std::string(" (") + std::strerror(err) + ")" : "") +
              ": not in the passwd database nor /etc/passwd (a statically linked binary sees only /etc/passwd); "
              "give an existing user name or numeric uid:gid");
}

void drop_privileges(uid_t uid, gid_t gid) {
  const std::string who = std::to_string(uid) + ":" + std::to_string(gid);
  if (uid == static_cast<uid_t>(-1) || gid == static_cast<gid_t>(-1))
    throw Error("cannot drop privileges to " + who + ": -1 is not a valid id");
  if (::geteuid() != 0)
    throw Error("cannot drop privileges to " + who + ": not running as root (euid " + std::to_string(::geteuid()) +
                "); start as root or leave out the user option");
  if (::setgroups(0, nullptr) != 0) throw Error("setgroups(0) failed: " + std::string(std::strerror(errno)));
  if (::setgid(gid) != 0) throw Error("setgid(" + std::to_string(gid) + ") failed: " + std::strerror(errno));
  if (::setuid(uid) != 0) throw Error("setuid(" + std::to_string(uid) + ") failed: " + std::strerror(errno));
  // With the real, effective and saved ids all changed, getting root back must be impossible. (Dropping to
  // uid 0 is a no-op and is allowed.)
  if ((uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) || (gid != 0 && uid != 0 && ::setgid(0) == 0))
    throw Error("privilege drop to " + who + " did not stick: root can still be regained");
  if (::getuid() != uid || ::geteuid() != uid || ::getgid() != gid || ::getegid() != gid)
    throw Error("privilege drop to " + who + " did not stick: ids are now " + std::to_string(::getuid()) + ":" +
                std::to_string(::getgid()));
}

}  // namespace nic::vfio
