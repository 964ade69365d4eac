#include "boot/bootset.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/crash_point.hpp"
#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "boot/boot_env.hpp"
#include "boot/boot_partition.hpp"

namespace lota {
namespace {

bool lexists(const std::string& p, struct stat& st) {
  return ::lstat(p.c_str(), &st) == 0;
}

// FAT (8.3 + VFAT long names) holds these; U-Boot's `load` needs nothing fancier.
bool fat_name(const std::string& n) {
  if (n.empty() || n.size() > 64 || n[0] == '.') return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

Status add_file(std::vector<BootFile>& files, const std::string& deployment, const std::string& rel,
                const std::string& name) {
  struct stat st {};
  std::string path = deployment + "/" + rel;
  if (!lexists(path, st)) return errno_error("boot file {}", rel);
  if (!S_ISREG(st.st_mode))
    return make_error("boot file {} is not a regular file (a symlink?): the FAT boot partition holds only plain files",
                      rel);
  if (!fat_name(name)) return make_error("boot file name '{}' cannot be stored on the FAT boot partition", name);
  files.push_back({name, rel, static_cast<uint64_t>(st.st_size)});
  return {};
}

// Copies in fixed-size blocks (a kernel is megabytes; PID 1 never holds a whole one in memory),
// straight to the file's name and synced there. No temp file and rename: on FAT a rename is
// not atomic, and vfat writes the renamed file's new directory entry with size 0 and no first
// cluster, filling them in only when the inode is written back, later: a power cut after the
// env names the set then leaves files that U-Boot loads as empty (found by the block-level crash
// states, tests/blockcrash). Written in place, fsync writes the entry with the file. Nothing
// points at the set while it is written; its manifest, written last, says it is complete.
Status copy_synced(const std::string& from, const std::string& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in.valid()) return errno_error("reading {}", from);
  UniqueFd fd(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error("writing {}", to);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("reading {}", from);
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return errno_error("writing {} (boot partition full?)", to);
      off += w;
    }
  }
  if (::fsync(fd.get()) != 0) return errno_error("syncing {}", to);
  crash_point("wrote " + to);
  return {};
}

// Empties a set's directory, its manifest first (synced): a set half deleted by a power cut
// must not still claim to hold a version.
Status clear_set(const std::string& dir) {
  struct stat st {};
  if (!lexists(dir, st)) return make_dirs(dir);
  if (::unlink((dir + "/lota-set").c_str()) != 0 && errno != ENOENT) return errno_error("removing {}/lota-set", dir);
  LOTA_TRY(fsync_dir(dir));
  LOTA_TRY(remove_tree(dir));
  return make_dirs(dir);
}

}  // namespace

bool is_boot_set_name(const std::string& set) {
  return set == "boot.1" || set == "boot.2";
}

std::string set_to_write(const std::string& boot, const std::string& booted) {
  // Never the set this boot came from: the only one known to work now (it is not the active
  // one when the boot script fell back). Else the one that is not active.
  std::string keep = booted;
  if (!is_boot_set_name(keep)) {
    auto env = read_boot_env(boot);
    keep = env ? env->bootset : "boot.1";  // a factory image without env boots boot.1
  }
  return keep == "boot.1" ? "boot.2" : "boot.1";
}

bool boot_set_holds(const std::string& boot, const std::string& set, const std::string& manifest) {
  if (set.empty() || manifest.empty()) return false;
  auto m = read_file(boot + "/" + set + "/lota-set");
  return m && *m == manifest;
}

Result<std::vector<BootFile>> boot_files(const std::string& deployment) {
  std::vector<BootFile> files;
  const std::string modules = "usr/lib/modules";
  std::vector<std::string> kernels;
  struct stat st {};
  for (const auto& k : list_dir(deployment + "/" + modules))
    if (lexists(deployment + "/" + modules + "/" + k + "/vmlinuz", st)) kernels.push_back(k);
  if (kernels.empty()) return files;
  if (kernels.size() > 1)
    return make_error("{} kernels in {} ({} and {}): a release carries one boot set; keep one vmlinuz", kernels.size(),
                      modules, kernels[0], kernels[1]);
  std::string dir = modules + "/" + kernels[0];
  LOTA_TRY(add_file(files, deployment, dir + "/vmlinuz", "vmlinuz"));
  if (lexists(deployment + "/" + dir + "/initramfs.img", st))
    LOTA_TRY(add_file(files, deployment, dir + "/initramfs.img", "initramfs.img"));
  for (const auto& d : list_dir(deployment + "/" + dir + "/dtb"))
    if (d.size() > 4 && d.compare(d.size() - 4, 4, ".dtb") == 0)
      LOTA_TRY(add_file(files, deployment, dir + "/dtb/" + d, d));
  return files;
}

Status check_boot_set_fits(const std::string& boot, const std::vector<BootFile>& files, const std::string& booted) {
  struct statvfs fs {};
  if (::statvfs(boot.c_str(), &fs) != 0) return errno_error("checking the free space of {}", boot);
  const uint64_t cluster = fs.f_frsize ? fs.f_frsize : 512;
  auto on_disk = [cluster](uint64_t size) { return (size + cluster - 1) / cluster * cluster; };
  std::string target = set_to_write(boot, booted);
  // Erring on the side of refusing: the manifest and a spare cluster (directory growth), and a
  // spare cluster per file.
  uint64_t need = 2 * cluster;
  for (const auto& f : files) need += on_disk(f.size) + cluster;
  uint64_t room = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  struct stat st {};
  for (const auto& n : list_dir(boot + "/" + target))  // replaced by the new set
    if (lexists(boot + "/" + target + "/" + n, st) && S_ISREG(st.st_mode))
      room += on_disk(static_cast<uint64_t>(st.st_size));
  if (need > room)
    return make_error(
        "the boot files need {} KiB and the boot partition has {} KiB for them: grow the boot partition "
        "or make the release's kernel/initramfs smaller",
        need >> 10, room >> 10);
  return {};
}

bool boot_set_current(const std::string& boot, const std::string& manifest) {
  if (manifest.empty()) return true;
  auto env = read_boot_env(boot);
  return boot_set_holds(boot, env ? env->bootset : "boot.1", manifest);
}

Result<std::string> install_boot_set(BootPartition& part, const std::string& deployment, const std::string& manifest,
                                     const std::string& booted) {
  const std::string& boot = part.path();
  auto files = boot_files(deployment);
  if (!files) return files.error();
  if (files->empty() || manifest.empty()) return std::string();  // a rootfs-only update: the boot set stays
  auto env = read_boot_env(boot);
  std::string active = env ? env->bootset : "boot.1";  // a factory image without env boots boot.1
  if (boot_set_holds(boot, active, manifest)) return std::string();
  LOTA_TRY(part.writable());
  // A set becomes active on trial (U-Boot counts its attempts and falls back), unless it holds
  // exactly these files and is the set this very boot came from: that one demonstrably boots
  // as far as lota-init. Being complete (its manifest is written last) is not the same as
  // booting: a set whose files were written before a power cut, or one a rollback returns to
  // that did not boot this time, is counted too.
  if (env && !env->fallback.empty() && boot_set_holds(boot, env->fallback, manifest)) {
    bool trial = env->fallback != booted;
    LOTA_TRY(activate_boot_set(boot, env->fallback, active, trial));
    return fmt::format("boot set {} active again{}, {} kept as fallback", env->fallback, trial ? " (on trial)" : "",
                       active);
  }
  std::string target = set_to_write(boot, booted);
  std::string keep = target == "boot.1" ? "boot.2" : "boot.1";
  std::string dir = boot + "/" + target;
  log::info("boot set {}: writing {} files", target, files->size());
  LOTA_TRY(clear_set(dir));
  for (const auto& f : *files) LOTA_TRY(copy_synced(deployment + "/" + f.rel, dir + "/" + f.name));
  LOTA_TRY(fsync_dir(dir));  // the files' entries before the manifest's
  // Last: the set is complete. In place for the reason above; a torn manifest does not match
  // the wanted one, so the set counts as incomplete and is written again.
  LOTA_TRY(write_file_synced(dir + "/lota-set", manifest));
  LOTA_TRY(fsync_dir(dir));
  log::info("boot set {}: complete; activating it in the env", target);
  // Fresh files have never booted: always on trial until lota-init runs from them.
  LOTA_TRY(activate_boot_set(boot, target, keep, true));
  return fmt::format("boot set {} installed and active ({} files), {} kept as fallback", target, files->size(), keep);
}

}  // namespace lota
