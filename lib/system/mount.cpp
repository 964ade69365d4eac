#include "system/mount.hpp"

#include <blkid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>

#include "base/dir_tree.hpp"

namespace lota {

Status mount_fs(const std::string& source, const std::string& target, const std::string& type, unsigned long flags,
                const std::string& data) {
  if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    return errno_error("mounting {} ({}) on {}", source, type.empty() ? "bind/move" : type, target);
  return {};
}

namespace {

bool is_mount_point(const std::string& path) {
  struct stat self {
  }, parent{};
  if (::stat(path.c_str(), &self) != 0 || ::stat((path + "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

}  // namespace

Status mount_pseudo_filesystems(const std::string& root) {
  struct Pseudo {
    const char* dir;
    const char* type;
    unsigned long flags;
    const char* data;
  };
  static const Pseudo table[] = {
      {"proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
      {"sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
      {"dev", "devtmpfs", MS_NOSUID, "mode=0755"},
      {"run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
  };
  std::string base = root.ends_with('/') ? root : root + "/";
  for (const auto& p : table) {
    std::string target = base + p.dir;
    LOTA_TRY(make_dirs(target));
    if (is_mount_point(target)) continue;
    LOTA_TRY(mount_fs(p.type, target, p.type, p.flags, p.data));
  }
  return {};
}

Result<std::string> probe_fstype(const std::string& device) {
  blkid_probe pr = blkid_new_probe_from_filename(device.c_str());
  if (!pr) return errno_error("probing {}", device);
  std::string type;
  if (blkid_do_safeprobe(pr) == 0) {
    const char* value = nullptr;
    if (blkid_probe_lookup_value(pr, "TYPE", &value, nullptr) == 0 && value) type = value;
  }
  blkid_free_probe(pr);
  if (type.empty())
    return make_error("no filesystem found on {} - is lota.root= the right partition, and is it formatted?", device);
  return type;
}

Status mount_device(const std::string& device, const std::string& target, const std::string& fstype,
                    unsigned long flags, const std::string& data) {
  std::string type = fstype;
  if (type.empty()) {
    auto probed = probe_fstype(device);
    if (!probed) return probed.error();
    type = *probed;
  }
  LOTA_TRY(make_dirs(target));
  return mount_fs(device, target, type, flags, data);
}

MountGuard::~MountGuard() {
  if (!target_.empty()) ::umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace lota
