// Host integration tests of the update engine (lib/update/update.cpp and what it drives), on real
// repos, a real HTTP server on 127.0.0.1 and a real ext4 root partition. Needs root.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "base/file.hpp"
#include "boot/boot_env.hpp"
#include "rig/update_rig.hpp"
#include "update/delta_fetch.hpp"
#include "update/deploy.hpp"
#include "update/repo.hpp"

using namespace lota;
using namespace lota::test;

namespace {

bool root() {
  if (::geteuid() == 0) return true;
  WARN("not root: update integration test skipped");
  return false;
}

nlink_t links(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_nlink : 0;
}

}  // namespace

TEST_CASE("update: 1.0 -> 2.0, then nothing to do", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  std::string v2 = rig.publish("2.0");
  rig.start_server();

  auto out = rig.run();
  CHECK(out.deployed_new);
  CHECK(out.summary.find("updated 1.0 -> 2.0") != std::string::npos);
  State s = rig.state();
  REQUIRE(s.deployed);
  CHECK(s.deployed->commit == v2);
  REQUIRE(s.previous);
  CHECK(s.previous->version == "1.0");
  REQUIRE(s.trial);
  CHECK(s.trial->tries_left == 1);
  CHECK(rig.deployed_file("etc/version") == "2.0\n");
  CHECK(read_text(rig.layout.sysroot_old() + "/etc/version") == "1.0\n");
  CHECK(deployment_commit(rig.layout.sysroot()) == v2);
  // Checkouts are hardlinks into the repo: the unchanged file is shared by both deployments.
  CHECK(links(rig.layout.sysroot() + "/usr/share/data/common") >= 3);
  CHECK(rig.repo_fsck_clean());

  // Confirm (as `lota mark-good` does), then a second run finds nothing to do.
  s.trial.reset();
  REQUIRE(save_state(rig.layout.state(), s).ok());
  auto again = rig.run();
  CHECK_FALSE(again.deployed_new);
  CHECK(again.summary == "up to date");
}

TEST_CASE("update: signatures are required when a key is configured", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.start_server();

  SECTION("unsigned commit refused") {
    rig.offer(rig.publish("2.0", /*sign=*/false));  // a signed statement naming an unsigned commit
    CHECK(rig.run().summary == "update failed");
  }
  SECTION("signed with another key refused") {
    rig.publish("2.0");
    Config c = rig.config();
    REQUIRE(sh(rig.top + "/scripts/keygen " + rig.dir + "/other 2>/dev/null") == 0);
    c.sign_key = sh_out("cat " + rig.dir + "/other/ed25519.pub");
    CHECK(rig.run(c).summary == "check failed");  // its statement is signed by a key the device does not trust
  }
  SECTION("a malformed key is a clear error, no update") {
    rig.publish("2.0");
    Config c = rig.config();
    c.sign_key = "not-a-key";
    CHECK(rig.run(c).summary == "bad sign key");
  }
  // Whatever was refused, the device still runs 1.0, intact.
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(rig.deployed_file("etc/version") == "1.0\n");
  CHECK(rig.repo_fsck_clean());
}

TEST_CASE("update: downgrade refused unless allowed", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  std::string v1 = rig.publish("1.0");
  ::sleep(1);  // commit timestamps have one-second resolution
  rig.publish("2.0");
  rig.factory("2.0");
  // The server's branch goes back to 1.0.
  REQUIRE(sh(rig.ostree + " --repo=" + rig.repo + " reset test/stable " + v1 + " && " + rig.ostree +
             " --repo=" + rig.repo + " summary -u") == 0);
  rig.offer(v1);
  rig.start_server();
  CHECK(rig.run().summary == "update failed");
  CHECK(rig.state().deployed->version == "2.0");
  Config c = rig.config();
  c.allow_downgrade = true;
  CHECK(rig.run(c).deployed_new);
  CHECK(rig.state().deployed->version == "1.0");
}

// Issue 16: the floor lives in lota/trust as well as in the journal: a journal that is lost (or
// moved aside, as the console says to do with an unreadable one) does not open the door to an
// older release.
TEST_CASE("update: the downgrade floor survives a lost journal", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  std::string v1 = rig.publish("1.0");
  ::sleep(1);
  rig.publish("1.5");
  rig.factory("1.5");
  ::sleep(1);
  rig.publish("2.0");
  rig.start_server();
  REQUIRE(rig.run().deployed_new);
  CHECK(rig.state().floor->version == "2.0");
  REQUIRE(::unlink(rig.layout.state().c_str()) == 0);
  REQUIRE(sh(rig.ostree + " --repo=" + rig.repo + " reset test/stable " + v1) == 0);
  rig.offer(v1);
  CHECK(rig.run().summary == "update failed");  // 1.0 is older than 2.0, deployed here before
  CHECK(rig.state().floor->version == "2.0");
  // A trust record that cannot be read, and no journal: the floor is unknown, nothing goes in.
  REQUIRE(::unlink(rig.layout.state().c_str()) == 0);
  REQUIRE(write_file_atomic(trust_record_path(rig.layout.state()), "{garbage").ok());
  rig.publish("3.0");
  CHECK(rig.run().summary == "update failed");
  CHECK(rig.run().summary == "update failed");  // and the next boot, with the journal that boot wrote
  CHECK(read_text(trust_record_path(rig.layout.state())) == "{garbage");  // kept for whoever restores it
}

// Issue 16: signed by default.
TEST_CASE("update: a remote without a key is refused unless allow_unsigned=1", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.0", /*sign=*/false);
  rig.start_server();
  Config c = rig.config();
  c.sign_key = "";
  CHECK(rig.run(c).summary == "unsigned remote refused");
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(rig.state().trust.starts_with("none: lota.remote is set but no sign_key"));
  c.allow_unsigned = true;
  CHECK(rig.run(c).deployed_new);
  CHECK(rig.state().deployed->version == "2.0");
  CHECK(rig.state().trust == "UNSIGNED releases accepted (allow_unsigned=1)");
  CHECK(rig.lota_cli("status", rig.dir + "/status.log") == 0);
  CHECK(read_text(rig.dir + "/status.log").find("trust:    UNSIGNED releases accepted") != std::string::npos);
}

TEST_CASE("update: a version that never confirms is rolled back and not pulled again", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  std::string v2 = rig.publish("2.0");
  rig.start_server();
  REQUIRE(rig.run().deployed_new);         // boot 1 of 2.0's trial
  CHECK(rig.run().summary == "on trial");  // boot 2: last try
  CHECK(rig.state().trial->tries_left == 0);
  auto out = rig.run();  // boot 3: tries used up
  CHECK(out.summary == "rejected");
  State s = rig.state();
  CHECK(s.deployed->version == "1.0");
  CHECK(s.is_rejected(v2));
  CHECK_FALSE(s.trial);
  CHECK(rig.deployed_file("etc/version") == "1.0\n");
  CHECK(rig.run().summary == "rejected");  // still not pulled again
  rig.publish("3.0");                      // a newer one is
  CHECK(rig.run().deployed_new);
  CHECK(rig.state().deployed->version == "3.0");
}

TEST_CASE("update: a damaged sysroot is restored from the local repo", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  SECTION("sysroot deleted") {
    REQUIRE(sh("rm -rf " + rig.layout.sysroot()) == 0);
  }
  SECTION("its init deleted") {
    REQUIRE(sh("rm -f " + rig.layout.sysroot() + "/sbin/init") == 0);
  }
  Config c = rig.config();
  c.remote.clear();
  rig.run(c);
  CHECK(rig.deployed_file("etc/version") == "1.0\n");
  CHECK(::access((rig.layout.sysroot() + "/sbin/init").c_str(), X_OK) == 0);
  CHECK(rig.repo_fsck_clean());
}

TEST_CASE("update: a bad server never stops the boot", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.0");
  SECTION("404") {
    rig.start_server("404");
    CHECK(rig.run().summary == "check failed");
  }
  SECTION("500") {
    rig.start_server("500");
    CHECK(rig.run().summary == "check failed");
  }
  SECTION("server that accepts and never answers: bounded by check_timeout") {
    rig.start_server("stall");
    auto t0 = std::chrono::steady_clock::now();
    CHECK(rig.run().summary == "check failed");
    bool bounded = std::chrono::steady_clock::now() - t0 < std::chrono::seconds(6);
    CHECK(bounded);
  }
  SECTION("nobody listening") {
    rig.start_server();
    rig.stop_server();
    CHECK(rig.run().summary == "check failed");
  }
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(rig.deployed_file("etc/version") == "1.0\n");
}

TEST_CASE("update: a download cut at its deadline resumes on the next boot", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.0");
  rig.start_server("slow", 5000);  // 5 kB/s: the ~20 kB delta part cannot arrive within 2 s
  Config c = rig.config();
  c.pull_timeout = 2;
  CHECK(rig.run(c).summary == "update failed");
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(rig.deployed_file("etc/version") == "1.0\n");
  CHECK(rig.repo_fsck_clean());
  rig.start_server();
  CHECK(rig.run().deployed_new);
  CHECK(rig.deployed_file("etc/version") == "2.0\n");
  CHECK(rig.repo_fsck_clean());
  // The cut delta part was resumed with an HTTP Range request, not fetched again from 0.
  CHECK(read_text(rig.dir + "/http.log").find("\" 206 ") != std::string::npos);
}

TEST_CASE("update: a power cut during the swap is finished by the next boot", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  std::string v2 = rig.publish("2.0");
  rig.start_server();
  auto repo = Repo::open(rig.layout.repo());
  REQUIRE(repo.ok());
  // Pull and check out 2.0 by hand, then stop as a power cut would: journal says swap, the
  // new tree is complete, nothing renamed yet.
  rig.run();  // full update to get the objects...
  State s = rig.state();
  REQUIRE(s.deployed->commit == v2);
  // ...then rebuild the "cut" situation: 1.0 booted, 2.0 checked out in sysroot.new.
  REQUIRE(sh("mv " + rig.layout.sysroot() + " " + rig.layout.sysroot_new() + " && mv " + rig.layout.sysroot_old() +
             " " + rig.layout.sysroot()) == 0);
  s.deployed = Deployment{v1, "1.0"};
  s.previous.reset();
  s.trial.reset();
  s.step = Step::swap;
  s.pending = Deployment{v2, "2.0"};
  REQUIRE(save_state(rig.layout.state(), s).ok());

  auto did = recover(rig.layout, s, *repo, 2);
  REQUIRE(did.ok());
  CHECK(did->find("finished the interrupted deployment of 2.0") != std::string::npos);
  CHECK(s.step == Step::idle);
  CHECK(s.deployed->commit == v2);
  CHECK(rig.deployed_file("etc/version") == "2.0\n");
  CHECK(read_text(rig.layout.sysroot_old() + "/etc/version") == "1.0\n");
  CHECK(::access(rig.layout.sysroot_new().c_str(), F_OK) != 0);
}

TEST_CASE("update: boot sets follow the deployment, and the rollback", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.device_with_kernel_update();
  std::string boot = rig.layout.boot_mount;
  auto mounted_env = [&]() {
    REQUIRE(sh("mkdir -p " + boot + " && mount " + rig.config().boot + " " + boot) == 0);
    auto env = read_boot_env(boot);
    std::string v = read_text(boot + "/" + (env ? env->bootset : std::string("none")) + "/vmlinuz");
    REQUIRE(sh("umount " + boot) == 0);
    return std::make_pair(env, v);
  };
  REQUIRE(rig.run().deployed_new);  // 1.0 is in boot.1: 2.0's goes to boot.2
  auto [env, kernel] = mounted_env();
  REQUIRE(env);
  CHECK(env->bootset == "boot.2");
  CHECK(env->fallback == "boot.1");
  CHECK(kernel == "kernel 2.0\n");
  CHECK(rig.state().step == Step::idle);

  rig.run();  // last trial boot, unconfirmed
  rig.run();  // rolled back: the env points at boot.1 again, which holds 1.0
  auto [env2, kernel2] = mounted_env();
  REQUIRE(env2);
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(kernel2 == "kernel 1.0\n");
  CHECK(env2->seq > env->seq);
}

TEST_CASE("update: a corrupted static delta part is refused, the next good one applies", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  std::string v2 = rig.publish("2.0");
  std::string part = rig.repo + "/" + Repo::static_delta_path(v1, v2) + "/0";
  REQUIRE(sh("cp " + part + " " + rig.dir + "/good-part && printf 'XXXX' | dd of=" + part +
             " bs=1 seek=100 conv=notrunc status=none") == 0);
  rig.start_server();
  CHECK(rig.run().summary == "update failed");
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(rig.deployed_file("etc/version") == "1.0\n");
  CHECK(rig.repo_fsck_clean());
  REQUIRE(sh("cp " + rig.dir + "/good-part " + part) == 0);
  CHECK(rig.run().deployed_new);
  CHECK(rig.deployed_file("etc/version") == "2.0\n");
}

TEST_CASE("update: lota.verify=full repairs changed files and corrupt objects", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  rig.start_server();
  Config c = rig.config();
  c.verify_full = true;
  SECTION("a file replaced in the deployment is checked out again, no network needed") {
    std::string f = rig.layout.sysroot() + "/usr/share/data/common";
    REQUIRE(sh("rm " + f + " && echo tampered > " + f) == 0);
    c.remote.clear();
    rig.run(c);
    CHECK(read_text(f).size() == 300000);
  }
  SECTION("a file changed in place (so its object too) is fetched again") {
    std::string f = rig.layout.sysroot() + "/etc/version";
    REQUIRE(sh("printf 'X' | dd of=" + f + " bs=1 seek=0 conv=notrunc status=none") == 0);
    REQUIRE(read_text(f) == "X.0\n");
    CHECK(rig.run(c).summary == "repaired");
    CHECK(read_text(f) == "1.0\n");
  }
  CHECK(rig.repo_fsck_clean());
  Config again = rig.config();
  again.verify_full = true;
  CHECK(rig.run(again).summary == "up to date");  // verified clean now
}

TEST_CASE("lota fsck: sees a corrupt object and a missing one, as ostree fsck does", "[update]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  std::string log = rig.dir + "/fsck.log";
  std::string objects = rig.layout.repo() + "/objects";
  REQUIRE(rig.lota_cli("fsck", log) == 0);
  REQUIRE(rig.repo_fsck_clean());
  SECTION("a content object changed in place") {
    std::string object = sh_out("find " + objects + " -name '*.file' -type f -size +1k | head -n1");
    REQUIRE(!object.empty());
    REQUIRE(sh("printf 'X' >> " + object) == 0);  // appended: whatever its bytes, no longer its checksum
    CHECK(rig.lota_cli("fsck", log) != 0);
    CHECK(read_text(log).find("fsck: corrupt: ") != std::string::npos);
    CHECK(!rig.repo_fsck_clean());
  }
  SECTION("the deployed version's commit marked partial (ostree fsck would skip it)") {
    REQUIRE(sh("mkdir -p " + rig.layout.repo() + "/state && touch " + rig.layout.repo() + "/state/" +
               rig.device_ref("deployed") + ".commitpartial") == 0);
    CHECK(rig.lota_cli("fsck", log) != 0);
    CHECK(read_text(log).find("fsck: missing: lota/deployed: ") != std::string::npos);
  }
  SECTION("a directory's metadata object gone") {
    std::string object = sh_out("find " + objects + " -name '*.dirtree' | head -n1");
    REQUIRE(!object.empty());
    REQUIRE(sh("rm " + object) == 0);
    CHECK(rig.lota_cli("fsck", log) != 0);
    CHECK(read_text(log).find("fsck: missing: lota/deployed: ") != std::string::npos);
    CHECK(!rig.repo_fsck_clean());
  }
}
