#include "rig/update_rig.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <vector>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "boot/boot_env.hpp"
#include "boot/bootset.hpp"
#include "rig/loop_device.hpp"
#include "system/mount.hpp"
#include "update/boot_set_sync.hpp"
#include "update/deploy.hpp"
#include "update/pull_job.hpp"
#include "update/repo.hpp"

namespace lota::test {

int sh(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

std::vector<std::string> requested_paths(const std::string& http_log) {
  std::vector<std::string> paths;
  std::ifstream f(http_log);
  std::regex get("\"GET ([^ ]+) HTTP");
  std::smatch m;
  for (std::string l; std::getline(f, l);)
    if (std::regex_search(l, m, get)) paths.push_back(m[1]);
  return paths;
}

std::string sh_out(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {

void private_mount_namespace() {
  static bool done = [] {
    return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  }();
  REQUIRE(done);
}

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

}  // namespace

UpdateRig::UpdateRig() {
  private_mount_namespace();
  char tmpl[] = "/tmp/lota-update-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  dir = tmpl;
  repo = dir + "/server-repo";
  top = env_or("LOTA_TOP", ".");
  self_exe = env_or("LOTA_SELF_EXE", "");
  REQUIRE(!self_exe.empty());
  // The ostree CLI scripts/setup builds, in the cache it used (LOTA_CACHE, as scripts/common.sh).
  std::string cache = env_or("LOTA_CACHE", "");
  if (cache.empty()) cache = std::string(env_or("HOME", "/root")) + "/.cache/lota";
  ostree = cache + "/deps/amd64/bin/ostree";
  REQUIRE(sh(top + "/scripts/keygen " + dir + "/keys 2>/dev/null") == 0);
  pubkey = sh_out("cat " + dir + "/keys/ed25519.pub");
  // The device's root partition: a real ext4 image (user xattrs on, as mkfs.ext4 makes it).
  p2_img_ = dir + "/p2.ext4";
  REQUIRE(sh("mkfs.ext4 -q -F " + p2_img_ + " 64M") == 0);
  layout.part = dir + "/part";
  mount_part();
  REQUIRE(make_dirs(layout.state_dir()).ok());
}

void UpdateRig::mount_part() {
  test::LoopDevice loop(p2_img_);  // autoclear: detached again at the unmount
  REQUIRE(loop.ok());
  REQUIRE(mount_device(loop.path(), layout.part, "", 0, "").ok());
}

void UpdateRig::unmount_part() {
  REQUIRE(::umount2(layout.part.c_str(), 0) == 0);
}

void UpdateRig::snapshot(const std::string& tag) {
  unmount_part();
  REQUIRE(sh("cp --sparse=always " + p2_img_ + " " + dir + "/" + tag + ".p2") == 0);
  if (!boot_dev_.empty()) REQUIRE(sh("cp --sparse=always " + boot_img_ + " " + dir + "/" + tag + ".p1") == 0);
  mount_part();
}

void UpdateRig::restore(const std::string& tag) {
  unmount_part();
  REQUIRE(sh("cp --sparse=always " + dir + "/" + tag + ".p2 " + p2_img_) == 0);
  // Through the loop device, which stays attached: its cache must see the old content.
  if (!boot_dev_.empty())
    REQUIRE(sh("dd if=" + dir + "/" + tag + ".p1 of=" + boot_dev_ + " bs=1M conv=fsync status=none") == 0);
  mount_part();
}

void UpdateRig::device_with_kernel_update(const std::string& extra) {
  add_boot_partition();
  publish("1.0", true, true);
  factory("1.0");
  factory_boot_set();
  publish("2.0", true, true, "test/stable", extra);
  start_server();
}

void UpdateRig::factory_boot_set() {
  auto r = Repo::open(layout.repo());
  REQUIRE(r);
  State s = state();
  auto manifest = boot_set_manifest(*r, s.deployed->commit, layout.sysroot());
  REQUIRE(manifest.ok());
  REQUIRE(!manifest->empty());
  std::string b = layout.boot_mount;
  REQUIRE(sh("mkdir -p " + b + " && mount " + boot_dev_ + " " + b + " && mkdir -p " + b + "/boot.1 && cp " +
             layout.sysroot() + "/usr/lib/modules/*/vmlinuz " + layout.sysroot() + "/usr/lib/modules/*/initramfs.img " +
             layout.sysroot() + "/usr/lib/modules/*/dtb/*.dtb " + b + "/boot.1/") == 0);
  REQUIRE(write_file_atomic(b + "/boot.1/lota-set", *manifest).ok());
  REQUIRE(write_boot_env(b, BootEnv{.bootset = "boot.1"}).ok());
  REQUIRE(sh("umount " + b) == 0);
}

std::string UpdateRig::active_kernel() {
  std::string b = layout.boot_mount;
  REQUIRE(sh("mkdir -p " + b + " && mount " + boot_dev_ + " " + b) == 0);
  auto env = read_boot_env(b);
  std::string k = env ? read_text(b + "/" + env->bootset + "/vmlinuz") : "";
  REQUIRE(sh("umount " + b) == 0);
  return k;
}

std::optional<BootEnv> UpdateRig::boot_env() {
  std::string b = layout.boot_mount;
  REQUIRE(sh("mkdir -p " + b + " && mount " + boot_dev_ + " " + b) == 0);
  auto env = read_boot_env(b);
  REQUIRE(sh("umount " + b) == 0);
  return env;
}

void UpdateRig::on_boot_partition(const std::string& cmd) {
  std::string b = layout.boot_mount;
  REQUIRE(sh("mkdir -p " + b + " && mount " + boot_dev_ + " " + b) == 0);
  int rc = sh("cd " + b + " && " + cmd);
  REQUIRE(sh("umount " + b) == 0);
  REQUIRE(rc == 0);
}

std::string UpdateRig::uboot_boot(int limit) {
  std::string b = layout.boot_mount;
  REQUIRE(sh("mkdir -p " + b + " && mount " + boot_dev_ + " " + b) == 0);
  auto env = read_boot_env(b);
  std::string set = env ? env->bootset : "boot.1";
  if (env && env->trial) {
    std::string text = read_text(b + "/" + kBootCountFile), count_set;
    int count = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("lota_count_set=", 0) == 0) count_set = line.substr(15);
      if (line.rfind("lota_count=", 0) == 0) count = std::atoi(line.c_str() + 11);
    }
    if (count_set != set) count = 0;
    if (count >= limit && !env->fallback.empty()) {
      set = env->fallback;
    } else {
      // env export -t -s 0x200 and fatwrite of 0x200 bytes: in place; fatwrite cannot create
      // the directory, and an attempt it cannot count boots the fallback.
      std::string text = fmt::format("lota_count={}\nlota_count_set={}\n", count + 1, set);
      text.resize(kBootRecordSize, '\0');
      bool dir_there = ::access((b + "/count").c_str(), F_OK) == 0;
      if ((!dir_there || !write_boot_record(b, kBootCountFile, text).ok()) && !env->fallback.empty())
        set = env->fallback;
    }
  }
  REQUIRE(sh("umount " + b) == 0);
  return set;
}

std::string UpdateRig::device_ref(const std::string& name) const {
  return read_text(layout.repo() + "/refs/heads/lota/" + name).substr(0, 64);
}

int UpdateRig::lota_cli(const std::string& args, const std::string& log) {
  return sh(self_exe + " --root " + layout.part + " " + args + " >>" + log + " 2>&1");
}

std::string UpdateRig::write_config_file(const Config& c, const std::string& name) const {
  std::string path = dir + "/" + name;
  std::string text = fmt::format(
      "[lota]\nremote={}\nbranch={}\nip={}\nsign_key={}\ncheck_timeout={}\npull_timeout={}\n"
      "stall_timeout={}\ntries={}\nboot={}\nallow_unsigned={:d}\nallow_downgrade={:d}\nbundle_media={}\n{}",
      c.remote, c.branch, c.ip, c.sign_key, c.check_timeout, c.pull_timeout, c.stall_timeout, c.tries,
      c.boot.empty() ? "none" : c.boot, c.allow_unsigned, c.allow_downgrade, fmt::join(c.bundle_media, ","),
      c.booted_set.empty() ? "" : "bootset=" + c.booted_set + "\n");
  REQUIRE(write_file_atomic(path, text).ok());
  return path;
}

int UpdateRig::run_boot_flow(const std::string& config_file, const std::string& log,
                             const std::vector<std::pair<std::string, std::string>>& env, const std::string& cmdline) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execl(self_exe.c_str(), "lota", "--root", layout.part.c_str(), "boot-flow", "--config", config_file.c_str(),
            "--boot-mount", layout.boot_mount.c_str(), "--cmdline", cmdline.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::kill(-pid, SIGKILL);  // a pull job left behind by a crash point dies with its group
  return status;
}

UpdateRig::~UpdateRig() {
  stop_server();
  ::umount2(layout.part.c_str(), MNT_DETACH);
  sh("rm -rf " + dir);
}

void UpdateRig::add_boot_partition() {
  // Stand-in: this host's kernel has no vfat, so the boot partition here is ext4 (lota probes
  // the type). The boot set code is filesystem-agnostic; the QEMU tests use the real FAT.
  std::string img = dir + "/p1.img";
  boot_img_ = img;
  if (sh("grep -qw vfat /proc/filesystems || modprobe vfat 2>/dev/null") == 0)
    REQUIRE(sh("mkfs.vfat -C " + img + " 16384 >/dev/null") == 0);
  else
    REQUIRE(sh("mkfs.ext4 -q -F " + img + " 16M") == 0);
  static std::vector<std::unique_ptr<LoopDevice>> keep;  // attached for the test's lifetime
  keep.push_back(std::make_unique<LoopDevice>(img));
  REQUIRE(keep.back()->ok());
  boot_dev_ = keep.back()->path();
  layout.boot_mount = dir + "/boot";
}

std::string UpdateRig::publish(const std::string& version, bool sign, bool with_boot_files, const std::string& branch,
                               const std::string& extra) {
  std::string tree = dir + "/rootfs-" + version;
  sh("rm -rf " + tree);
  REQUIRE(sh("mkdir -p " + tree + "/sbin " + tree + "/etc " + tree + "/usr/share/data") == 0);
  REQUIRE(sh("printf '#!/bin/sh\\necho " + version + "\\n' > " + tree + "/sbin/init && chmod 755 " + tree +
             "/sbin/init") == 0);
  REQUIRE(sh("echo " + version + " > " + tree + "/etc/version && touch " + tree + "/etc/empty") == 0);
  // Some bulk that stays the same between versions, and some that changes.
  REQUIRE(sh("head -c 300000 /dev/zero | tr '\\0' 'a' > " + tree + "/usr/share/data/common") == 0);
  REQUIRE(sh("head -c 20000 /dev/urandom > " + tree + "/usr/share/data/changes") == 0);
  if (with_boot_files) {
    std::string k = tree + "/usr/lib/modules/6.1.0-test";
    REQUIRE(sh("mkdir -p " + k + "/dtb && echo 'kernel " + version + "' > " + k + "/vmlinuz && echo 'initramfs " +
               version + "' > " + k + "/initramfs.img && echo 'dtb " + version + "' > " + k + "/dtb/board.dtb") == 0);
  }
  if (!extra.empty()) REQUIRE(sh("cd " + tree + " && " + extra) == 0);
  std::string key = sign ? " --key " + dir + "/keys/ed25519.secret" : "";
  std::string commit = sh_out(top + "/scripts/publish " + tree + " --repo " + repo + " --branch " + branch +
                              " --version " + version + key + " 2>/dev/null");
  REQUIRE(commit.size() == 64);
  return commit;
}

void UpdateRig::offer(const std::string& commit, const std::string& branch, long valid) {
  REQUIRE(
      sh(fmt::format("{}/scripts/statement --repo {} --branch {} --key {}/keys/ed25519.secret --commit {} --valid {} "
                     "2>/dev/null",
                     top, repo, branch, dir, commit, valid)) == 0);
}

void UpdateRig::start_server(const std::string& mode, int rate, bool no_deltas) {
  stop_server();
  std::string port_file = dir + "/port";
  ::unlink(port_file.c_str());
  server_pid_ = ::fork();
  if (server_pid_ == 0) {
    std::string rate_s = std::to_string(rate);
    std::string log = dir + "/http.log";
    // Dies with the test process (an aborted test must not leave it holding meson's pipes).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::string script = top + "/tests/rig/http_server.py";
    std::vector<const char*> argv{"python3", script.c_str(), repo.c_str(), port_file.c_str(),
                                  "--mode",  mode.c_str(),   "--rate",     rate_s.c_str()};
    if (no_deltas) argv.push_back("--no-deltas");
    argv.push_back(nullptr);
    ::execvp("python3", const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && read_text(port_file).empty(); ++i) ::usleep(50000);
  port = std::atoi(read_text(port_file).c_str());
  REQUIRE(port > 0);
}

void UpdateRig::stop_server() {
  if (server_pid_ > 0) {
    ::kill(server_pid_, SIGKILL);
    ::waitpid(server_pid_, nullptr, 0);
  }
  server_pid_ = -1;
}

void UpdateRig::factory(const std::string& version) {
  std::string commit = sh_out(ostree + " --repo=" + repo + " rev-parse test/stable");
  auto r = Repo::open_or_create(layout.repo());
  if (!r) FAIL(r.error().message);
  bool own_server = server_pid_ < 0;
  if (own_server) start_server();
  PullRequest req{
      layout.repo(), {"http://127.0.0.1:" + std::to_string(port), "", "", "", ""}, "test/stable", commit, "", ""};
  REQUIRE(supervise_pull(self_exe, req, {30, 10}).ok());
  if (own_server) stop_server();
  State s;
  REQUIRE(deploy(layout, s, *r, Deployment{commit, version}, 1).ok());
  s.trial.reset();
  REQUIRE(save_state(layout.state(), s).ok());
}

Config UpdateRig::config() const {
  Config c;
  c.remote = "http://127.0.0.1:" + std::to_string(port);
  c.branch = "test/stable";
  c.ip = "off";
  c.sign_key = pubkey;
  c.check_timeout = 3;
  c.pull_timeout = 20;
  c.stall_timeout = 3;
  c.tries = 2;
  c.boot = boot_dev_;
  c.bundle_media = {};  // never the host's own disks
  return c;
}

State UpdateRig::state() const {
  auto s = load_state(layout.state());
  REQUIRE(s.ok());
  return *s;
}

bool UpdateRig::repo_fsck_clean() const {
  return sh(ostree + " --repo=" + layout.repo() + " fsck -q >/dev/null 2>&1") == 0;
}

}  // namespace lota::test
