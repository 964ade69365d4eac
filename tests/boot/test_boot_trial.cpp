// Boot trials end to end on the host: lota's boot flow (`lota boot-flow`, as lota-init runs it)
// on real ext4 images, booted by a model of the U-Boot boot script's choice (UpdateRig::uboot_boot;
// the QEMU uboot-tests run the real script). Each test is a way a device got locked out or
// looped before (issue 13); they are tagged [never-brick] and listed in docs/reliability.md.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "rig/update_rig.hpp"
#include "update/deploy.hpp"

using namespace lota;
using namespace lota::test;

namespace {

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// One boot as U-Boot and lota-init do it: the boot script picks a set, lota's boot flow runs
// with lota.bootset= naming it. Returns the boot flow's output.
std::string boot(UpdateRig& rig, Config c, const std::string& tag) {
  c.booted_set = rig.uboot_boot();
  std::string log = rig.dir + "/boot-" + tag + ".log";
  int st = rig.run_boot_flow(rig.write_config_file(c, "boot-" + tag + ".conf"), log);
  REQUIRE(WIFEXITED(st));
  std::string out = "[booted " + c.booted_set + "]\n" + read_text(log);
  UNSCOPED_INFO("boot " << tag << ":\n" << out);
  return out;
}

}  // namespace

TEST_CASE("#13.3 lota.tries=1: a kernel-changing update gets its one boot (the reboot into its set is no try)",
          "[never-brick][trial]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.device_with_kernel_update();
  Config c = rig.config();
  c.tries = 1;
  std::string b1 = boot(rig, c, "1");
  CHECK(has(b1, "reboot into boot set boot.2"));
  CHECK(rig.state().deployed->version == "2.0");
  std::string b2 = boot(rig, c, "2");  // boot.2's kernel: switches root into 2.0
  CHECK(has(b2, "[booted boot.2]"));
  CHECK_FALSE(has(b2, "reboot into"));
  CHECK_FALSE(has(b2, "rolled back"));
  REQUIRE(rig.state().deployed->version == "2.0");
  REQUIRE(rig.state().trial);
  CHECK(rig.state().trial->tries_left == 0);
  // 2.0 never confirms: the next boot rolls it back, and the boot set goes with it.
  std::string b3 = boot(rig, c, "3");
  CHECK(has(b3, "rolled back to 1.0"));
  CHECK(has(b3, "reboot into boot set boot.1"));
  CHECK(rig.state().deployed->version == "1.0");
  std::string b4 = boot(rig, c, "4");
  CHECK(has(b4, "[booted boot.1]"));
  CHECK_FALSE(has(b4, "reboot into"));
  CHECK(rig.active_kernel() == "kernel 1.0\n");
}

TEST_CASE("#13.3 a confirmed set the boot script could not load is counted again, not rolled back and rejected",
          "[never-brick][trial]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.device_with_kernel_update();
  Config c = rig.config();
  boot(rig, c, "1");  // deploys 2.0, reboots into boot.2
  boot(rig, c, "2");  // boot.2 booted: its trial closed
  REQUIRE(rig.lota_cli("mark-good", rig.dir + "/mark-good.log") == 0);
  auto env = rig.boot_env();
  REQUIRE(env);
  REQUIRE(env->bootset == "boot.2");
  REQUIRE_FALSE(env->trial);
  // One load error (the boot script boots the fallback when the active set's files do not load).
  c.booted_set = "boot.1";
  std::string log = rig.dir + "/boot-load-error.log";
  rig.run_boot_flow(rig.write_config_file(c, "load-error.conf"), log);
  std::string out = read_text(log);
  INFO(out);
  CHECK(rig.state().deployed->version == "2.0");
  CHECK(rig.state().rejected.empty());
  CHECK(has(out, "reboot into boot set boot.2"));
  env = rig.boot_env();
  REQUIRE(env);
  CHECK(env->bootset == "boot.2");
  CHECK(env->trial);  // a lasting load error now ends in a fallback after the limit
  // Transient: boot.2 loads this time; its trial closes and nothing else changes.
  std::string again = boot(rig, c, "3");
  CHECK(has(again, "[booted boot.2]"));
  CHECK(rig.state().deployed->version == "2.0");
  CHECK_FALSE(rig.boot_env()->trial);
}

TEST_CASE("#13.3 no reboot when the env cannot be written during a fallback (it would reboot into the same choice)",
          "[never-brick][trial]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.device_with_kernel_update();
  Config c = rig.config();
  c.tries = 5;
  boot(rig, c, "1");  // 2.0 deployed, boot.2 active on trial
  REQUIRE(rig.boot_env()->trial);
  // boot.2's kernel panics three times: the boot script counts, then boots boot.1.
  for (int i = 0; i < 3; ++i) REQUIRE(rig.uboot_boot() == "boot.2");
  // ... and the env cannot be written now (the stand-in boot partition is ext4: immutable files).
  rig.on_boot_partition("chattr +i env.a/lota-env env.b/lota-env");
  std::string out = boot(rig, c, "fallback");
  rig.on_boot_partition("chattr -i env.a/lota-env env.b/lota-env");
  CHECK(has(out, "[booted boot.1]"));
  CHECK_FALSE(has(out, "reboot into"));
  CHECK(rig.state().deployed->version == "1.0");  // the rootfs that boot.1's kernel belongs to
}

TEST_CASE("#13.3 a rollback that cannot be done ends the trial with one error, and updates arrive again",
          "[never-brick][trial]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.0");
  rig.start_server();
  Config c = rig.config();
  c.boot = "";
  c.tries = 1;
  rig.run(c);  // 2.0 deployed, its one boot used
  REQUIRE(rig.state().deployed->version == "2.0");
  REQUIRE(sh("rm -rf " + rig.layout.sysroot_old()) == 0);  // the rollback target is gone
  rig.publish("3.0");
  std::string log = rig.dir + "/no-rollback.log";
  rig.run_boot_flow(rig.write_config_file(c, "no-rollback.conf"), log);
  std::string out = read_text(log);
  INFO(out);
  CHECK(has(out, "is impossible"));
  CHECK(rig.state().deployed->version == "3.0");  // the fix could arrive
}
