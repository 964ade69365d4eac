#include <catch2/catch.hpp>

#include "system/cmdline.hpp"

using lota::parse_cmdline;

TEST_CASE("cmdline splits keys, values and bare flags") {
  auto p = parse_cmdline("console=ttyAMA0 quiet lota.root=/dev/mmcblk0p2\n");
  REQUIRE(p.size() == 3);
  CHECK(p[0].key == "console");
  CHECK(*p[0].value == "ttyAMA0");
  CHECK(p[1].key == "quiet");
  CHECK_FALSE(p[1].value.has_value());
  CHECK(*p[2].value == "/dev/mmcblk0p2");
}

TEST_CASE("cmdline quotes group spaces and are dropped") {
  auto p = parse_cmdline("a=\"x y\"  \"b=c d\" e=f=g");
  REQUIRE(p.size() == 3);
  CHECK(*p[0].value == "x y");
  CHECK(p[1].key == "b");
  CHECK(*p[1].value == "c d");
  CHECK(*p[2].value == "f=g");  // only the first '=' separates
}

TEST_CASE("cmdline survives odd input") {
  CHECK(parse_cmdline("").empty());
  CHECK(parse_cmdline("   \t\n").empty());
  auto p = parse_cmdline("x=\"unterminated value");
  REQUIRE(p.size() == 1);
  CHECK(*p[0].value == "unterminated value");
  auto e = parse_cmdline("= =v");
  REQUIRE(e.size() == 2);
  CHECK(e[0].key.empty());
}
