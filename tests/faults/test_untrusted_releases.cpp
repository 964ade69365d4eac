// Issue 16, the hostile-server matrix for trust: a real server on 127.0.0.1 whose signed
// statement names releases the device must not take (another board's, one without a ref
// binding, an older one with a static delta ready for it), statements that are replayed,
// expired, missing or signed by another key, and a kernel command line that tries to lower
// trust. The boot flow runs as `lota boot-flow` on a real ext4 root partition. Each case must end
// in one console line naming why, 1.0 booting intact, and no byte of content downloaded: the
// server's log shows only the statement and the commit object with its signatures.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>

#include "base/file.hpp"
#include "rig/reliability_record.hpp"
#include "rig/update_rig.hpp"
#include "update/deploy.hpp"

using namespace lota;
using namespace lota::test;

namespace {

std::string object_path(const std::string& repo, const std::string& commit, const char* ext) {
  return fmt::format("{}/objects/{}/{}.{}", repo, commit.substr(0, 2), commit.substr(2), ext);
}

uint64_t size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// What the console said about the release, and the bytes it cost.
struct Refusal {
  std::string line;
  uint64_t bytes = UINT64_MAX;
};

Refusal refusal_in(const std::string& log) {
  std::ifstream f(log);
  std::regex cost(R"(\((\d+) bytes fetched to decide, no content\))");
  std::smatch m;
  Refusal r;
  for (std::string l; std::getline(f, l);)
    if (l.find("update to ") != std::string::npos && std::regex_search(l, m, cost)) {
      r.line = l.substr(l.find(']') + 2);
      r.bytes = std::stoull(m[1]);
    }
  return r;
}

// A commit of `tree` on test/stable with no ref binding, signed: what another pipeline makes.
std::string commit_without_binding(const UpdateRig& rig, const std::string& tree) {
  std::string o = rig.ostree + " --repo=" + rig.repo;
  std::string commit = sh_out(o + " commit --no-bindings --orphan --tree=dir=" + tree +
                              " --owner-uid=0 --owner-gid=0 --add-metadata-string=version=2.2-nobinding");
  REQUIRE(commit.size() == 64);
  REQUIRE(sh(o + " sign --sign-type=ed25519 --keys-file=" + rig.dir + "/keys/ed25519.secret " + commit) == 0);
  return commit;
}

struct Case {
  const char* what;
  std::string commit;  // what the server's test/stable names
  const char* says;    // in the console line
};

}  // namespace

TEST_CASE("untrusted releases are refused before a byte of content, with one line and their cost", "[hostile]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  std::string v09 = rig.publish("0.9");
  ::sleep(1);  // commit timestamps have one-second resolution: 0.9 is older than 1.0
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  ::sleep(1);
  std::string v2 = rig.publish("2.0");
  std::string other = rig.publish("2.1-other-board", true, false, "test/other");
  std::string nobind = commit_without_binding(rig, rig.dir + "/rootfs-2.0");
  // A static delta from what the device runs back to 0.9, ready on the server.
  REQUIRE(sh(rig.ostree + " --repo=" + rig.repo + " static-delta generate --from=" + v1 + " --to=" + v09 +
             " --min-fallback-size=0 >/dev/null") == 0);
  rig.start_server();
  rig.snapshot("start");
  const Case cases[] = {
      {"another board's commit (bound to test/other) on this branch", other, "not to this device's branch test/stable"},
      {"a commit without a ref binding", nobind, "has no ref binding"},
      {"an older signed commit, a static delta to it on the server", v09, "downgrade refused"},
  };
  std::vector<ReliabilityRecord> records;
  for (const Case& k : cases) {
    INFO(k.what);
    rig.restore("start");
    rig.offer(k.commit);
    std::string log = rig.dir + "/untrusted.log", http_log = rig.dir + "/http.log";
    ::unlink(log.c_str());
    REQUIRE(::truncate(http_log.c_str(), 0) == 0);
    rig.run_boot_flow(rig.write_config_file(rig.config()), log);
    std::string out = read_text(log);
    INFO(out);
    CHECK(out.find("boot-flow: update failed") != std::string::npos);
    Refusal r = refusal_in(log);
    CHECK(r.line.find(k.says) != std::string::npos);
    // The cost: the statement, the commit object and its signatures, and nothing else.
    uint64_t commit_bytes =
        size_of(object_path(rig.repo, k.commit, "commit")) + size_of(object_path(rig.repo, k.commit, "commitmeta"));
    CHECK(r.bytes <= commit_bytes);
    CHECK(r.bytes > 0);
    for (const std::string& p : requested_paths(http_log)) {
      INFO(p);
      CHECK((p == "/lota/refs/test/stable" || p.ends_with(".commit") || p.ends_with(".commitmeta")));
    }
    CHECK(rig.state().deployed->commit == v1);
    CHECK(deployment_commit(rig.layout.sysroot()) == v1);
    ReliabilityRecord rec{std::string("Untrusted release: ") + k.what, 1, {}, r.line};
    rec.outcomes[fmt::format("refused after {} bytes (commit object {} bytes)", r.bytes, commit_bytes)] = 1;
    records.push_back(rec);
  }
  // The server offers the real 2.0 again: it goes through.
  rig.restore("start");
  rig.offer(v2);
  rig.run_boot_flow(rig.write_config_file(rig.config()), rig.dir + "/good.log");
  CHECK(rig.state().deployed->commit == v2);
  for (const auto& r : records) r.save("hostile-server");
}

TEST_CASE("the kernel command line cannot lower trust: each trust setting tried", "[hostile]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  std::string v09 = rig.publish("0.9");
  ::sleep(1);
  std::string v1 = rig.publish("1.0");
  rig.factory("1.0");
  rig.publish("2.1-other-board", true, false, "test/other");
  std::string v2 = rig.publish("2.0");
  // Unsigned, bound to test/stable, committed without publish (whose pruning would take 0.9).
  std::string unsigned_commit =
      sh_out(rig.ostree + " --repo=" + rig.repo + " commit --branch=test/stable --tree=dir=" + rig.dir +
             "/rootfs-2.0 --owner-uid=0 --owner-gid=0 --add-metadata-string=version=2.0-unsigned");
  REQUIRE(unsigned_commit.size() == 64);
  rig.start_server();
  rig.snapshot("start");
  REQUIRE(sh(rig.top + "/scripts/keygen " + rig.dir + "/other 2>/dev/null") == 0);
  const std::string live = "http://127.0.0.1:" + std::to_string(rig.port);
  const std::string good_key = rig.pubkey;
  // Each try is one the command line would win if it were taken: the initramfs's settings alone
  // refuse what the server offers, the command line's would let it in.
  struct Try {
    std::string cmdline;
    std::string branch_to;  // what the server's test/stable names
    std::string conf_remote, conf_key;
  };
  const Try tries[] = {
      {"lota.sign_key= lota.allow_unsigned=1", unsigned_commit, live, good_key},
      {"lota.sign_key=" + good_key, v2, live, sh_out("cat " + rig.dir + "/other/ed25519.pub")},
      {"lota.allow_unsigned=1", unsigned_commit, live, ""},
      {"lota.allow_downgrade=1", v09, live, good_key},
      {"lota.branch=test/other", unsigned_commit, live, good_key},
      {"lota.remote=" + live, v2, "http://127.0.0.1:1", good_key},
      // These two cannot change this outcome; what they would do is in test_config.cpp.
      {"lota.tls_ca=/tmp/evil-ca.pem", unsigned_commit, live, good_key},
      {"lota.init=/bin/sh", unsigned_commit, live, good_key},
  };
  for (const Try& t : tries) {
    INFO(t.cmdline);
    rig.restore("start");
    rig.offer(t.branch_to);
    Config c = rig.config();
    c.remote = t.conf_remote;
    c.sign_key = t.conf_key;
    std::string log = rig.dir + "/cmdline.log";
    ::unlink(log.c_str());
    rig.run_boot_flow(rig.write_config_file(c), log, {}, t.cmdline);
    std::string out = read_text(log);
    INFO(out);
    for (const auto& word : {t.cmdline.substr(0, t.cmdline.find(' '))})
      CHECK(out.find(word + " ignored: ") != std::string::npos);
    // Whatever the server offers here is refused under the initramfs's settings: 1.0 stays.
    CHECK(rig.state().deployed->commit == v1);
    CHECK(out.find("boot-flow: updated") == std::string::npos);
    if (t.conf_key.empty()) CHECK(out.find("boot-flow: unsigned remote refused") != std::string::npos);
  }
}

TEST_CASE("statements: a replayed older one, one signed by another key or missing is refused; an expired one is said",
          "[hostile]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  rig.publish("1.0");
  rig.factory("1.0");
  std::string statement = rig.repo + "/lota/refs/test/stable";
  std::string old_statement = read_text(statement);  // names 1.0
  std::string v2 = rig.publish("2.0");
  rig.start_server();
  std::string conf = rig.write_config_file(rig.config());
  std::string log = rig.dir + "/statement.log";
  auto boot = [&]() {
    ::unlink(log.c_str());
    REQUIRE(::truncate((rig.dir + "/http.log").c_str(), 0) == 0);
    rig.run_boot_flow(conf, log);
    return read_text(log);
  };
  rig.snapshot("start");

  SECTION("replayed: the device took 2.0's statement; the server goes back to 1.0's") {
    REQUIRE(boot().find("boot-flow: updated") != std::string::npos);
    REQUIRE(rig.lota_cli("mark-good", rig.dir + "/cli.log") == 0);
    REQUIRE(write_file_atomic(statement, old_statement).ok());
    std::string out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: statement refused") != std::string::npos);
    CHECK(out.find("is older than one accepted here before") != std::string::npos);
    CHECK(rig.state().deployed->commit == v2);
    CHECK(requested_paths(rig.dir + "/http.log") == std::vector<std::string>{"/lota/refs/test/stable"});
  }
  SECTION("signed by another key") {
    REQUIRE(sh(rig.top + "/scripts/keygen " + rig.dir + "/other 2>/dev/null") == 0);
    REQUIRE(sh(rig.top + "/scripts/statement --repo " + rig.repo + " --branch test/stable --key " + rig.dir +
               "/other/ed25519.secret 2>/dev/null") == 0);
    std::string out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: check failed") != std::string::npos);
    CHECK(out.find("signature of the statement") != std::string::npos);
    CHECK(rig.state().deployed->version == "1.0");
  }
  SECTION("missing: the server publishes only the unsigned ref") {
    REQUIRE(::unlink(statement.c_str()) == 0);
    std::string out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: check failed") != std::string::npos);
    CHECK(out.find("must publish a signed statement") != std::string::npos);
    CHECK(rig.state().deployed->version == "1.0");
  }
  SECTION("expired: taken (it is signed and newer), and said on the console and in lota status") {
    rig.offer(v2, "test/stable", -60);
    std::string out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: updated") != std::string::npos);
    CHECK(out.find("a stale mirror or a freeze") != std::string::npos);
    CHECK(rig.lota_cli("status", rig.dir + "/status.log") == 0);
    CHECK(read_text(rig.dir + "/status.log").find("expired") != std::string::npos);
  }
}

// Issue 16.5: keys that change. Three releases, each signed with the key of its day (keygen
// --rotate between them); the device trusts only the first key and missed the second release.
TEST_CASE("keys that change: a rotated chain is followed; a retired or revoked key is refused", "[hostile]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  const std::string keys = rig.dir + "/keys";
  auto rotate = [&] { REQUIRE(sh(rig.top + "/scripts/keygen --rotate " + keys + " 2>/dev/null") == 0); };
  auto retired = [&](int n) { return sh_out("ls -d " + keys + "/retired/* | sed -n " + std::to_string(n) + "p"); };
  rig.publish("1.0");  // K1
  rig.factory("1.0");
  rotate();
  ::sleep(1);                           // K1 is retired from the second after the rotation
  std::string v2 = rig.publish("2.0");  // K2, which the device never sees
  rotate();
  ::sleep(1);
  std::string v3 = rig.publish("3.0");  // K3
  rig.start_server();
  Config c = rig.config();  // trusts K1 only (the rig's key when the device was made)
  std::string conf = rig.write_config_file(c);
  std::string log = rig.dir + "/keys.log";
  auto boot = [&] {
    ::unlink(log.c_str());
    rig.run_boot_flow(conf, log);
    return read_text(log);
  };
  rig.snapshot("start");

  SECTION("a device that missed 2.0 follows the chain to K3 and takes 3.0; then a commit by K1 is refused") {
    std::string out = boot();
    INFO(out);
    CHECK(out.find("key chain: followed to entry 4 (3 keys)") != std::string::npos);
    CHECK(out.find("boot-flow: updated 1.0 -> 3.0") != std::string::npos);
    State s = rig.state();
    REQUIRE(s.keyring.keys.size() == 3);
    CHECK(s.keyring.serial == 4);
    CHECK(s.keyring.keys[0].retired_from != 0);
    CHECK(s.keyring.keys[1].retired_from != 0);
    CHECK(s.keyring.keys[2].retired_from == 0);
    REQUIRE(rig.lota_cli("mark-good", rig.dir + "/cli.log") == 0);
    // The retired K1 signs 3.1 (statement and commit): refused, whatever else is right about it.
    ::sleep(1);
    REQUIRE(sh(rig.top + "/scripts/publish " + rig.dir + "/rootfs-3.0 --repo " + rig.repo +
               " --branch test/stable --version 3.1 --key " + retired(1) + "/ed25519.secret >/dev/null 2>&1") == 0);
    out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: check failed") != std::string::npos);
    CHECK(out.find("retired from") != std::string::npos);
    CHECK(rig.state().deployed->commit == v3);
    // The same commit, now named by a statement of the current key: the commit itself is refused.
    rig.offer(sh_out(rig.ostree + " --repo=" + rig.repo + " rev-parse test/stable"));
    out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: update failed") != std::string::npos);
    CHECK(out.find("retired from") != std::string::npos);
    CHECK(rig.state().deployed->commit == v3);
  }
  SECTION("K2 revoked: 2.0, which K2 signed before it was retired, is refused; the chain comes with 3.0's publish") {
    REQUIRE(sh(rig.top + "/scripts/keygen --revoke " + retired(2) + "/ed25519.pub " + keys + " 2>/dev/null") == 0);
    REQUIRE(sh("cp " + keys + "/chain " + rig.repo + "/lota/keyring") == 0);  // what the next publish does
    rig.offer(v2);  // a statement by K3 naming 2.0 (a rollback on the server, or an attacker's pick)
    std::string out = boot();
    INFO(out);
    CHECK(out.find("boot-flow: update failed") != std::string::npos);
    CHECK(out.find("signed by the revoked key") != std::string::npos);
    CHECK(rig.state().deployed->version == "1.0");
    CHECK(rig.state().keyring.serial == 0);  // nothing of the chain is kept without a release
  }
}
