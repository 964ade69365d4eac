// Host integration test: lota's mount + switch_root code, run for real in a private mount
// namespace: a tmpfs plays the initramfs, a real ext4 image (mkfs.ext4 -d) holds the
// deployment, attached to a loop device. Needs root (as in CI); skipped with a warning otherwise.
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "rig/loop_device.hpp"
#include "system/device.hpp"
#include "system/mount.hpp"
#include "system/switch_root.hpp"

using namespace lota;

namespace {

std::string make_temp_dir() {
  char tmpl[] = "/tmp/lota-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

// A static busybox for the host: Debian's busybox-static (amd64), fetched by scripts/setup. Never the
// host's own /bin/busybox, which a fresh Debian 12 does not have.
std::string host_busybox() {
  const char* top = std::getenv("LOTA_TOP");
  REQUIRE(top);
  std::string cmd = std::string(top) + "/scripts/fetch-deb busybox-static:amd64";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  std::string dir(buf, n);
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  REQUIRE(!dir.empty());
  return dir + "/bin/busybox";
}

// Builds an ext4 image whose sysroot/ has a static /sbin/init (busybox) and a marker.
std::string make_root_image(const std::string& dir, bool with_sysroot) {
  std::string tree = dir + "/tree", img = dir + "/root.ext4";
  REQUIRE(sh("mkdir -p " + tree) == 0);
  if (with_sysroot) {
    REQUIRE(sh("mkdir -p " + tree + "/sysroot/sbin " + tree + "/sysroot/bin " + tree + "/sysroot/proc " + tree +
               "/sysroot/sys " + tree + "/sysroot/dev " + tree + "/sysroot/run") == 0);
    REQUIRE(sh("cp " + host_busybox() + " " + tree + "/sysroot/bin/busybox && ln -s /bin/busybox " + tree +
               "/sysroot/sbin/init && echo deployed > " + tree + "/sysroot/marker") == 0);
  }
  REQUIRE(sh("mkfs.ext4 -q -F -d " + tree + " " + img + " 16M") == 0);
  return img;
}

// The child's work, reported as exit codes: 0 = all good, N = check N failed.
int child_switch(const std::string& initramfs, const std::string& image) {
  if (::unshare(CLONE_NEWNS) != 0) return 10;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 11;
  if (!mount_fs("tmpfs", initramfs, "tmpfs", 0, "").ok()) return 12;
  // A separate filesystem inside the "initramfs": the cleanup must not cross into it.
  if (!make_dirs(initramfs + "/keep").ok() || !mount_fs("tmpfs", initramfs + "/keep", "tmpfs", 0, "").ok()) return 13;
  if (!write_file_atomic(initramfs + "/keep/kept", "x").ok()) return 14;
  if (!write_file_atomic(initramfs + "/initramfs-file", "x").ok()) return 15;
  test::LoopDevice loop(image);
  if (!loop.ok()) return 16;
  if (::chroot(initramfs.c_str()) != 0 || ::chdir("/") != 0) return 17;

  if (!mount_pseudo_filesystems("/").ok()) return 20;
  auto dev = wait_for_device(loop.path(), 2.0);
  if (!dev) return 21;
  if (!mount_device(*dev, "/run/lota/root", "", 0, "").ok()) return 22;
  if (!check_new_root("/run/lota/root/sysroot", "/sbin/init").ok()) return 23;
  if (!make_dirs("/sysroot").ok() || !mount_fs("/run/lota/root/sysroot", "/sysroot", "", MS_BIND).ok()) return 24;
  int old_root = ::open("/", O_PATH | O_DIRECTORY);
  int keep = ::open("/keep", O_PATH | O_DIRECTORY);
  if (!switch_root("/sysroot").ok()) return 25;

  struct stat st {};
  if (::stat("/marker", &st) != 0) return 30;                         // we are in the deployment
  if (::stat("/proc/self/status", &st) != 0) return 31;               // /proc moved along
  if (::stat("/run/lota/root/sysroot/marker", &st) != 0) return 32;   // the partition stays visible
  if (::fstatat(old_root, "initramfs-file", &st, 0) == 0) return 33;  // initramfs freed
  if (::fstatat(keep, "kept", &st, 0) != 0) return 34;                // other filesystems untouched
  ::execl("/sbin/init", "true", static_cast<char*>(nullptr));         // busybox runs `true`
  return 35;
}

int run_child(const std::string& initramfs, const std::string& image) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(child_switch(initramfs, image));
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

}  // namespace

TEST_CASE("switch_root from a tmpfs initramfs into a deployment on ext4") {
  if (::geteuid() != 0) {
    WARN("not root: mount namespace test skipped");
    return;
  }
  std::string dir = make_temp_dir();
  std::string image = make_root_image(dir, true);
  REQUIRE(make_dirs(dir + "/initramfs").ok());
  CHECK(run_child(dir + "/initramfs", image) == 0);
  sh("rm -rf " + dir);
}

TEST_CASE("a root partition without the deployment directory is a clear error") {
  if (::geteuid() != 0) {
    WARN("not root: skipped");
    return;
  }
  std::string dir = make_temp_dir();
  std::string image = make_root_image(dir, false);
  test::LoopDevice loop(image);
  REQUIRE(loop.ok());
  REQUIRE(probe_fstype(loop.path()).ok());
  CHECK(*probe_fstype(loop.path()) == "ext4");
  std::string mnt = dir + "/mnt";
  REQUIRE(mount_device(loop.path(), mnt, "", 0, "").ok());
  {
    MountGuard guard(mnt);
    auto st = check_new_root(mnt + "/sysroot", "/sbin/init");
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("no deployment") != std::string::npos);
  }
  sh("rm -rf " + dir);
}

TEST_CASE("init that is missing or not executable is refused before the switch") {
  std::string dir = make_temp_dir();
  REQUIRE(sh("mkdir -p " + dir + "/r/sbin && touch " + dir + "/r/sbin/init && ln -s /sbin/init " + dir +
             "/r/sbin/link") == 0);
  auto not_exec = check_new_root(dir + "/r", "/sbin/init");
  REQUIRE_FALSE(not_exec.ok());
  CHECK(not_exec.error().message.find("not an executable") != std::string::npos);
  auto missing = check_new_root(dir + "/r", "/bin/nothere");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("/bin/nothere") != std::string::npos);
  REQUIRE(sh("chmod +x " + dir + "/r/sbin/init") == 0);
  // An absolute symlink resolves inside the new root, not on the host.
  CHECK(check_new_root(dir + "/r", "/sbin/link").ok());
  sh("rm -rf " + dir);
}

TEST_CASE("waiting for a device that never comes is bounded") {
  auto r = wait_for_device("/dev/lota-test-none", 0.2);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("/dev/lota-test-none") != std::string::npos);
}
