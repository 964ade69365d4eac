// Leaving the initramfs: the same steps as util-linux's switch_root and systemd's
// switch-root.c, done by lota itself because PID 1 must stay in control until exec.
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

// Checks, before anything is torn down, that `new_root` is a directory and that `init`
// (absolute, resolved inside new_root) is an executable regular file.
Status check_new_root(const std::string& new_root, const std::string& init);

// Moves /proc, /sys, /dev and /run under new_root, frees the initramfs contents (only when
// "/" is a ramfs/tmpfs, and never crossing into another filesystem), moves new_root onto
// "/", and chroots into it. new_root must be a mount point. On success the caller is inside
// the new root, ready to exec init.
Status switch_root(const std::string& new_root);

// Deletes everything below the directory fd that lives on the same filesystem.
void remove_tree_on_device(int dirfd, dev_t dev);

}  // namespace lota
