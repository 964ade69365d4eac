#include "system/root_partition.hpp"

#include "base/log.hpp"
#include "system/ext_superblock.hpp"
#include "system/mount.hpp"

namespace lota {

Status mount_root_partition(const std::string& device, const std::string& dir, const std::string& fstype,
                            const std::string& options) {
  auto parsed = parse_mount_options(options);
  if (!parsed) return parsed.error().with_context("lota.rootflags");
  auto st = mount_device(device, dir, fstype, parsed->flags, parsed->data);
  if (st) return st;
  auto repaired = repair_torn_ext4_superblock(device);
  if (!repaired) return make_error("{} ({})", st.error().message, repaired.error().message);
  if (!*repaired) return st;
  log::warn("root partition {}: its superblock checksum was torn (a power cut while it was written): recomputed",
            device);
  return mount_device(device, dir, fstype, parsed->flags, parsed->data);
}

}  // namespace lota
