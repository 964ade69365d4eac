// Free space on the root partition. An update never takes the last of it: the running system
// (logs in /var, its /etc overlay) and the next update's journal need room too.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"

namespace lota {

constexpr uint64_t kMinFreeBytes = 16ull << 20;  // kept free after an update
constexpr uint64_t kMinFreeInodes = 256;

struct DiskSpace {
  uint64_t free_bytes = 0;
  uint64_t free_inodes = 0;
  bool short_of_room() const { return free_bytes < kMinFreeBytes || free_inodes < kMinFreeInodes; }
};

Result<DiskSpace> disk_space(const std::string& path);

// An error naming what is short and the way out, when the partition holding `path` is below
// the floor.
Status check_free_space(const std::string& path);

}  // namespace lota
