#include "bootset.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "boot_env.hpp"
#include "deploy.hpp"
#include "file.hpp"
#include "mount.hpp"
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

bool same_content(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::file_size(a, ec) != fs::file_size(b, ec) || ec) return false;
  auto x = read_file(a), y = read_file(b);
  return x && y && *x == *y;
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
  // Not atomic on FAT; it need not be: the env does not point at this set yet.
  if (::rename(tmp.c_str(), to.c_str()) != 0) return errno_error("renaming {}", tmp);
  return {};
}

}  // namespace

bool boot_set_matches(const std::string& boot, const std::string& set, const std::string& deployment) {
  auto files = boot_files(deployment);
  if (files.empty()) return false;
  std::error_code ec;
  size_t present = 0;
  for (const auto& e : fs::directory_iterator(boot + "/" + set, ec)) (void)e, ++present;
  if (present != files.size()) return false;
  for (const auto& [name, src] : files)
    if (!same_content(src, boot + "/" + set + "/" + name)) return false;
  return true;
}

Result<std::string> install_boot_set(const std::string& boot, const std::string& deployment) {
  auto files = boot_files(deployment);
  if (files.empty()) return std::string();  // a rootfs-only update: the boot set stays
  auto env = read_boot_env(boot);
  std::string active = env ? env->bootset : "boot.1";  // a factory image without env boots boot.1
  if (boot_set_matches(boot, active, deployment)) return std::string();
  if (env && !env->fallback.empty() && boot_set_matches(boot, env->fallback, deployment)) {
    // A rollback: the previous files are still there.
    LOTA_TRY(write_boot_env(boot, BootEnv{0, env->fallback, active}));
    return fmt::format("boot set {} active again, {} kept as fallback", env->fallback, active);
  }
  std::string target = active == "boot.1" ? "boot.2" : "boot.1";
  std::string dir = boot + "/" + target;
  LOTA_TRY(remove_tree(dir));
  LOTA_TRY(make_dirs(dir));
  for (const auto& [name, src] : files) LOTA_TRY(copy_synced(src, dir + "/" + name));
  LOTA_TRY(write_boot_env(boot, BootEnv{0, target, active}));
  return fmt::format("boot set {} installed and active ({} files), {} kept as fallback", target, files.size(), active);
}


}  // namespace lota
