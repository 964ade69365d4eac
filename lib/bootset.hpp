// Boot sets: the kernel, device tree and initramfs a version boots with, in a directory on the
// FAT boot partition (boot.1, boot.2). A new version's files go into the set that is not
// active, are synced, and only then does the boot env (boot_env.hpp) point at that set, keeping
// the old one as fallback. A commit carries its boot files at usr/lib/modules/<kver>/:
// vmlinuz, initramfs.img (optional), dtb/*.dtb.
#pragma once

#include <string>

#include "result.hpp"

namespace lota {

// True when `set` on the boot partition holds exactly the deployment's boot files.
bool boot_set_matches(const std::string& boot, const std::string& set, const std::string& deployment);

// Makes the deployment's boot files the active set: no-op when they already are, a flip of the
// env when the fallback set holds them (rollback), else a copy into the inactive set and a
// flip. Returns what was done ("" when nothing), or an error.
Result<std::string> install_boot_set(const std::string& boot, const std::string& deployment);

}  // namespace lota
