// Test rig for the update engine: real signed commits published by scripts/publish into an
// archive repo, served by a real HTTP server on 127.0.0.1 (tests/rig/http_server.py, which can
// misbehave on purpose), and a device root partition that is a real ext4 image on a loop
// device, mounted in this test process' private mount namespace.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "boot/boot_env.hpp"
#include "system/config.hpp"
#include "update/layout.hpp"
#include "update/state.hpp"
#include "update/update.hpp"

namespace lota::test {

int sh(const std::string& cmd);
std::string sh_out(const std::string& cmd);
std::string read_text(const std::string& path);
// The paths the test server (tests/rig/http_server.py) was asked for, from its log.
std::vector<std::string> requested_paths(const std::string& http_log);

class UpdateRig {
 public:
  UpdateRig();
  ~UpdateRig();

  // A tiny rootfs tree for `version`, committed to branch test/stable; returns the commit.
  // `extra`: shell commands run in the tree's directory before it is committed.
  std::string publish(const std::string& version, bool sign = true, bool with_boot_files = false,
                      const std::string& branch = "test/stable", const std::string& extra = "");
  // Writes the branch's signed statement naming `commit` (scripts/statement): what the device
  // is offered. publish() does it for each signed release; `valid`: seconds until it expires.
  void offer(const std::string& commit, const std::string& branch = "test/stable", long valid = 86400);
  // Gives the device a boot partition: FAT on a loop device, or ext4 where the host kernel has
  // no vfat (a stand-in; the QEMU tests check the real FAT).
  void add_boot_partition();
  void start_server(const std::string& mode = "normal", int rate = 1000, bool no_deltas = false);
  void stop_server();
  // Puts `version` (already published) on the device as a confirmed factory deployment.
  void factory(const std::string& version);

  Config config() const;
  UpdateOutcome run() { return run_update_flow(config(), layout, self_exe); }
  UpdateOutcome run(const Config& c) { return run_update_flow(c, layout, self_exe); }
  State state() const;
  std::string deployed_file(const std::string& rel) const { return read_text(layout.sysroot() + "/" + rel); }
  bool repo_fsck_clean() const;

  // The device's partitions as images: unmount/mount the root partition, save and bring back
  // both images (to rerun a scenario from the same disk state).
  void unmount_part();
  void mount_part();
  void snapshot(const std::string& tag);
  void restore(const std::string& tag);
  // The common start of the boot set tests: a boot partition, 1.0 on the device as the factory
  // image makes it (boot.1 confirmed), 2.0 published with another kernel (`extra`: shell
  // commands shaping 2.0's tree), the server up.
  void device_with_kernel_update(const std::string& extra = "");
  // Boot set 1 + boot env for the deployed version, as scripts/make-image makes them.
  void factory_boot_set();
  // The active boot set's kernel file, or "" (mounts the boot partition for the read).
  std::string active_kernel();
  // The boot env as U-Boot would read it (nullopt: none valid).
  std::optional<BootEnv> boot_env();
  // A model of the boot script's choice (board/common/lota-boot.cmd; the QEMU uboot-tests run
  // the real one): the set it boots next, counting a set on trial in lota-count as it does.
  std::string uboot_boot(int limit = 3);
  // Runs the mount + `cmd` on the boot partition mounted at layout.boot_mount.
  void on_boot_partition(const std::string& cmd);
  // The ref lota/<name> in the device's repository ("" when unset).
  std::string device_ref(const std::string& name) const;
  // `lota --root PART ARGS...` as the booted system would run it; returns its exit code.
  int lota_cli(const std::string& args, const std::string& log);
  // A key file for `lota boot-flow --config`, holding config().
  std::string write_config_file(const Config& c, const std::string& name = "lota.conf") const;
  // Runs `lota --root PART boot-flow` as a separate process in its own process group and
  // mount namespace (what a crash point kills, and whose mounts vanish with it). Returns the
  // wait status; output goes to `log`. `cmdline`: the kernel command line it is given.
  int run_boot_flow(const std::string& config_file, const std::string& log,
                    const std::vector<std::pair<std::string, std::string>>& env = {}, const std::string& cmdline = "");

  std::string dir, repo, self_exe, top, ostree, pubkey;
  Layout layout;
  int port = 0;

 private:
  int server_pid_ = -1;
  std::string boot_dev_, boot_img_, p2_img_;
};

}  // namespace lota::test
