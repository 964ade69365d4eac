// A full root partition: during the pull (objects), before it (a static delta whose size is
// known up front), and during the checkout (out of inodes). Real ext4 images, filled for real.
// Each: a clean abort with one line, no half deployment, the space given back, 1.0 still
// booting, and the update going through once there is room.
#include <sys/statvfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "rig/reliability_record.hpp"
#include "rig/update_rig.hpp"
#include "update/deploy.hpp"
#include "update/state.hpp"

using namespace lota;
using namespace lota::test;

namespace {

struct Space {
  uint64_t mib = 0, inodes = 0;
};

Space space(const std::string& path) {
  struct statvfs v {};
  REQUIRE(::statvfs(path.c_str(), &v) == 0);
  return {static_cast<uint64_t>(v.f_bavail) * v.f_frsize >> 20, static_cast<uint64_t>(v.f_favail)};
}

std::string failure_line(const std::string& log) {
  for (const auto& l : {read_text(log)}) {
    auto at = l.find("ERROR: update");
    if (at != std::string::npos) return l.substr(at, l.find('\n', at) - at);
  }
  return "";
}

struct Scenario {
  const char* what;
  const char* extra;   // what makes 2.0 big
  bool no_deltas;      // object pull
  const char* fill;    // shell: fills the partition (run in the mounted root partition)
  const char* expect;  // in the failure line
};

}  // namespace

TEST_CASE("disk full: clean abort, space given back, 1.0 boots, the update goes through once there is room",
          "[diskfull]") {
  if (::geteuid() != 0) return;
  const Scenario scenarios[] = {
      {"Disk full during the pull (object pull, 30 new 1 MB files, 20 MB free)",
       "mkdir usr/share/big && for i in $(seq 30); do head -c 1000000 /dev/urandom > usr/share/big/$i; done", true,
       "mkdir filler && fallocate -l $(( $(stat -f -c '%a*%S' .) - (20 << 20) )) filler/blob", "full"},
      {"Disk full for a static delta (30 MB of new files, 20 MB free): refused before download",
       "mkdir usr/share/big && for i in $(seq 30); do head -c 1000000 /dev/urandom > usr/share/big/$i; done", false,
       "mkdir filler && fallocate -l $(( $(stat -f -c '%a*%S' .) - (20 << 20) )) filler/blob", "free space"},
      {"Disk full during the checkout (3000 new directories, 1500 inodes free)",
       "mkdir -p usr/share/many && cd usr/share/many && seq 3000 | xargs mkdir", false,
       "mkdir filler && cd filler && seq $(( $(stat -f -c '%d' .) - 1500 )) | xargs touch", "space"},
  };
  for (const auto& sc : scenarios) {
    INFO(sc.what);
    UpdateRig rig;
    std::string v1 = rig.publish("1.0");
    rig.factory("1.0");
    rig.publish("2.0", true, false, "test/stable", sc.extra);
    REQUIRE(sh("mkdir -p " + rig.dir + "/expect && " + rig.ostree + " --repo=" + rig.repo + " checkout -U " + v1 + " " +
               rig.dir + "/expect/1.0") == 0);
    REQUIRE(sh("cd " + rig.layout.part + " && " + sc.fill) == 0);
    rig.start_server("normal", 1000, sc.no_deltas);
    std::string conf = rig.write_config_file(rig.config());
    const Space before = space(rig.layout.part);
    ReliabilityRecord rec{sc.what, 0, {}, {}};

    for (int boot = 1; boot <= 2; ++boot) {  // the second boot finds the same full disk
      std::string log = rig.dir + "/boot" + std::to_string(boot) + ".log";
      rig.run_boot_flow(conf, log);
      std::string out = read_text(log);
      INFO(out);
      CHECK(out.find("boot-flow: update failed") != std::string::npos);
      std::string line = failure_line(log);
      CHECK(line.find(sc.expect) != std::string::npos);
      if (rec.console.empty()) rec.console = line;
      State s = rig.state();
      CHECK(s.deployed->commit == v1);
      CHECK(s.step == Step::idle);
      CHECK(::access(rig.layout.sysroot_new().c_str(), F_OK) != 0);
      CHECK(sh("diff -r --no-dereference " + rig.dir + "/expect/1.0 " + rig.layout.sysroot() + " >&2") == 0);
      CHECK(rig.repo_fsck_clean());
      const Space after = space(rig.layout.part);
      CHECK(after.mib + 1 >= before.mib);         // the space came back
      CHECK(after.inodes + 16 >= before.inodes);  // and the inodes
      rec.add(after.mib + 1 >= before.mib && after.inodes + 16 >= before.inodes && s.deployed->commit == v1
                  ? "1.0 boots, space given back"
                  : "FAILED");
    }
    // Room again (the filler goes): the update goes through.
    REQUIRE(sh("rm -rf " + rig.layout.part + "/filler") == 0);
    rig.run_boot_flow(conf, rig.dir + "/room.log");
    CHECK(rig.state().deployed->version == "2.0");
    rec.save("disk-full");
  }
}

TEST_CASE("#13.3 a static delta declined for room is not fetched by libostree's pull either: objects only",
          "[diskfull][never-brick]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  // 12 MB that does not compress: the delta's parts and their objects are 12 MB each.
  rig.publish("2.0", true, false, "test/stable",
              "mkdir usr/share/big && for i in $(seq 12); do head -c 1000000 /dev/urandom > usr/share/big/$i; done");
  // Room for the objects above the floor, not for the parts next to them.
  REQUIRE(sh("cd " + rig.layout.part +
             " && mkdir filler && fallocate -l $(( $(stat -f -c '%a*%S' .) - (34 << 20) )) "
             "filler/blob") == 0);
  rig.start_server();
  std::string log = rig.dir + "/declined.log";
  rig.run_boot_flow(rig.write_config_file(rig.config()), log);
  std::string out = read_text(log);
  INFO(out);
  CHECK(out.find("no room for the static delta") != std::string::npos);
  CHECK(rig.state().deployed->version == "2.0");
  // The server's log: the superblock was read (by lota), no part was fetched (by anyone).
  std::string http = read_text(rig.dir + "/http.log");
  CHECK(http.find("/superblock") != std::string::npos);  // (a failing grep below prints the lines)
  CHECK(sh("grep -E 'GET /deltas/[^ ]+/[0-9]+ ' " + rig.dir + "/http.log >&2") != 0);
}

TEST_CASE("#13.4 the parts a cut download keeps never block a later update", "[diskfull][never-brick]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.0");
  // A download cut by a power loss, kept to resume (of an update the server no longer offers),
  // plus normal growth in /var: below the floor only because of what lota itself keeps.
  std::string kept = rig.layout.state_dir() + "/delta/000000000000-111111111111";
  REQUIRE(sh("mkdir -p " + kept + " && cd " + rig.layout.part +
             " && mkdir -p var && fallocate -l $(( $(stat -f -c "
             "'%a*%S' .) - (26 << 20) )) var/growth && fallocate -l 12M " +
             kept + "/0") == 0);
  rig.start_server();
  std::string log = rig.dir + "/kept.log";
  rig.run_boot_flow(rig.write_config_file(rig.config()), log);
  std::string out = read_text(log);
  INFO(out);
  CHECK(out.find("dropping the partial download") != std::string::npos);
  CHECK(rig.state().deployed->version == "2.0");
}
