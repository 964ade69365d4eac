#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "rig/update_rig.hpp"
#include "system/config.hpp"
#include "update/keyring.hpp"

using namespace lota;

TEST_CASE("config defaults") {
  auto l = load_config("", {});
  CHECK(l.warnings.empty());
  CHECK(l.config.root == "/dev/mmcblk0p2");
  CHECK(l.config.sysroot == "sysroot");
  CHECK(l.config.init == "/sbin/init");
  CHECK(l.config.onfail == OnFail::reboot);
  CHECK(l.config.modules.empty());
}

TEST_CASE("config file is read and the command line wins") {
  auto l = load_config("[lota]\nroot=/dev/sda2\nrootwait=3\nmodules=a;b-c;d\n",
                       parse_cmdline("lota.rootwait=7 lota.onfail=halt other.root=x root=/dev/nope"));
  CHECK(l.warnings.empty());
  CHECK(l.config.root == "/dev/sda2");
  CHECK(l.config.rootwait == 7.0);
  CHECK(l.config.onfail == OnFail::halt);
  CHECK(l.config.modules == std::vector<std::string>{"a", "b-c", "d"});
}

TEST_CASE("bad values warn, name the key and keep the previous value") {
  auto l = load_config("[lota]\nrootwait=5\ninit=sbin/init\nsysroot=../x\n",
                       parse_cmdline("lota.rootwait=soon lota.onfail=explode lota.bogus=1 lota.fail_delay=-1"));
  REQUIRE(l.warnings.size() == 6);
  CHECK(l.warnings[0].find("/etc/lota.conf: bad value 'sbin/init' for init") != std::string::npos);
  CHECK(l.warnings[2].find("'soon'") != std::string::npos);
  CHECK(l.warnings[2].find("lota.rootwait") != std::string::npos);
  CHECK(l.warnings[4].find("unknown key 'lota.bogus'") != std::string::npos);
  CHECK(l.config.rootwait == 5.0);
  CHECK(l.config.onfail == OnFail::reboot);
  CHECK(l.config.init == "/sbin/init");
  CHECK(l.config.sysroot == "sysroot");
}

// Issue 16: the command line (from the unsigned boot partition) cannot lower trust.
TEST_CASE("trust settings from the kernel command line are ignored with one line each; tightening is taken") {
  const std::string file =
      "[lota]\nremote=https://ota.example.com/repo\nbranch=board/stable\nsign_key=/etc/lota/ed25519.pub\n"
      "tls_ca=/etc/lota/ca.pem\nallow_downgrade=1\nallow_unsigned=1\nroot=/dev/mmcblk0p2\nonfail=halt\n";
  const std::pair<const char*, const char*> lowered[] = {
      {"remote", "http://evil.example.com"},
      {"branch", "other/board"},
      {"sign_key", ""},
      {"tls_ca", "/tmp/ca.pem"},
      {"tls_cert", "/tmp/c.pem"},
      {"tls_key", "/tmp/k.pem"},
      {"allow_unsigned", "1"},
      {"allow_downgrade", "yes"},
      {"init", "/bin/sh"},
      {"root", "/dev/sda1"},
      {"sysroot", "sysroot.old"},
      {"onfail", "shell"},
  };
  for (auto [key, value] : lowered) {
    INFO(key);
    auto l = load_config(file, parse_cmdline(fmt::format("lota.{}={}", key, value)));
    REQUIRE(l.warnings.size() == 1);
    CHECK(l.warnings[0].find(fmt::format("lota.{}={} ignored", key, value)) != std::string::npos);
    CHECK(l.warnings[0].find("/etc/lota.conf") != std::string::npos);
    auto plain = load_config(file, {});
    CHECK(l.config.remote == plain.config.remote);
    CHECK(l.config.branch == plain.config.branch);
    CHECK(l.config.sign_key == plain.config.sign_key);
    CHECK(l.config.tls.ca == plain.config.tls.ca);
    CHECK(l.config.tls.client_cert == plain.config.tls.client_cert);
    CHECK(l.config.allow_unsigned);
    CHECK(l.config.allow_downgrade);
    CHECK(l.config.init == "/sbin/init");
    CHECK(l.config.root == "/dev/mmcblk0p2");
    CHECK(l.config.sysroot == "sysroot");
    CHECK(l.config.onfail == OnFail::halt);
  }
  auto tight = load_config(file, parse_cmdline("lota.allow_downgrade=0 lota.allow_unsigned=no lota.onfail=reboot"));
  CHECK(tight.warnings.empty());
  CHECK_FALSE(tight.config.allow_downgrade);
  CHECK_FALSE(tight.config.allow_unsigned);
  CHECK(tight.config.onfail == OnFail::reboot);
}

// initramfs/build appends EXTRA_CONF lines after the board profile's: the later one is taken.
TEST_CASE("a key given twice in lota.conf: the last one counts") {
  auto l = load_config("[lota]\nroot=/dev/mmcblk0p2\nroot=/dev/mmcblk1p7\n", {});
  CHECK(l.config.root == "/dev/mmcblk1p7");
}

TEST_CASE("a malformed config file is reported, the command line still applies") {
  auto l = load_config("this is not a key file\n[", parse_cmdline("lota.rootwait=1.5"));
  REQUIRE(l.warnings.size() == 1);
  CHECK(l.warnings[0].find("/etc/lota.conf") != std::string::npos);
  CHECK(l.config.rootwait == 1.5);
}

TEST_CASE("sign key: inline base64 (even one starting with '/'), or a file holding one or more") {
  const std::string slash_key = "/kVyp18ys075INKivmcdyjRXprRmzwYsMIXSgl+13vc=";
  const std::string other = "AkVyp18ys075INKivmcdyjRXprRmzwYsMIXSgl+13vc=";
  auto k = load_sign_keys(slash_key);
  REQUIRE(k.ok());
  CHECK(*k == std::vector<std::string>{slash_key});
  std::string file = test::sh_out("mktemp");
  REQUIRE(write_file_atomic(file, "# the release keys\n" + slash_key + "\n\n" + other + "\n").ok());
  auto from_file = load_sign_keys(file);
  REQUIRE(from_file.ok());
  CHECK(*from_file == std::vector<std::string>{slash_key, other});
  CHECK_FALSE(load_sign_keys("/no/such/key.pub").ok());
  CHECK_FALSE(load_sign_keys("not-a-key").ok());
  CHECK_FALSE(load_sign_keys("kVyp18ys075INKivmcdyjRX!rRmzwYsMIXSgl+13vc=").ok());
  REQUIRE(write_file_atomic(file, "# nothing\n").ok());
  CHECK_FALSE(load_sign_keys(file).ok());
  ::unlink(file.c_str());
}
