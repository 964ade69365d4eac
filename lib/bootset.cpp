#include "bootset.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "boot_env.hpp"
#include "crash_point.hpp"
#include "deploy.hpp"
#include "file.hpp"
#include "mount.hpp"
#include "repo.hpp"
#include "unique_fd.hpp"

namespace fs = std::filesystem;

namespace lota {
namespace {

// (name in the set, source path) for each boot file the deployment carries.
std::vector<std::pair<std::string, std::string>> boot_files(const std::string& deployment) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  for (const auto& k : fs::directory_iterator(deployment + "/usr/lib/modules", ec)) {
    fs::path dir = k.path();
    if (!fs::exists(dir / "vmlinuz")) continue;
    files.push_back({"vmlinuz", dir / "vmlinuz"});
    if (fs::exists(dir / "initramfs.img")) files.push_back({"initramfs.img", dir / "initramfs.img"});
    for (const auto& d : fs::directory_iterator(dir / "dtb", ec))
      if (d.path().extension() == ".dtb") files.push_back({d.path().filename(), d.path()});
    break;
  }
  return files;
}

Status copy_synced(const std::string& from, const std::string& to) {
  auto data = read_file(from);
  if (!data) return data.error();
  std::string tmp = to + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error("writing {}", tmp);
  const char* p = data->data();
  size_t left = data->size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n <= 0) return errno_error("writing {} (boot partition full?)", tmp);
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return errno_error("syncing {}", tmp);
  crash_point("wrote " + tmp);
  // Not atomic on FAT; it need not be: the env does not point at this set yet.
  if (::rename(tmp.c_str(), to.c_str()) != 0) return errno_error("renaming {}", tmp);
  crash_point("renamed to " + to);
  return {};
}

}  // namespace

std::string boot_set_manifest(const Repo& repo, const std::string& commit, const std::string& deployment) {
  std::vector<std::string> lines;
  for (const auto& [name, src] : boot_files(deployment)) {
    std::string sum = repo.file_checksum(commit, fs::relative(src, deployment).string());
    if (sum.empty()) return "";  // not the commit's own file: never trust a guess here
    lines.push_back(fmt::format("{} {}\n", name, sum));
  }
  std::sort(lines.begin(), lines.end());  // byte order, as `LC_ALL=C sort` in scripts/make-image
  std::string manifest;
  for (const auto& line : lines) manifest += line;
  return manifest;
}

namespace {

bool set_holds(const std::string& boot, const std::string& set, const std::string& manifest) {
  auto m = read_file(boot + "/" + set + "/lota-set");
  return m && *m == manifest;
}

}  // namespace

bool boot_set_current(const std::string& boot, const std::string& manifest) {
  if (manifest.empty()) return true;
  auto env = read_boot_env(boot);
  return set_holds(boot, env ? env->bootset : "boot.1", manifest);
}

Result<std::string> install_boot_set(const std::string& boot, const std::string& deployment,
                                     const std::string& manifest) {
  auto files = boot_files(deployment);
  if (files.empty() || manifest.empty()) return std::string();  // a rootfs-only update: the boot set stays
  auto env = read_boot_env(boot);
  std::string active = env ? env->bootset : "boot.1";  // a factory image without env boots boot.1
  if (set_holds(boot, active, manifest)) return std::string();
  if (env && !env->fallback.empty() && set_holds(boot, env->fallback, manifest)) {
    // A rollback: the previous files are still there.
    LOTA_TRY(write_boot_env(boot, BootEnv{0, env->fallback, active, false}));
    return fmt::format("boot set {} active again, {} kept as fallback", env->fallback, active);
  }
  std::string target = active == "boot.1" ? "boot.2" : "boot.1";
  std::string dir = boot + "/" + target;
  LOTA_TRY(remove_tree(dir));
  LOTA_TRY(make_dirs(dir));
  for (const auto& [name, src] : files) LOTA_TRY(copy_synced(src, dir + "/" + name));
  LOTA_TRY(write_file_atomic(dir + "/lota-set", manifest));  // last: the set is complete
  // A count the boot script left for an earlier trial of this set must not count against this one.
  if (::unlink((boot + "/" + kBootCountFile).c_str()) != 0 && errno != ENOENT)
    return errno_error("removing {}/{}", boot, kBootCountFile);
  LOTA_TRY(write_boot_env(boot, BootEnv{0, target, active, true}));  // on trial until it boots
  return fmt::format("boot set {} installed and active ({} files), {} kept as fallback", target, files.size(), active);
}

}  // namespace lota
