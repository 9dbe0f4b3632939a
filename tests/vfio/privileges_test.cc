// parse_user and drop_privileges. The drop happens in forked children so the test process stays root.
#include "driver/vfio/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "driver/seam/error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nic::vfio {
namespace {

using ::testing::HasSubstr;

// Runs `body` in a child; the child's exit code is the number of failed checks.
int run_in_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    int failures = 0;
    try {
      failures = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child threw: %s\n", e.what());
      failures = 100;
    }
    ::_exit(failures);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

int check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "child check failed: %s\n", what);
  return ok ? 0 : 1;
}

TEST(ParseUserTest, NumericIds) {
  const UserIds ids = parse_user("65534:65534");
  EXPECT_EQ(ids.uid, 65534u);
  EXPECT_EQ(ids.gid, 65534u);
  EXPECT_EQ(parse_user("0:0").uid, 0u);
  EXPECT_EQ(parse_user("1000:100").gid, 100u);
}

TEST(ParseUserTest, Names) {
  EXPECT_EQ(parse_user("root").uid, 0u);
  EXPECT_EQ(parse_user("root").gid, 0u);
  if (const passwd* pw = ::getpwnam("nobody")) {
    EXPECT_EQ(parse_user("nobody").uid, pw->pw_uid);
    EXPECT_EQ(parse_user("nobody").gid, pw->pw_gid);
  }
}

TEST(ParseUserTest, GroupRootForANonRootUserIsRefused) {
  try {
    parse_user("65534:0");
    ADD_FAILURE() << "accepted uid 65534 with gid 0";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("group 0 (root)"));
  }
  EXPECT_EQ(parse_user("0:0").gid, 0u);  // staying root is a no-op, not a half-drop
}

// What a statically linked binary falls back to: /etc/passwd read without NSS.
TEST(ParseUserTest, PasswdFileLookup) {
  char path[] = "/tmp/passwd_testXXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const char text[] = "root:x:0:0:root:/root:/bin/sh\nnobodyish:x:123:456::/:/bin/false\nbroken:x:zz:1::/:\nnocolons\n";
  ASSERT_EQ(::write(fd, text, sizeof text - 1), static_cast<ssize_t>(sizeof text - 1));
  ::close(fd);
  UserIds ids;
  ASSERT_TRUE(lookup_passwd_file(path, "nobodyish", &ids));
  EXPECT_EQ(ids.uid, 123u);
  EXPECT_EQ(ids.gid, 456u);
  EXPECT_FALSE(lookup_passwd_file(path, "nobody", &ids));  // a prefix of a name is not the name
  EXPECT_FALSE(lookup_passwd_file(path, "broken", &ids));
  EXPECT_FALSE(lookup_passwd_file(path, "nocolons", &ids));
  EXPECT_FALSE(lookup_passwd_file("/nonexistent/passwd", "root", &ids));
  ::unlink(path);
}

TEST(ParseUserTest, BadInputIsAClearError) {
  for (const char* bad : {"abc:1", "1:", ":1", "1:2:3", "-1:0", "4294967295:0", "1:x", " 1:1"}) {
    try {
      parse_user(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("uid:gid")) << bad;
    }
  }
  try {
    parse_user("no_such_user_xyzzy");
    ADD_FAILURE() << "accepted an unknown user";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown user 'no_such_user_xyzzy'"));
  }
  EXPECT_THROW(parse_user(""), Error);
}

TEST(DropPrivilegesTest, InvalidIdsAreRejectedBeforeAnythingChanges) {
  try {
    drop_privileges(static_cast<uid_t>(-1), 0);
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a valid id"));
  }
  EXPECT_THROW(drop_privileges(65534, static_cast<gid_t>(-1)), Error);
}

TEST(DropPrivilegesTest, DropsToNobodyAndCannotRegainRoot) {
  const bool root = ::geteuid() == 0;
  const int failures = run_in_child([root] {
    if (!root) {  // not root: the clear error, nothing else
      try {
        drop_privileges(65534, 65534);
        return check(false, "drop_privileges succeeded without root");
      } catch (const Error& e) {
        return check(std::string(e.what()).find("not running as root") != std::string::npos, e.what());
      }
    }
    drop_privileges(65534, 65534);
    int f = 0;
    f += check(::getuid() == 65534 && ::geteuid() == 65534, "uid is 65534");
    f += check(::getgid() == 65534 && ::getegid() == 65534, "gid is 65534");
    f += check(::getgroups(0, nullptr) == 0, "no supplementary groups");
    f += check(::setuid(0) != 0, "setuid(0) fails");
    f += check(::seteuid(0) != 0, "seteuid(0) fails");
    f += check(::setgid(0) != 0, "setgid(0) fails");
    // Dropping again is now the "not root" case: a clear error.
    try {
      drop_privileges(65534, 65534);
      f += check(false, "second drop succeeded");
    } catch (const Error& e) {
      f += check(std::string(e.what()).find("not running as root") != std::string::npos, e.what());
    }
    return f;
  });
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace nic::vfio
