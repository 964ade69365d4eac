// Mounting the root partition at boot, as lota-init does and `lota boot-flow --device` does for
// the host tests: a superblock checksum torn by a power cut is repaired (ext_superblock.hpp) and
// the mount tried once more, instead of failing the same way at every boot.
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

Status mount_root_partition(const std::string& device, const std::string& dir, const std::string& fstype,
                            const std::string& options);

}  // namespace lota
