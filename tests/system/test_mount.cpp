// Mount option strings (lib/system/mount.cpp, through libmount) and the mount-point test.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "system/mount.hpp"

using namespace lota;

TEST_CASE("mount options split into flags and the filesystem's data, as mount(8) does") {
  auto both = parse_mount_options("noatime,ro,data=journal,nodev");
  REQUIRE(both.ok());
  CHECK(both->flags == (MS_NOATIME | MS_RDONLY | MS_NODEV));
  CHECK(both->data == "data=journal");
  auto data_only = parse_mount_options("data=ordered,commit=5");
  REQUIRE(data_only.ok());
  CHECK(data_only->flags == 0);
  CHECK(data_only->data == "data=ordered,commit=5");
  CHECK_FALSE(parse_mount_options("bind").ok());
  CHECK_FALSE(parse_mount_options("noatime,remount").ok());
  auto none = parse_mount_options("");
  REQUIRE(none.ok());
  CHECK(none->flags == 0);
  CHECK(none->data.empty());
}

TEST_CASE("a mount point is known from mountinfo, a plain directory is not one") {
  CHECK(is_mount_point("/proc"));
  CHECK(is_mount_point("/"));
  CHECK_FALSE(is_mount_point("/proc/self"));
  CHECK_FALSE(is_mount_point("/no/such/dir"));
}
