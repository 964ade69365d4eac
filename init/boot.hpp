// The boot flow of lota-init, step by step. Each step logs one timestamped line.
#pragma once

#include "base/result.hpp"
#include "system/config.hpp"

namespace lota {

// Mounts the pseudo-filesystems and gives PID 1 a console; needed before the config can be read.
Status early_setup();

// Reads /proc/cmdline and /etc/lota.conf, logging every warning.
Config read_config();

// Runs the boot up to the exec of the rootfs init. Returns only on failure.
Error boot(const Config& config);

}  // namespace lota
