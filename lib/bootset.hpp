// Boot sets: the kernel, device tree and initramfs a version boots with, in a directory on the
// FAT boot partition (boot.1, boot.2). A new version's files go into the set that is not
// active, are synced, and only then does the boot env (boot_env.hpp) point at that set, keeping
// the old one as fallback. A commit carries its boot files at usr/lib/modules/<kver>/:
// vmlinuz, initramfs.img (optional), dtb/*.dtb.
#pragma once

#include <string>

#include "result.hpp"

namespace lota {

class Repo;

// What a boot set must hold for the deployment of `commit`: "name checksum" lines, from the
// repository's content checksums (no file is read). Empty when the commit has no boot files.
std::string boot_set_manifest(const Repo& repo, const std::string& commit, const std::string& deployment);

// True when the active set (per the boot env; boot.1 without one) already holds `manifest`,
// or the deployment has no boot files: nothing to write.
bool boot_set_current(const std::string& boot, const std::string& manifest);

// Makes the deployment's boot files the active set: no-op when they already are, a flip of the
// env when the fallback set holds them (rollback), else a copy into the inactive set, its
// manifest (lota-set) written last, and a flip. A set is recognised by its manifest, so no
// multi-megabyte compare runs at boot. Returns what was done ("" when nothing), or an error.
Result<std::string> install_boot_set(const std::string& boot, const std::string& deployment,
                                     const std::string& manifest);

}  // namespace lota
