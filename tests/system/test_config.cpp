#include <unistd.h>

#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "rig/update_rig.hpp"
#include "system/config.hpp"
#include "update/sign_key.hpp"

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
                       parse_cmdline("lota.root=LABEL=rootfs lota.onfail=halt other.root=x root=/dev/nope"));
  CHECK(l.warnings.empty());
  CHECK(l.config.root == "LABEL=rootfs");
  CHECK(l.config.rootwait == 3.0);
  CHECK(l.config.onfail == OnFail::halt);
  CHECK(l.config.modules == std::vector<std::string>{"a", "b-c", "d"});
}

TEST_CASE("bad values warn, name the key and keep the previous value") {
  auto l = load_config("[lota]\nrootwait=5\n",
                       parse_cmdline("lota.rootwait=soon lota.onfail=explode lota.init=sbin/init lota.sysroot=../x "
                                     "lota.bogus=1 lota.fail_delay=-1"));
  REQUIRE(l.warnings.size() == 6);
  CHECK(l.warnings[0].find("rootwait") != std::string::npos);
  CHECK(l.warnings[0].find("'soon'") != std::string::npos);
  CHECK(l.warnings[4].find("unknown key 'lota.bogus'") != std::string::npos);
  CHECK(l.warnings[0].find("lota.rootwait") != std::string::npos);
  CHECK(l.config.rootwait == 5.0);
  CHECK(l.config.onfail == OnFail::reboot);
  CHECK(l.config.init == "/sbin/init");
  CHECK(l.config.sysroot == "sysroot");
}

TEST_CASE("a malformed config file is reported, the command line still applies") {
  auto l = load_config("this is not a key file\n[", parse_cmdline("lota.rootwait=1.5"));
  REQUIRE(l.warnings.size() == 1);
  CHECK(l.warnings[0].find("/etc/lota.conf") != std::string::npos);
  CHECK(l.config.rootwait == 1.5);
}

TEST_CASE("sign key: inline base64 (even one starting with '/'), or a file holding one") {
  const std::string slash_key = "/kVyp18ys075INKivmcdyjRXprRmzwYsMIXSgl+13vc=";
  auto k = load_sign_key(slash_key);
  REQUIRE(k.ok());
  CHECK(*k == slash_key);
  std::string file = test::sh_out("mktemp");
  REQUIRE(write_file_atomic(file, slash_key + "\n").ok());
  auto from_file = load_sign_key(file);
  REQUIRE(from_file.ok());
  CHECK(*from_file == slash_key);
  CHECK_FALSE(load_sign_key("/no/such/key.pub").ok());
  CHECK_FALSE(load_sign_key("not-a-key").ok());
  CHECK_FALSE(load_sign_key("kVyp18ys075INKivmcdyjRX!rRmzwYsMIXSgl+13vc=").ok());
  ::unlink(file.c_str());
}
