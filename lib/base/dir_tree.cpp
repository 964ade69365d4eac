#include "base/dir_tree.hpp"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/crash_point.hpp"

namespace lota {
namespace {

int remove_entry(const char* path, const struct stat*, int, FTW*) {
  return ::remove(path) == 0 ? 0 : -1;
}

}  // namespace

Status make_dirs(const std::string& path, unsigned mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return errno_error("creating {}", part);
  }
  return {};
}

Status remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  if (::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS) != 0) return errno_error("removing {}", path);
  crash_point("removed " + path);
  return {};
}

}  // namespace lota
