// Mounting: pseudo-filesystems for PID 1, block devices with their type probed, and an
// owned mount that is undone when it goes out of scope unless released.
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

Status mount_fs(const std::string& source, const std::string& target, const std::string& type, unsigned long flags = 0,
                const std::string& data = "");

// proc, sysfs, devtmpfs and a tmpfs /run, each skipped when already mounted.
Status mount_pseudo_filesystems(const std::string& root = "/");

// The filesystem type libblkid finds on a device or image ("ext4", "vfat", ...).
Result<std::string> probe_fstype(const std::string& device);

// A mount option string as mount(8) takes it ("noatime,ro,data=journal"), split by libmount
// into the MS_* flags and the filesystem's own data ("data=journal"): lota.rootflags= may name
// both, where mount(2) would pass "noatime" to ext4 as data and fail.
struct MountOptions {
  unsigned long flags = 0;
  std::string data;
};
Result<MountOptions> parse_mount_options(const std::string& options);

// Whether `path` is a mount point, from /proc/self/mountinfo (false while /proc is not mounted).
bool is_mount_point(const std::string& path);

// Mounts a block device, probing its type unless one is given.
Status mount_device(const std::string& device, const std::string& target, const std::string& fstype,
                    unsigned long flags, const std::string& data);

class MountGuard {
 public:
  explicit MountGuard(std::string target) : target_(std::move(target)) {}
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard();
  void release() { target_.clear(); }

 private:
  std::string target_;
};

}  // namespace lota
