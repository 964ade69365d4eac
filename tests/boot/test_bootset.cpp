// Boot sets (lib/boot/bootset.cpp) in a real update on the host: a release whose boot files cannot be
// installed must not be half-applied (new rootfs, old kernel); reading a release's boot files
// never throws. Tagged [never-brick]: listed in docs/reliability.md.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "boot/bootset.hpp"
#include "rig/update_rig.hpp"

using namespace lota;
using namespace lota::test;

namespace {

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// 1.0 on the device with its boot set; `extra` shapes release 2.0's tree; one boot flow runs.
// Returns its output (the process must end normally, whatever 2.0 holds).
std::string update_to(UpdateRig& rig, const std::string& extra) {
  rig.device_with_kernel_update(extra);
  std::string log = rig.dir + "/update.log";
  int st = rig.run_boot_flow(rig.write_config_file(rig.config()), log);
  std::string out = read_text(log);
  UNSCOPED_INFO(out);
  REQUIRE(WIFEXITED(st));
  return out;
}

// The release was refused as a whole, for good: 1.0 deployed with its own kernel, 2.0 rejected,
// and the next boot says nothing is wrong.
void refused_whole(UpdateRig& rig, const std::string& out, const std::string& why) {
  CHECK(has(out, why));
  CHECK(has(out, "will not be installed"));
  CHECK(rig.state().deployed->version == "1.0");
  CHECK(rig.active_kernel() == "kernel 1.0\n");
  CHECK(rig.state().rejected.size() == 1);
  std::string log = rig.dir + "/after.log";
  rig.run_boot_flow(rig.write_config_file(rig.config()), log);
  std::string next = read_text(log);
  INFO(next);
  CHECK(has(next, "rolled back before: ignored"));
  CHECK_FALSE(has(next, "ERROR"));
}

const char* kKernelDir = "usr/lib/modules/6.1.0-test";

}  // namespace

TEST_CASE("#13.4 a release whose boot files do not fit the boot partition is refused before its rootfs is swapped in",
          "[never-brick][bootset]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  std::string out = update_to(rig, std::string("head -c 17000000 /dev/zero > ") + kKernelDir + "/initramfs.img");
  refused_whole(rig, out, "does not fit");
}

TEST_CASE("#13.4 a release whose kernel is a symlink is refused whole (FAT holds no links)", "[never-brick][bootset]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  std::string k = kKernelDir;
  std::string out = update_to(
      rig, "mkdir -p boot && mv " + k +
               "/vmlinuz boot/vmlinuz-6.1.0-test && ln -s ../../../../boot/vmlinuz-6.1.0-test " + k + "/vmlinuz");
  refused_whole(rig, out, "not a regular file");
}

TEST_CASE("#13.3 a self-referencing symlink in the boot files is one line, never an exception out of the boot flow",
          "[never-brick][bootset]") {
  if (::geteuid() != 0) return;
  UpdateRig rig;
  std::string k = kKernelDir;
  std::string out = update_to(rig, "rm " + k + "/vmlinuz && ln -s vmlinuz " + k + "/vmlinuz");
  refused_whole(rig, out, "not a regular file");
}

TEST_CASE("#13.4 one rule for the boot set: the one kernel directory holding vmlinuz", "[bootset]") {
  char tmpl[] = "/tmp/lota-bootfiles-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  std::string d = tmpl, m = d + "/usr/lib/modules";
  // Modules of an old kernel next to the new one (common after a kernel upgrade): not ambiguous.
  REQUIRE(sh("mkdir -p " + m + "/5.10-old/kernel " + m + "/6.1-new/dtb && echo k > " + m +
             "/6.1-new/vmlinuz && echo d > " + m + "/6.1-new/dtb/b.dtb && echo x > " + m + "/6.1-new/dtb/notes.txt") ==
          0);
  auto files = boot_files(d);
  REQUIRE(files.ok());
  REQUIRE(files->size() == 2);
  CHECK((*files)[0].rel == "usr/lib/modules/6.1-new/vmlinuz");
  CHECK((*files)[1].name == "b.dtb");
  // Two kernels: which one boots is not for lota to guess.
  REQUIRE(sh("echo k > " + m + "/5.10-old/vmlinuz") == 0);
  auto two = boot_files(d);
  REQUIRE_FALSE(two.ok());
  CHECK(has(two.error().message, "2 kernels"));
  REQUIRE(sh("rm -rf " + d) == 0);
}
