// Power cuts at every durable step of an update (lib/base/crash_point.hpp, test builds only):
// for each N, the update is run as a separate `lota boot-flow` process that is SIGKILLed with
// its pull job right after the Nth synced write / rename / directory sync; then the next boot's
// logic runs on the same disk images, first without a server (what boots must be complete on
// its own), then with it (the update completes).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "rig/reliability_record.hpp"
#include "rig/update_rig.hpp"
#include "update/deploy.hpp"
#include "update/state.hpp"

using namespace lota;
using namespace lota::test;

namespace {

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

bool exists(const std::string& p) {
  return ::access(p.c_str(), F_OK) == 0;
}

// The first console line of a boot that says what it found, for the report.
std::string telling_line(const std::string& log) {
  for (const auto& l : lines(log))
    for (const char* word : {"recovery:", "interrupted", "retried", "boot set", "ERROR"})
      if (l.find(word) != std::string::npos) return l.substr(l.find(']') + 2);
  return "";
}

struct Versions {
  std::map<std::string, std::string> commit;  // version -> commit
  std::string dir;                            // expected trees: <dir>/<version>
};

// What a boot after the cut would run: returns the version found, after asserting that it is
// complete (file by file against the commit, checked out independently from the server repo),
// journalled consistently (state, refs), fsck-clean, and that the active boot set is that
// version's and, unless it is the set confirmed before the update (`confirmed`), on trial: a new
// set U-Boot does not count is never given up on.
std::string check_bootable(UpdateRig& rig, const Versions& v, const std::string& confirmed, const std::string& where) {
  INFO(where);
  State s = rig.state();
  REQUIRE(s.deployed);
  CHECK(s.step == Step::idle);
  CHECK(!s.pending);
  std::string on_disk = deployment_commit(rig.layout.sysroot());
  CHECK(on_disk == s.deployed->commit);
  std::string version;
  for (const auto& [ver, c] : v.commit)
    if (c == on_disk) version = ver;
  REQUIRE(!version.empty());
  CHECK(sh("diff -r --no-dereference " + v.dir + "/" + version + " " + rig.layout.sysroot() + " >&2") == 0);
  CHECK(!exists(rig.layout.sysroot_new()));
  CHECK(!exists(rig.layout.sysroot_trash()));
  CHECK(rig.repo_fsck_clean());
  // The refs name what the journal names: prune keeps exactly the rollback target's objects.
  CHECK(rig.device_ref("deployed") == s.deployed->commit);
  CHECK(rig.device_ref("previous") == (s.previous ? s.previous->commit : ""));
  CHECK(rig.active_kernel() == "kernel " + version + "\n");
  auto env = rig.boot_env();
  REQUIRE(env);
  if (version != confirmed) CHECK(env->trial);
  return version;
}

// Sweeps a power cut over every durable step of the update from `from` to `to` (the device runs
// `from`, confirmed, its boot set confirmed; `to` is published and changes the kernel).
void sweep(UpdateRig& rig, const Versions& v, const std::string& from, const std::string& to,
           const std::string& scenario) {
  Config live = rig.config();
  live.tries = 5;  // the trial's own rollback is tested elsewhere; here 3 boots must not end it
  std::string up = rig.write_config_file(live, "up.conf");
  Config dead = live;
  dead.remote = "http://127.0.0.1:1";  // nobody listens there: the boot after the cut is offline
  std::string down = rig.write_config_file(dead, "down.conf");
  rig.snapshot("before");

  // A run without a cut counts the durable steps of the whole update.
  const std::string counter = rig.dir + "/counter";
  ::unlink(counter.c_str());
  ::unlink((counter + ".trace").c_str());
  int st = rig.run_boot_flow(up, rig.dir + "/count.log", {{"LOTA_CRASH_COUNTER", counter}});
  REQUIRE(WIFEXITED(st));
  REQUIRE(rig.state().deployed->version == to);
  const auto steps = lines(counter + ".trace");
  const int total = static_cast<int>(steps.size());
  INFO("durable steps in one update: " << total);
  REQUIRE(total >= 20);

  ReliabilityRecord rec{scenario, 0, {}, {}};
  for (int n = 1; n <= total; ++n) {
    INFO("crash point " << n << ": " << steps[n - 1]);
    rig.restore("before");
    ::unlink(counter.c_str());
    ::unlink((counter + ".trace").c_str());
    std::string tag = to + "-" + std::to_string(n);  // one log per sweep and step (they append)
    std::string log = rig.dir + "/cut-" + tag + ".log";
    st = rig.run_boot_flow(up, log, {{"LOTA_CRASH_COUNTER", counter}, {"LOTA_CRASH_AT", std::to_string(n)}});
    REQUIRE(WIFSIGNALED(st));
    REQUIRE(WTERMSIG(st) == SIGKILL);

    std::string next = rig.dir + "/next-" + tag + ".log";
    rig.run_boot_flow(down, next);
    std::string said = telling_line(next);
    std::string after_cut = check_bootable(rig, v, from, "boot after the cut, offline: " + read_text(next));
    rig.run_boot_flow(up, next);
    CHECK(check_bootable(rig, v, from, "boot after that, online: " + read_text(next)) == to);
    rec.add("next boot: " + after_cut + ", then " + to);
    if (rec.console.empty() && after_cut == to && !said.empty()) rec.console = said;
  }
  rec.save("crash-points");
}

void publish_expected(UpdateRig& rig, Versions& v, const std::string& version) {
  v.commit[version] = rig.publish(version, true, true);
  REQUIRE(sh("mkdir -p " + v.dir + " && " + rig.ostree + " --repo=" + rig.repo + " checkout -U " + v.commit[version] +
             " " + v.dir + "/" + version) == 0);
}

}  // namespace

TEST_CASE(
    "#13.1 power cut after every durable step of two kernel-changing updates: a complete version, a new boot set only "
    "on trial, refs as journalled",
    "[crash][never-brick]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.add_boot_partition();
  Versions v{{}, rig.dir + "/expect"};
  publish_expected(rig, v, "1.0");
  rig.factory("1.0");
  rig.factory_boot_set();
  publish_expected(rig, v, "2.0");
  rig.start_server();
  // The first kernel-changing update writes boot.2, with no fallback named yet.
  sweep(rig, v, "1.0", "2.0", "Power cut after durable step N of an update 1.0 -> 2.0 (kernel changes too), every N");

  // The second one overwrites the env's fallback set (boot.1): 2.0 confirmed (rootfs and boot
  // set, as lota-init does when U-Boot booted boot.2), then 3.0.
  REQUIRE(rig.lota_cli("mark-good", rig.dir + "/mark-good.log") == 0);
  Config booted = rig.config();
  booted.remote = "";
  booted.booted_set = "boot.2";
  rig.run_boot_flow(rig.write_config_file(booted, "booted.conf"), rig.dir + "/close-trial.log");
  auto env = rig.boot_env();
  REQUIRE(env);
  REQUIRE(env->bootset == "boot.2");
  REQUIRE(env->fallback == "boot.1");
  REQUIRE_FALSE(env->trial);
  publish_expected(rig, v, "3.0");
  sweep(rig, v, "2.0", "3.0",
        "Power cut after durable step N of a second update 2.0 -> 3.0 (kernel changes, the fallback set is rewritten), "
        "every N");
}
