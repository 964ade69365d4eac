#include "boot/boot_partition.hpp"

#include <sys/mount.h>

#include "system/device.hpp"
#include "system/mount.hpp"

namespace lota {

Result<BootPartition> BootPartition::mount(const std::string& device, const std::string& dir, double wait_s) {
  auto dev = wait_for_device(device, wait_s);
  if (!dev) return make_error("boot partition: {} (lota.boot=none if the board has none)", dev.error().message);
  LOTA_TRY(mount_device(*dev, dir, "", MS_RDONLY | MS_NOATIME, ""));
  return BootPartition(dir);
}

Status BootPartition::writable() {
  if (writable_) return {};
  if (::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_NOATIME, nullptr) != 0)
    return errno_error("remounting the boot partition {} read-write", dir_);
  writable_ = true;
  return {};
}

BootPartition::~BootPartition() {
  // Not lazy: a read-write vfat writes its clean flag and flushes here, before the next step.
  if (owned_ && !dir_.empty() && ::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
}

}  // namespace lota
