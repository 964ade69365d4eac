// Power cuts at every durable step of an update (lib/crash_point.hpp, test builds only):
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

#include "deploy.hpp"
#include "reliability_record.hpp"
#include "state.hpp"
#include "update_rig.hpp"

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
// journalled consistently, fsck-clean, and that the active boot set is that version's.
std::string check_bootable(UpdateRig& rig, const Versions& v, const std::string& where) {
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
  CHECK(rig.active_kernel() == "kernel " + version + "\n");
  return version;
}

}  // namespace

TEST_CASE("power cut after every durable step of an update: always a complete version, then the update", "[crash]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.add_boot_partition();
  Versions v{{}, rig.dir + "/expect"};
  v.commit["1.0"] = rig.publish("1.0", true, true);
  rig.factory("1.0");
  rig.factory_boot_set();
  v.commit["2.0"] = rig.publish("2.0", true, true);
  for (const auto& [ver, c] : v.commit)
    REQUIRE(sh("mkdir -p " + v.dir + " && " + rig.ostree + " --repo=" + rig.repo + " checkout -U " + c + " " + v.dir +
               "/" + ver) == 0);
  rig.start_server();
  Config live = rig.config();
  live.tries = 5;  // the trial's own rollback is tested elsewhere; here 3 boots must not end it
  std::string up = rig.write_config_file(live, "up.conf");
  Config dead = live;
  dead.remote = "http://127.0.0.1:1";  // nobody listens there: the boot after the cut is offline
  std::string down = rig.write_config_file(dead, "down.conf");
  rig.snapshot("before");

  // A run without a cut counts the durable steps of the whole update.
  const std::string counter = rig.dir + "/counter";
  int st = rig.run_boot_flow(up, rig.dir + "/count.log", {{"LOTA_CRASH_COUNTER", counter}});
  REQUIRE(WIFEXITED(st));
  REQUIRE(rig.state().deployed->version == "2.0");
  const auto steps = lines(counter + ".trace");
  const int total = static_cast<int>(steps.size());
  INFO("durable steps in one update: " << total);
  REQUIRE(total >= 20);

  ReliabilityRecord rec{
      "Power cut after durable step N of an update 1.0 -> 2.0 (kernel changes too), every N", 0, {}, {}};
  for (int n = 1; n <= total; ++n) {
    INFO("crash point " << steps[n - 1]);
    rig.restore("before");
    ::unlink(counter.c_str());
    ::unlink((counter + ".trace").c_str());
    std::string log = rig.dir + "/cut-" + std::to_string(n) + ".log";
    st = rig.run_boot_flow(up, log, {{"LOTA_CRASH_COUNTER", counter}, {"LOTA_CRASH_AT", std::to_string(n)}});
    REQUIRE(WIFSIGNALED(st));
    REQUIRE(WTERMSIG(st) == SIGKILL);

    std::string next = rig.dir + "/next-" + std::to_string(n) + ".log";
    rig.run_boot_flow(down, next);
    std::string said = telling_line(next);
    std::string after_cut = check_bootable(rig, v, "boot after the cut, offline: " + read_text(next));
    rig.run_boot_flow(up, next);
    CHECK(check_bootable(rig, v, "boot after that, online: " + read_text(next)) == "2.0");
    rec.add("next boot: " + after_cut + ", then 2.0");
    if (rec.console.empty() && after_cut == "2.0" && !said.empty()) rec.console = said;
  }
  rec.save("crash-points");
}
