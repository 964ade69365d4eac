// Issue 17 part 3, offline updates (lib/update/bundle.cpp, scripts/make-bundle): bundles made by
// the real script from the rig's signed releases, put on the root partition by `lota install` or
// in a medium's directory, taken by `lota boot-flow` with no server at all, and the wrong ones
// (another board's, an older one, another key's, a delta from a commit the device lacks) refused
// with one line while 1.0 boots on.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <regex>

#include "base/file.hpp"
#include "rig/update_rig.hpp"

using namespace lota;
using namespace lota::test;

namespace {

bool root() {
  if (::geteuid() == 0) return true;
  WARN("not root: bundle test skipped");
  return false;
}

// scripts/make-bundle of the head of `branch`; "" when it fails.
std::string make_bundle(const UpdateRig& rig, const std::string& name, const std::string& branch,
                        const std::string& from, const std::string& key = "") {
  std::string out = rig.dir + "/" + name;
  std::string k = key.empty() ? rig.dir + "/keys/ed25519.secret" : key;
  int rc = sh(rig.top + "/scripts/make-bundle --repo " + rig.repo + " --branch " + branch +
              (from.empty() ? "" : " --from " + from) + " --key " + k + " --out " + out + " >/dev/null 2>&1");
  return rc == 0 ? out : "";
}

std::string boot(UpdateRig& rig, const Config& c, const std::string& name) {
  std::string log = rig.dir + "/" + name + ".log";
  int status = rig.run_boot_flow(rig.write_config_file(c, name + ".conf"), log);
  CHECK(WIFEXITED(status));
  return read_text(log);
}

// No server anywhere: the device is offline.
Config offline(const UpdateRig& rig) {
  Config c = rig.config();
  c.remote = "http://127.0.0.1:1";
  c.check_timeout = 1;
  return c;
}

}  // namespace

TEST_CASE("bundle: lota install of a delta bundle deploys 2.0 at the next boot with no server", "[bundle]") {
  if (!root()) return;
  UpdateRig rig;
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  std::string v2 = rig.publish("2.0");
  std::string b = make_bundle(rig, "2.0.bundle", "test/stable", v1);
  REQUIRE(!b.empty());
  REQUIRE(rig.lota_cli("install " + b, rig.dir + "/cli.log") == 0);
  std::string log = boot(rig, offline(rig), "boot");
  INFO(log);
  CHECK(log.find("imported") != std::string::npos);
  CHECK(log.find("updated 1.0 -> 2.0 (" + v2.substr(0, 12) + ") from the staged download") != std::string::npos);
  State s = rig.state();
  CHECK(s.deployed->commit == v2);
  CHECK(s.trial);
  CHECK_FALSE(s.staged);
  CHECK(rig.deployed_file("etc/version") == "2.0\n");
  CHECK(::access((rig.layout.state_dir() + "/bundle").c_str(), F_OK) != 0);  // taken, gone
  CHECK(rig.repo_fsck_clean());
}

TEST_CASE("bundle: a whole-commit bundle on a medium, with no remote configured", "[bundle]") {
  if (!root()) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  std::string v2 = rig.publish("2.0");
  std::string medium = rig.dir + "/usb";
  REQUIRE(sh("mkdir -p " + medium) == 0);
  REQUIRE(!make_bundle(rig, "usb/lota-update.bundle", "test/stable", "").empty());
  Config c = rig.config();
  c.remote = "";
  c.bundle_media = {"/nonexistent/dev", medium};
  std::string log = boot(rig, c, "boot");
  CHECK(rig.state().deployed->commit == v2);
  // The medium is not written: the same bundle is seen again, and passed over.
  CHECK(::access((medium + "/lota-update.bundle").c_str(), F_OK) == 0);
  REQUIRE(rig.lota_cli("mark-good", rig.dir + "/cli.log") == 0);
  log = boot(rig, c, "boot2");
  CHECK(log.find("ERROR") == std::string::npos);
  CHECK(log.find("holds the deployed version") != std::string::npos);
  CHECK(rig.state().deployed->commit == v2);
}

TEST_CASE("bundle: wrong bundles are refused with one line and 1.0 boots", "[bundle]") {
  if (!root()) return;
  UpdateRig rig;
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  ::sleep(1);  // commit times in seconds: 2.0 must be newer than 1.0 for the floor
  std::string v2 = rig.publish("2.0");
  // Another board's release, a delta from a commit the device never had, another key's bundle.
  rig.publish("2.0-other", true, false, "other/stable");
  REQUIRE(sh(rig.top + "/scripts/keygen " + rig.dir + "/rogue >/dev/null 2>&1") == 0);
  struct Case {
    std::string file;
    const char* says;
  } cases[] = {
      {make_bundle(rig, "other.bundle", "other/stable", ""), "not to this device's branch test/stable - refused"},
      {make_bundle(rig, "rogue.bundle", "test/stable", v1, rig.dir + "/rogue/ed25519.secret"),
       "not signed by a key this device trusts - refused"},
  };
  for (const auto& k : cases) {
    INFO(k.file);
    REQUIRE(!k.file.empty());
    REQUIRE(rig.lota_cli("install " + k.file, rig.dir + "/cli.log") == 0);
    std::string log = boot(rig, offline(rig), k.file.substr(k.file.rfind('/') + 1));
    std::smatch m;
    CHECK(std::regex_search(log, m, std::regex("ERROR: bundle .* refused: .*")));
    INFO(m.str());
    CHECK(m.str().find(k.says) != std::string::npos);
    CHECK(rig.state().deployed->commit == v1);
    CHECK(rig.deployed_file("etc/version") == "1.0\n");
    CHECK_FALSE(rig.state().staged);
  }
  // An older release: 2.0 deployed and confirmed, then a bundle of 1.0.
  std::string b2 = make_bundle(rig, "2.0.bundle", "test/stable", v1);
  REQUIRE(rig.lota_cli("install " + b2, rig.dir + "/cli.log") == 0);
  boot(rig, offline(rig), "boot-2.0");
  REQUIRE(rig.state().deployed->commit == v2);
  REQUIRE(rig.lota_cli("mark-good", rig.dir + "/cli.log") == 0);
  REQUIRE(sh(rig.ostree + " --repo=" + rig.repo + " reset test/stable " + v1) == 0);
  std::string old = make_bundle(rig, "1.0.bundle", "test/stable", "");
  REQUIRE(!old.empty());
  REQUIRE(rig.lota_cli("install " + old, rig.dir + "/cli.log") == 0);
  std::string log = boot(rig, offline(rig), "boot-old");
  CHECK(std::regex_search(log, std::regex("ERROR: bundle .* refused: .*older than 2\\.0 deployed here before")));
  CHECK(rig.state().deployed->commit == v2);
}
