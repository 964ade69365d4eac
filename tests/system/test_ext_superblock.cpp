// lib/ext_superblock: a superblock torn between its two sectors (the kernel rewrites it at every
// read-write mount) is repaired, and nothing else is touched. Real ext4 images made by mke2fs.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "rig/update_rig.hpp"
#include "system/ext_superblock.hpp"

using namespace lota;

namespace {

std::string read_at(const std::string& path, off_t off, size_t n) {
  std::string s(n, '\0');
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(::pread(fd, s.data(), n, off) == static_cast<ssize_t>(n));
  ::close(fd);
  return s;
}

void write_at(const std::string& path, off_t off, const std::string& s) {
  int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(::pwrite(fd, s.data(), s.size(), off) == static_cast<ssize_t>(s.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("#14 a superblock torn by a power cut at mount is repaired; a sound one is left alone",
          "[never-brick][superblock]") {
  std::string dir = test::sh_out("mktemp -d"), img = dir + "/root.ext4";
  // 1 KiB blocks, as make-sd-image's root partition: the superblock is two sectors of its own.
  REQUIRE(test::sh("mkfs.ext4 -q -b 1024 -O metadata_csum " + img + " 16M") == 0);
  std::string v1 = read_at(img, 1024, 1024);
  // The checksum lota computes is the one mke2fs wrote.
  uint32_t stored = static_cast<uint8_t>(v1[0x3FC]) | static_cast<uint8_t>(v1[0x3FD]) << 8 |
                    static_cast<uint8_t>(v1[0x3FE]) << 16 |
                    static_cast<uint32_t>(static_cast<uint8_t>(v1[0x3FF])) << 24;
  CHECK(ext4_crc32c(~0u, v1.data(), 0x3FC) == stored);
  CHECK(repair_torn_ext4_superblock(img).value() == false);
  CHECK(read_at(img, 1024, 1024) == v1);
  // The next version of the superblock (a mount count and a time changed, as a mount does).
  REQUIRE(test::sh("tune2fs -C 7 -T 20261202 " + img + " > /dev/null") == 0);
  std::string v2 = read_at(img, 1024, 1024);
  REQUIRE(v2 != v1);
  // Torn: the first sector new, the second old. The kernel refuses to mount it (at every boot
  // alike), e2fsck calls it damaged.
  bool root = ::geteuid() == 0;
  std::string mnt = dir + "/mnt", mount = "mkdir -p " + mnt + " && mount -t ext4 -o loop,ro " + img + " " + mnt;
  write_at(img, 1024, v2.substr(0, 512) + v1.substr(512));
  if (root) CHECK(test::sh(mount + " 2>/dev/null") != 0);
  CHECK(test::sh("e2fsck -fn " + img + " > /dev/null 2>&1") != 0);
  REQUIRE(repair_torn_ext4_superblock(img).value() == true);
  if (root) CHECK(test::sh(mount + " && umount " + mnt) == 0);
  CHECK(test::sh("e2fsck -fn " + img + " > /dev/null 2>&1") == 0);
  CHECK(read_at(img, 1024, 1024).substr(0, 512) == v2.substr(0, 512));  // contents kept, not rolled back
  // The other way round too.
  write_at(img, 1024, v1.substr(0, 512) + v2.substr(512));
  REQUIRE(repair_torn_ext4_superblock(img).value() == true);
  CHECK(test::sh("e2fsck -fn " + img + " > /dev/null 2>&1") == 0);
  // Not ext4 at all: not touched. Impossible geometry with the magic: an error, not a rewrite.
  std::string zeros(1024, '\0');
  write_at(img, 1024, zeros);
  CHECK(repair_torn_ext4_superblock(img).value() == false);
  // Damage that is not a tear, in either half, is refused and left as it is: impossible geometry,
  // another file system's UUID, garbage in the reserved tail.
  for (auto [off, byte] : {std::pair{0x18, 40}, {0x6A, 0x5A}, {0x300, 0x01}}) {
    std::string bad = v2;
    bad[off] = static_cast<char>(byte);
    write_at(img, 1024, bad);
    auto r = repair_torn_ext4_superblock(img);
    INFO("byte " << off);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("reflash") != std::string::npos);
    CHECK(read_at(img, 1024, 1024) == bad);
  }
  test::sh("rm -rf " + dir);
}
