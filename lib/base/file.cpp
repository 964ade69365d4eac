#include "base/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/crash_point.hpp"
#include "base/unique_fd.hpp"

namespace lota {

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("reading {}", path);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("reading {}", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {

Status write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("writing {}", what);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return errno_error("syncing directory {}", dir);
  crash_point("synced directory " + dir);
  return {};
}

Status write_file_synced(const std::string& path, std::string_view content, unsigned mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return errno_error("creating {}", path);
  LOTA_TRY(write_all(fd.get(), content, path));
  if (::fsync(fd.get()) != 0) return errno_error("syncing {}", path);
  crash_point("wrote " + path);
  return {};
}

Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = path + ".tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.valid()) return errno_error("creating {}", tmp);
    LOTA_TRY(write_all(fd.get(), content, tmp));
    if (::fsync(fd.get()) != 0) return errno_error("syncing {}", tmp);
  }
  crash_point("wrote " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("renaming {} to {}", tmp, path);
  crash_point("renamed to " + path);
  return fsync_dir(dir);
}

}  // namespace lota
