// Boot sets: the kernel, device tree and initramfs a version boots with, in a directory on the
// FAT boot partition (boot.1, boot.2). A new version's files go into the set that is not
// active, are synced, and only then does the boot env (boot_env.hpp) point at that set, keeping
// the old one as fallback. A commit carries its boot files at usr/lib/modules/<kver>/:
// vmlinuz, initramfs.img (optional), dtb/*.dtb.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace lota {

class BootPartition;

struct BootFile {
  std::string name;  // in the set: vmlinuz, initramfs.img, <board>.dtb
  std::string rel;   // in the deployment: usr/lib/modules/<kver>/...
  uint64_t size = 0;
};

// The one rule for which files are a deployment's boot set (scripts/publish and
// scripts/make-image follow it too): the usr/lib/modules/<kver>/ directory holding vmlinuz
// (at most one), its vmlinuz, initramfs.img (optional) and dtb/*.dtb, each a regular file with a
// name FAT can hold. Empty when there is no vmlinuz; an error when the set cannot be installed.
Result<std::vector<BootFile>> boot_files(const std::string& deployment);

// Whether `files` fit on the mounted boot partition `boot` in the set the next install writes
// (counting what that set holds now as free), with room for the temp copies and the manifest.
Status check_boot_set_fits(const std::string& boot, const std::vector<BootFile>& files, const std::string& booted);

// The set a new version's files go into: not the set this boot came from (`booted`, when the
// boot script names one), else not the active one.
std::string set_to_write(const std::string& boot, const std::string& booted);

// boot.1 or boot.2: the two sets lota writes.
bool is_boot_set_name(const std::string& set);

// True when boot set `set` holds `manifest` (a non-empty one).
bool boot_set_holds(const std::string& boot, const std::string& set, const std::string& manifest);

// True when the active set (per the boot env; boot.1 without one) already holds `manifest`,
// or the deployment has no boot files: nothing to write.
bool boot_set_current(const std::string& boot, const std::string& manifest);

// Makes the deployment's boot files the active set: no-op when they already are, a flip of the
// env when the fallback set holds them (rollback), else a copy into the inactive set, its
// manifest (lota-set) written last, and a flip. A set is recognised by its manifest, so no
// multi-megabyte compare runs at boot. The set made active is on trial (the boot script counts
// it and falls back) unless it is `booted`, the set this boot came from (lota.bootset=).
// Returns what was done ("" when nothing), or an error.
Result<std::string> install_boot_set(BootPartition& boot, const std::string& deployment, const std::string& manifest,
                                     const std::string& booted);

}  // namespace lota
