#include "system/switch_root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string_view>

#include "base/c_handle.hpp"
#include "base/unique_fd.hpp"
#include "system/mount.hpp"

namespace lota {

Status check_new_root(const std::string& new_root, const std::string& init) {
  struct stat st {};
  if (::stat(new_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return errno_error(
        "the rootfs directory {} is missing - the root partition holds no deployment; "
        "reflash it or set lota.sysroot=",
        new_root);
  UniqueFd root(::open(new_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return errno_error("opening {}", new_root);
  // Resolve init the way it will be resolved after chroot: absolute symlinks stay inside.
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT;
  UniqueFd fd(static_cast<int>(syscall(SYS_openat2, root.get(), init.c_str(), &how, sizeof how)));
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0)
    return errno_error("{} has no {} - the deployment is incomplete; set lota.init= or restore the rootfs", new_root,
                       init);
  if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
    return make_error("{}{} is not an executable file - fix its mode or set lota.init=", new_root, init);
  return {};
}

void remove_tree_on_device(int dirfd, dev_t dev) {
  UniqueFd own(::dup(dirfd));
  CHandle<DIR, ::closedir> dir(own.valid() ? ::fdopendir(own.get()) : nullptr);
  if (!dir) return;
  own.release();  // the DIR owns it now
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != dev) continue;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) continue;
      struct stat sub_st {};
      // A directory that is a mount point of the same fs type still has another st_dev.
      if (::fstat(sub.get(), &sub_st) != 0 || sub_st.st_dev != dev) continue;
      remove_tree_on_device(sub.get(), dev);
      ::unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
    } else {
      ::unlinkat(dirfd, e->d_name, 0);
    }
  }
}

namespace {

bool root_is_initramfs_fd(int fd) {
  struct statfs sfs {};
  return ::fstatfs(fd, &sfs) == 0 && (sfs.f_type == static_cast<decltype(sfs.f_type)>(RAMFS_MAGIC) ||
                                      sfs.f_type == static_cast<decltype(sfs.f_type)>(TMPFS_MAGIC));
}

}  // namespace

Status switch_root(const std::string& new_root) {
  for (const char* dir : {"/proc", "/sys", "/dev", "/run"}) {
    std::string target = new_root + dir;
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) {
      // A read-only rootfs without the directory: the pseudo-fs stays behind, and the rootfs
      // init mounts its own. Not fatal, but worth a line.
      ::umount2(dir, MNT_DETACH);
      continue;
    }
    if (::mount(dir, target.c_str(), nullptr, MS_MOVE, nullptr) != 0) ::umount2(dir, MNT_DETACH);
  }
  if (::chdir(new_root.c_str()) != 0) return errno_error("entering {}", new_root);

  UniqueFd old_root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat new_st {
  }, old_st{};
  if (::stat(".", &new_st) != 0 || !old_root.valid() || ::fstat(old_root.get(), &old_st) != 0)
    return errno_error("inspecting the old and new roots");

  LOTA_TRY(mount_fs(".", "/", "", MS_MOVE));
  if (::chroot(".") != 0) return errno_error("chroot into {}", new_root);
  if (::chdir("/") != 0) return errno_error("chdir / in the new root");

  // Free the initramfs' memory. Guarded: only a ramfs/tmpfs old root is emptied, and the new
  // root (now on top of it) lives on another device, so the walk cannot reach it.
  if (old_st.st_dev != new_st.st_dev && root_is_initramfs_fd(old_root.get()))
    remove_tree_on_device(old_root.get(), old_st.st_dev);
  return {};
}

}  // namespace lota
