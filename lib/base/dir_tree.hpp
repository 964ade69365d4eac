// Directory trees: created path by path, removed depth first. Used on the root partition
// (deployments, kept downloads) and on the boot partition (boot sets).
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"

namespace lota {

// The names in a directory, sorted, without "." and ".." (none when it cannot be read). POSIX
// calls, not std::filesystem: its iterator throws on EIO or a symlink loop, and this runs in
// PID 1 on data from deployments and the boot partition, where a throw was a reboot loop.
std::vector<std::string> list_dir(const std::string& dir);

// mkdir -p; existing directories are fine.
Status make_dirs(const std::string& path, unsigned mode = 0755);

// Recursively deletes a directory tree (no-op when missing). Not atomic: callers that must never
// see a half-deleted tree under its own name rename it away first (deploy.cpp's sysroot.trash).
Status remove_tree(const std::string& path);

}  // namespace lota
