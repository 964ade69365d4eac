// The keyring and its chain (lib/update/keyring.cpp) on real chains made by scripts/keygen
// --rotate/--revoke, and entries signed by hand with the same ed25519 signing (scripts/common.sh).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "rig/update_rig.hpp"
#include "update/keyring.hpp"

using namespace lota;
using namespace lota::test;

namespace {

struct Keys {
  std::string dir = sh_out("mktemp -d");
  std::string top = std::getenv("LOTA_TOP") ? std::getenv("LOTA_TOP") : ".";
  ~Keys() { sh("rm -rf " + dir); }
  void keygen(const std::string& args) { REQUIRE(sh(top + "/scripts/keygen " + args + " 2>/dev/null") == 0); }
  std::string pub(const std::string& d) const { return read_text(d + "/ed25519.pub").substr(0, 44); }
  std::string retired(int n) const {
    return sh_out("ls -d " + dir + "/k/retired/* | sed -n " + std::to_string(n) + "p");
  }
  std::string chain() const { return read_text(dir + "/k/chain"); }
  // One more entry, `fields` signed by the secret in `key_dir`.
  std::string entry(const std::string& key_dir, const std::string& fields) const {
    std::string body = dir + "/body";
    REQUIRE(sh("printf '%s' '" + fields + "' > " + body) == 0);
    std::string sig = sh_out("bash -c 'source " + top + "/scripts/common.sh && ed25519_sign " + key_dir +
                             "/ed25519.secret " + body + "'");
    return fields + "\ned25519 " + sig + "\n";
  }
};

Keyring ring_of(const std::string& key) {
  return Keyring{{{key, 0, false}}, 0};
}

}  // namespace

TEST_CASE("key chain: two rotations followed from the first key, and from the second alone") {
  Keys k;
  k.keygen(k.dir + "/k");
  std::string k1 = k.pub(k.dir + "/k");
  k.keygen("--rotate " + k.dir + "/k");
  std::string k2 = k.pub(k.dir + "/k");
  k.keygen("--rotate " + k.dir + "/k");
  std::string k3 = k.pub(k.dir + "/k");
  auto from_k1 = follow_chain(ring_of(k1), k.chain());
  REQUIRE(from_k1.ok());
  CHECK(from_k1->serial == 4);
  REQUIRE(from_k1->keys.size() == 3);
  CHECK(from_k1->find(k1)->retired_from != 0);
  CHECK(from_k1->find(k2)->retired_from != 0);
  CHECK(from_k1->find(k3)->retired_from == 0);
  // A device made after the first rotation holds only K2: the entries about K1 change nothing
  // there and are passed over; it follows on to K3.
  auto from_k2 = follow_chain(ring_of(k2), k.chain());
  REQUIRE(from_k2.ok());
  CHECK(from_k2->serial == 4);
  CHECK(from_k2->find(k3));
  CHECK_FALSE(from_k2->find(k1));
  // Applied entries are not applied again; a revocation follows.
  k.keygen("--revoke " + k2 + " " + k.dir + "/k");
  auto again = follow_chain(*from_k1, k.chain());
  REQUIRE(again.ok());
  CHECK(again->serial == 5);
  CHECK(again->find(k2)->revoked);
  CHECK(again->refusal(k2, 0).find("revoked") != std::string::npos);
  CHECK(again->refusal(k1, again->find(k1)->retired_from).find("retired") != std::string::npos);
  CHECK(again->refusal(k1, again->find(k1)->retired_from - 1).empty());  // older releases still verify
  CHECK(sh(k.top + "/scripts/keygen --revoke " + k3 + " " + k.dir + "/k 2>/dev/null") != 0);  // the current key
}

TEST_CASE("key chain: a gap, a backdated entry by a retired key, a post-dated retirement are refused") {
  Keys k;
  k.keygen(k.dir + "/k");
  std::string k1 = k.pub(k.dir + "/k");
  k.keygen("--rotate " + k.dir + "/k");
  std::string chain = k.chain();
  Keyring base = ring_of(k1);
  // Entry 2 left out.
  std::string first = chain.substr(0, chain.find('\n', chain.find('\n') + 1) + 1);
  std::string gap =
      first + k.entry(k.dir + "/k", R"({"format":1,"serial":3,"published":9999999999,"revoke":")" + k1 + "\"}");
  CHECK(follow_chain(base, gap).error().message.find("gap") != std::string::npos);
  // The retired K1 signs an entry 3 adding its own key, dated before its retirement.
  k.keygen(k.dir + "/evil");
  std::string backdated =
      chain + k.entry(k.retired(1), R"({"format":1,"serial":3,"published":1,"add":")" + k.pub(k.dir + "/evil") + "\"}");
  auto b = follow_chain(base, backdated);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("dated before") != std::string::npos);
  // Dated after the entry before it instead: K1 is retired by then.
  std::string late = chain + k.entry(k.retired(1), R"({"format":1,"serial":3,"published":9999999999,"add":")" +
                                                       k.pub(k.dir + "/evil") + "\"}");
  auto l = follow_chain(base, late);
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().message.find("retired") != std::string::npos);
  // A retirement from a later time than its own publication.
  std::string postdated = chain + k.entry(k.dir + "/k", R"({"format":1,"serial":3,"published":9999999990,"retire":")" +
                                                            k.pub(k.dir + "/k") + R"(","from":9999999999})");
  CHECK_FALSE(follow_chain(base, postdated).ok());
  // A float where a whole number belongs, before any signature is checked: refused, not cast.
  CHECK_FALSE(follow_chain(base, R"({"format":1,"serial":1e300,"published":1,"add":"x"})"
                                 "\n")
                  .ok());
}
