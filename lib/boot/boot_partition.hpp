// The FAT boot partition, mounted read-only: Linux vfat writes the boot sector's dirty flag at
// every read-write mount and again at unmount, so a read-write mount at every boot would write
// sector 0 twice per boot, and a power cut during either write could tear the one sector the
// board's ROM and U-Boot need. It is remounted read-write only for a write (a new boot set, an
// env change) and is unmounted when this goes out of scope.
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

class BootPartition {
 public:
  // Waits (bounded) for `device` and mounts it read-only at `dir`.
  static Result<BootPartition> mount(const std::string& device, const std::string& dir, double wait_s);
  // A directory that is no mount of its own (unit tests, image tools): nothing to remount or unmount.
  static BootPartition at(const std::string& dir) {
    BootPartition p(dir);
    p.writable_ = true;
    p.owned_ = false;
    return p;
  }
  BootPartition(BootPartition&& o) noexcept : dir_(std::move(o.dir_)), writable_(o.writable_), owned_(o.owned_) {
    o.dir_.clear();
  }
  BootPartition& operator=(BootPartition&&) = delete;
  ~BootPartition();

  const std::string& path() const { return dir_; }
  // Remounts read-write (once); every writer calls this first.
  Status writable();

 private:
  explicit BootPartition(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  bool writable_ = false;
  bool owned_ = true;  // mounted by this object: unmounted by it
};

}  // namespace lota
