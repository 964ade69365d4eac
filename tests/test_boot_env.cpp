#include <catch2/catch.hpp>

#include "boot_env.hpp"
#include "file.hpp"
#include "update_rig.hpp"

using namespace lota;

TEST_CASE("boot env: round trip, and every damage is detected") {
  BootEnv e{7, "boot.2", "boot.1"};
  std::string text = format_boot_env(e);
  CHECK(text.find("lota_bootset=boot.2\n") != std::string::npos);
  auto back = parse_boot_env(text);
  REQUIRE(back.ok());
  CHECK(*back == e);
  for (size_t cut = 0; cut + 1 < text.size(); ++cut) CHECK_FALSE(parse_boot_env(text.substr(0, cut)).ok());
  std::string flipped = text;
  flipped[20] ^= 1;
  CHECK_FALSE(parse_boot_env(flipped).ok());
  CHECK_FALSE(parse_boot_env(format_boot_env(BootEnv{1, "../x", ""})).ok());
  CHECK_FALSE(parse_boot_env(format_boot_env(BootEnv{1, "", ""})).ok());
}

TEST_CASE("boot env: two copies, newest valid wins, writes alternate") {
  std::string dir = test::sh_out("mktemp -d");
  CHECK_FALSE(read_boot_env(dir).has_value());
  REQUIRE(write_boot_env(dir, BootEnv{0, "boot.1", ""}).ok());
  REQUIRE(write_boot_env(dir, BootEnv{0, "boot.2", "boot.1"}).ok());
  auto e = read_boot_env(dir);
  REQUIRE(e);
  CHECK(e->seq == 2);
  CHECK(e->bootset == "boot.2");
  CHECK(test::read_text(dir + "/lota-env.a").find("boot.1") != std::string::npos);  // seq 1 kept
  // A torn write of the newest copy: the older valid one is used.
  REQUIRE(write_file_atomic(dir + "/lota-env.b", "lota_seq=3\nlota_boot").ok());
  e = read_boot_env(dir);
  REQUIRE(e);
  CHECK(e->bootset == "boot.1");
  // The next write replaces the torn copy, not the good one.
  REQUIRE(write_boot_env(dir, BootEnv{0, "boot.2", "boot.1"}).ok());
  CHECK(read_boot_env(dir)->seq == 2);
  CHECK(test::read_text(dir + "/lota-env.a").find("boot.1") != std::string::npos);
  test::sh("rm -rf " + dir);
}
