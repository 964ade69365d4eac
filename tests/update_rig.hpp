// Test rig for the update engine: real signed commits published by scripts/publish into an
// archive repo, served by a real HTTP server on 127.0.0.1 (tests/http_server.py, which can
// misbehave on purpose), and a device root partition that is a real ext4 image on a loop
// device, mounted in this test process' private mount namespace.
#pragma once

#include <string>

#include "config.hpp"
#include "layout.hpp"
#include "state.hpp"
#include "update.hpp"

namespace lota::test {

int sh(const std::string& cmd);
std::string sh_out(const std::string& cmd);
std::string read_text(const std::string& path);

class UpdateRig {
 public:
  UpdateRig();
  ~UpdateRig();

  // A tiny rootfs tree for `version`, committed to branch test/stable; returns the commit.
  std::string publish(const std::string& version, bool sign = true, bool with_boot_files = false);
  // Gives the device a boot partition: FAT on a loop device, or ext4 where the host kernel has
  // no vfat (a stand-in; the QEMU tests check the real FAT).
  void add_boot_partition();
  void start_server(const std::string& mode = "normal", int rate = 1000);
  void stop_server();
  // Puts `version` (already published) on the device as a confirmed factory deployment.
  void factory(const std::string& version);

  Config config() const;
  UpdateOutcome run() { return run_update_flow(config(), layout, self_exe); }
  UpdateOutcome run(const Config& c) { return run_update_flow(c, layout, self_exe); }
  State state() const;
  std::string deployed_file(const std::string& rel) const { return read_text(layout.sysroot() + "/" + rel); }
  bool repo_fsck_clean() const;

  std::string dir, repo, self_exe, top, ostree, pubkey;
  Layout layout;
  int port = 0;

 private:
  int server_pid_ = -1;
  std::string boot_dev_;
};

}  // namespace lota::test
