// Directory trees: created path by path, removed depth first. Used on the root partition
// (deployments, kept downloads) and on the boot partition (boot sets).
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

// mkdir -p; existing directories are fine.
Status make_dirs(const std::string& path, unsigned mode = 0755);

// Recursively deletes a directory tree (no-op when missing). Not atomic: callers that must never
// see a half-deleted tree under its own name rename it away first (deploy.cpp's sysroot.trash).
Status remove_tree(const std::string& path);

}  // namespace lota
