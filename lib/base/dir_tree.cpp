#include "base/dir_tree.hpp"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "base/c_handle.hpp"
#include "base/crash_point.hpp"

namespace lota {
namespace {

int remove_entry(const char* path, const struct stat*, int, FTW*) {
  return ::remove(path) == 0 ? 0 : -1;
}

}  // namespace

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  CHandle<DIR, ::closedir> handle(::opendir(dir.c_str()));
  if (!handle) return names;
  while (const dirent* entry = ::readdir(handle.get())) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

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
