#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>

#include "base/file.hpp"
#include "boot/boot_env.hpp"
#include "boot/boot_partition.hpp"
#include "boot/boot_trial.hpp"
#include "boot/bootset.hpp"
#include "rig/update_rig.hpp"

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
  CHECK_FALSE(parse_boot_env(format_boot_env(BootEnv{.seq = 1, .bootset = "../x"})).ok());
  CHECK_FALSE(parse_boot_env(format_boot_env(BootEnv{.seq = 1})).ok());
}

TEST_CASE("boot env: two copies, newest valid wins, writes alternate") {
  std::string dir = test::sh_out("mktemp -d");
  CHECK_FALSE(read_boot_env(dir).has_value());
  REQUIRE(write_boot_env(dir, BootEnv{.bootset = "boot.1"}).ok());
  REQUIRE(write_boot_env(dir, BootEnv{.bootset = "boot.2", .fallback = "boot.1"}).ok());
  auto e = read_boot_env(dir);
  REQUIRE(e);
  CHECK(e->seq == 2);
  CHECK(e->bootset == "boot.2");
  CHECK(test::read_text(dir + "/" + kBootEnvCopyA).find("boot.1") != std::string::npos);  // seq 1 kept
  // A torn write of the newest copy: the older valid one is used.
  REQUIRE(write_file_atomic(dir + "/" + kBootEnvCopyB, "lota_seq=3\nlota_boot").ok());
  e = read_boot_env(dir);
  REQUIRE(e);
  CHECK(e->bootset == "boot.1");
  // The next write replaces the torn copy, not the good one.
  REQUIRE(write_boot_env(dir, BootEnv{.bootset = "boot.2", .fallback = "boot.1"}).ok());
  CHECK(read_boot_env(dir)->seq == 2);
  CHECK(test::read_text(dir + "/" + kBootEnvCopyA).find("boot.1") != std::string::npos);
  test::sh("rm -rf " + dir);
}

TEST_CASE("#13.3 boot env records: fixed size, rewritten in place, each in a directory of its own",
          "[never-brick][bootenv]") {
  // On FAT, a file truncated and rewritten gets its clusters freed and allocated again: FAT-table
  // sectors that every file depends on are rewritten. A record of one size written over itself
  // keeps its inode, its size and its blocks: the only writes are its data and its own entry.
  std::string dir = test::sh_out("mktemp -d");
  REQUIRE(write_boot_env(dir, BootEnv{.bootset = "boot.1"}).ok());
  REQUIRE(write_boot_env(dir, BootEnv{.bootset = "boot.2", .fallback = "boot.1"}).ok());
  REQUIRE(activate_boot_set(dir, "boot.1", "boot.2", true).ok());
  struct stat before[3], after[3];
  const std::string names[3] = {kBootEnvCopyA, kBootEnvCopyB, kBootCountFile};
  for (int i = 0; i < 3; ++i) REQUIRE(::stat((dir + "/" + names[i]).c_str(), &before[i]) == 0);
  for (int n = 0; n < 5; ++n) {
    REQUIRE(activate_boot_set(dir, n % 2 ? "boot.1" : "boot.2", n % 2 ? "boot.2" : "boot.1", true).ok());
    REQUIRE(close_trial(dir, n % 2 ? "boot.1" : "boot.2", n % 2 ? "boot.2" : "boot.1").ok());
  }
  for (int i = 0; i < 3; ++i) {
    REQUIRE(::stat((dir + "/" + names[i]).c_str(), &after[i]) == 0);
    INFO(names[i]);
    CHECK(after[i].st_ino == before[i].st_ino);
    CHECK(after[i].st_size == static_cast<off_t>(kBootRecordSize));
  }
  // Three directories, one record each: no directory sector is shared between them.
  for (const char* d : {"env.a", "env.b", "count"}) CHECK(test::sh_out("ls -A " + dir + "/" + d + " | wc -l") == "1");
  CHECK(read_boot_env(dir)->seq == 13);
  CHECK(
      format_boot_env(
          BootEnv{.seq = UINT64_MAX, .bootset = std::string(32, 'x'), .fallback = std::string(32, 'y'), .trial = true})
          .size() == kBootRecordSize);
  test::sh("rm -rf " + dir);
}

TEST_CASE("boot trial: lota-init closes a trial that booted, sees a fallback, else leaves it") {
  std::string dir = test::sh_out("mktemp -d");
  auto count_file = dir + "/" + kBootCountFile;
  REQUIRE(write_boot_env(dir, BootEnv{.bootset = "boot.2", .fallback = "boot.1", .trial = true}).ok());
  REQUIRE(write_boot_record(dir, kBootCountFile, "lota_count_set=boot.2\nlota_count=1\n").ok());
  std::string count_text = test::read_text(count_file);
  // The trial env round-trips.
  REQUIRE(read_boot_env(dir)->trial);
  auto part = BootPartition::at(dir);
  // Not booted by the boot script: nothing to settle.
  CHECK(classify_boot_trial(dir, "") == BootTrial::none);
  // The boot script gave up on boot.2: reported, nothing written (the caller rolls back).
  CHECK(classify_boot_trial(dir, "boot.1") == BootTrial::fell_back);
  CHECK(read_boot_env(dir)->trial);
  CHECK(::access(count_file.c_str(), F_OK) == 0);
  // boot.2 booted: classified (nothing written yet); closed just before switch_root: the env
  // says confirmed; the count is left alone (ignored without a trial); a second close has
  // nothing to do.
  CHECK(classify_boot_trial(dir, "boot.2") == BootTrial::confirmed);
  CHECK(read_boot_env(dir)->trial);
  CHECK_FALSE(close_boot_trial(part, "boot.1").value());
  CHECK(close_boot_trial(part, "boot.2").value());
  auto e = read_boot_env(dir);
  CHECK_FALSE(e->trial);
  CHECK(e->bootset == "boot.2");
  CHECK(e->fallback == "boot.1");
  CHECK(test::read_text(count_file) == count_text);
  CHECK(classify_boot_trial(dir, "boot.2") == BootTrial::none);
  CHECK_FALSE(close_boot_trial(part, "boot.2").value());
  // The fallback of a confirmed set: the active set did not load, no verdict on its version.
  CHECK(classify_boot_trial(dir, "boot.1") == BootTrial::reload);
  // An env written before trials existed (no lota_trial line) still parses: no trial.
  std::string old = "lota_seq=1\nlota_bootset=boot.1\nlota_fallback=\n";
  auto parsed =
      parse_boot_env(old + fmt::format("lota_crc={:08x}\n", crc32(0, reinterpret_cast<const Bytef*>(old.data()),
                                                                  static_cast<uInt>(old.size()))));
  REQUIRE(parsed.ok());
  CHECK_FALSE(parsed->trial);
  test::sh("rm -rf " + dir);
}

TEST_CASE("#13.1 a new boot set never overwrites the set this boot came from, and is always on trial",
          "[never-brick][bootset]") {
  std::string dir = test::sh_out("mktemp -d");
  std::string boot = dir + "/boot", dep = dir + "/dep", k = dep + "/usr/lib/modules/6.1";
  REQUIRE(test::sh("mkdir -p " + boot + "/boot.1 " + boot + "/boot.2 " + k + "/dtb && echo new > " + k +
                   "/vmlinuz && echo dtb > " + k + "/dtb/b.dtb") == 0);
  REQUIRE(write_file_atomic(boot + "/boot.1/vmlinuz", "old, works").ok());
  REQUIRE(write_file_atomic(boot + "/boot.1/lota-set", "manifest of 1.0\n").ok());
  REQUIRE(write_file_atomic(boot + "/boot.2/lota-set", "manifest of 2.0\n").ok());
  // 2.0's set is confirmed but did not load this time: the boot script booted boot.1.
  REQUIRE(write_boot_env(boot, BootEnv{.bootset = "boot.2", .fallback = "boot.1"}).ok());
  auto part = BootPartition::at(boot);
  auto did = install_boot_set(part, dep, "manifest of 3.0\n", "boot.1");
  REQUIRE(did.ok());
  auto env = read_boot_env(boot);
  CHECK(env->bootset == "boot.2");   // the set that failed is the one rewritten
  CHECK(env->fallback == "boot.1");  // the one that works stays behind it
  CHECK(env->trial);                 // fresh files are counted by the boot script
  CHECK(test::read_text(boot + "/boot.1/vmlinuz") == "old, works");
  CHECK(test::read_text(boot + "/boot.2/vmlinuz") == "new\n");
  // Booted from the active set (the usual case): the other set is written, on trial too.
  REQUIRE(write_boot_env(boot, BootEnv{.bootset = "boot.2", .fallback = "boot.1"}).ok());
  REQUIRE(install_boot_set(part, dep, "manifest of 4.0\n", "boot.2").ok());
  env = read_boot_env(boot);
  CHECK(env->bootset == "boot.1");
  CHECK(env->fallback == "boot.2");
  CHECK(env->trial);
  test::sh("rm -rf " + dir);
}
