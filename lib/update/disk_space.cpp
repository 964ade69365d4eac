#include "update/disk_space.hpp"

#include <sys/statvfs.h>

namespace lota {

Result<DiskSpace> disk_space(const std::string& path) {
  struct statvfs v {};
  if (::statvfs(path.c_str(), &v) != 0) return errno_error("checking free space on {}", path);
  return DiskSpace{static_cast<uint64_t>(v.f_bavail) * v.f_frsize, static_cast<uint64_t>(v.f_favail)};
}

Status check_free_space(const std::string& path) {
  auto d = disk_space(path);
  if (!d) return d.error();
  if (d->free_bytes < kMinFreeBytes)
    return make_error(ErrorKind::disk_full,
                      "only {} MiB free on the root partition (an update keeps {} MiB free) - update skipped; free "
                      "space (e.g. in /var) or grow the partition",
                      d->free_bytes >> 20, kMinFreeBytes >> 20);
  if (d->free_inodes < kMinFreeInodes)
    return make_error(ErrorKind::disk_full,
                      "only {} free inodes on the root partition - update skipped; delete files or make the "
                      "filesystem with more inodes",
                      d->free_inodes);
  return {};
}

}  // namespace lota
