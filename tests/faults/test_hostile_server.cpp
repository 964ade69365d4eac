// Hostile or broken servers: a real HTTP server on 127.0.0.1 (tests/rig/http_server.py) that
// misbehaves on purpose, and the boot flow run as `lota boot-flow` against a device holding
// 1.0 while the server offers 2.0. Each case must end in one clear console line, the current
// version booting intact within the configured bounds, and a device that updates normally
// once the server behaves.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "base/clock.hpp"
#include "rig/reliability_record.hpp"
#include "rig/update_rig.hpp"
#include "update/deploy.hpp"
#include "update/state.hpp"

using namespace lota;
using namespace lota::test;

namespace {

struct Case {
  const char* what;
  const char* mode;
  bool no_deltas;
  const char* branch;   // what the device follows
  bool other_key;       // the device trusts another key
  const char* summary;  // boot-flow's outcome
};

const Case kCases[] = {
    {"truncated object (static delta part)", "truncate", false, "test/stable", false, "update failed"},
    {"truncated object (object pull)", "truncate", true, "test/stable", false, "update failed"},
    {"corrupted object (static delta part)", "corrupt", false, "test/stable", false, "update failed"},
    {"corrupted object (object pull, checksum mismatch)", "corrupt", true, "test/stable", false, "update failed"},
    {"the statement names a commit the server does not have", "missing-commit", false, "test/stable", false,
     "update failed"},
    {"release signed with another key (its statement first)", "normal", false, "test/stable", true, "check failed"},
    {"unsigned commit, signature required", "normal", false, "test/unsigned", false, "update failed"},
    {"older commit (downgrade)", "normal", false, "test/old", false, "update failed"},
    {"server accepts and never answers", "stall", false, "test/stable", false, "check failed"},
    {"1 byte per second trickle", "trickle", false, "test/stable", false, "update failed"},
    {"huge object (endless static delta part)", "huge", false, "test/stable", false, "update failed"},
    {"huge object (endless object)", "huge", true, "test/stable", false, "update failed"},
    {"404 for everything", "404", false, "test/stable", false, "check failed"},
    {"500 for everything", "500", false, "test/stable", false, "check failed"},
    {"redirect loop", "redirect-loop", false, "test/stable", false, "update failed"},
    {"redirect loop (object pull)", "redirect-loop", true, "test/stable", false, "update failed"},
    {"static delta superblock altered to declare a 2^63-byte part, parts never end", "bad-part-size", false,
     "test/stable", false, "update failed"},
};

std::string last_line_with(const std::string& log, const std::string& word) {
  std::ifstream f(log);
  std::string found;
  for (std::string l; std::getline(f, l);)
    if (l.rfind("lota: [", 0) == 0 && l.find(word) != std::string::npos) found = l.substr(l.find(']') + 2);
  return found;
}

}  // namespace

TEST_CASE("hostile servers: one clear line, the current version boots intact, the next good server updates",
          "[hostile]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.publish("0.9", true, false, "test/old");
  ::sleep(1);  // commit timestamps have one-second resolution: 0.9 is older than 1.0
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.0");
  rig.offer(rig.publish("2.0-unsigned", false, false, "test/unsigned"), "test/unsigned");
  REQUIRE(sh("mkdir -p " + rig.dir + "/expect && " + rig.ostree + " --repo=" + rig.repo + " checkout -U " + v1 + " " +
             rig.dir + "/expect/1.0") == 0);
  REQUIRE(sh(rig.top + "/scripts/keygen " + rig.dir + "/other 2>/dev/null") == 0);
  Config base = rig.config();
  base.check_timeout = 3;
  base.pull_timeout = 8;
  base.stall_timeout = 3;
  rig.snapshot("start");

  std::vector<ReliabilityRecord> records;
  for (const Case& k : kCases) {
    INFO(k.what);
    rig.restore("start");
    rig.start_server(k.mode, 1000, k.no_deltas);
    Config c = rig.config();
    c.check_timeout = base.check_timeout;
    c.pull_timeout = base.pull_timeout;
    c.stall_timeout = base.stall_timeout;
    c.branch = k.branch;
    if (k.other_key) c.sign_key = sh_out("cat " + rig.dir + "/other/ed25519.pub");
    std::string log = rig.dir + "/" + k.mode + (k.no_deltas ? "-objects" : "") + (k.other_key ? "-key" : "") + ".log";
    ::unlink(log.c_str());
    double t0 = monotonic_seconds();
    rig.run_boot_flow(rig.write_config_file(c, "hostile.conf"), log);
    double took = monotonic_seconds() - t0;
    std::string out = read_text(log);
    INFO(out);
    CHECK(out.find("boot-flow: " + std::string(k.summary)) != std::string::npos);
    // Bounded: the check budget, the pull deadline, and a little for the rest.
    CHECK(took < c.check_timeout + c.pull_timeout + 3);
    std::string line = last_line_with(log, "failed");
    CHECK(!line.empty());
    // Redirects are followed at most 5 times, by lota's requests and by libostree's alike.
    if (std::string(k.mode) == "redirect-loop") CHECK(line.find("redirect") != std::string::npos);
    // The superblock is signed: an altered one is refused before any of its fields is used.
    if (std::string(k.mode) == "bad-part-size")
      CHECK(line.find("signature of the static delta superblock") != std::string::npos);
    // 1.0 boots, intact; nothing of the fault stays behind.
    State s = rig.state();
    CHECK(s.deployed->commit == v1);
    CHECK(s.step == Step::idle);
    CHECK(deployment_commit(rig.layout.sysroot()) == v1);
    CHECK(sh("diff -r --no-dereference " + rig.dir + "/expect/1.0 " + rig.layout.sysroot() + " >&2") == 0);
    CHECK(rig.repo_fsck_clean());

    // The server behaves again: the update goes through.
    rig.start_server();
    std::string again = rig.dir + "/again.log";
    ::unlink(again.c_str());
    rig.run_boot_flow(rig.write_config_file(rig.config(), "good.conf"), again);
    CHECK(rig.state().deployed->version == "2.0");

    ReliabilityRecord rec{std::string("Hostile server: ") + k.what, 0, {}, line};
    bool ok = s.deployed->commit == v1 && rig.state().deployed->version == "2.0";
    rec.add(ok ? fmt::format("1.0 booted after {:.1f} s; 2.0 once the server behaved", took) : "FAILED");
    records.push_back(rec);
  }
  for (const auto& r : records) r.save("hostile-server");
}
