#include "system/mount.hpp"

#include <blkid.h>
#include <libmount.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstdlib>
#include <type_traits>

#include "base/c_handle.hpp"
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

using MountTable = CHandle<libmnt_table, mnt_unref_table>;
using Probe = CHandle<std::remove_pointer_t<blkid_probe>, blkid_free_probe>;

}  // namespace

Result<MountOptions> parse_mount_options(const std::string& options) {
  MountOptions out;
  if (options.empty()) return out;
  char* vfs = nullptr;
  char* fs = nullptr;
  if (mnt_split_optstr(options.c_str(), nullptr, &vfs, &fs, 0, 0) != 0)
    return make_error("mount options '{}': cannot be parsed", options);
  CHandle<char, std::free> vfs_owned(vfs), fs_owned(fs);
  if (vfs && mnt_optstr_get_flags(vfs, &out.flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) != 0)
    return make_error("mount options '{}': cannot be parsed", options);
  if (fs) out.data = fs;
  // Operations, not options: a partition is mounted, never bound, moved or remounted here.
  if (out.flags & (MS_BIND | MS_MOVE | MS_REMOUNT))
    return make_error("mount options '{}': bind, move and remount are not options for mounting a partition", options);
  return out;
}

bool is_mount_point(const std::string& path) {
  CHandle<char, std::free> real(::realpath(path.c_str(), nullptr));
  if (!real) return false;
  MountTable table(mnt_new_table_from_file("/proc/self/mountinfo"));
  return table && mnt_table_find_target(table.get(), real.get(), MNT_ITER_BACKWARD) != nullptr;
}

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
  Probe probe(blkid_new_probe_from_filename(device.c_str()));
  if (!probe) return errno_error("probing {}", device);
  std::string type;
  if (blkid_do_safeprobe(probe.get()) == 0) {
    const char* value = nullptr;
    if (blkid_probe_lookup_value(probe.get(), "TYPE", &value, nullptr) == 0 && value) type = value;
  }
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
