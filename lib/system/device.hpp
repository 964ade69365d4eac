// Waiting for a block device that the kernel (or a module just loaded) is still probing.
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

// spec is a path ("/dev/mmcblk0p2") or a tag libblkid resolves (LABEL=, UUID=, PARTUUID=).
// Returns the device path once it exists, or an error after `timeout_s` seconds.
Result<std::string> wait_for_device(const std::string& spec, double timeout_s);

}  // namespace lota
