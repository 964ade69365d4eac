// The bootloader's side of a new boot set: U-Boot's boot script (board/*/boot.cmd) counts the
// attempts to boot a set on trial in `lota-count` and, past its limit, boots the fallback set;
// it tells lota which set it booted with `lota.bootset=` on the kernel command line.
// See docs/boot-contract.md.
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

class BootPartition;

enum class BootTrial {
  none,       // no trial, or not booted by the boot script
  confirmed,  // the set on trial booted as far as lota-init (closed once the rootfs is entered)
  fell_back,  // the boot script gave up on the set on trial and booted the fallback
  reload,     // it booted the fallback of a confirmed set: the active set did not load
};

// Reads only: what the boot env and the set booted say (`boot` is the mounted boot partition,
// `booted` the set the boot script booted).
BootTrial classify_boot_trial(const std::string& boot, const std::string& booted);

// Closes the trial of the set this boot came from, when it is the active set on trial: called
// just before switch_root, so that a new initramfs whose lota-init hangs later in its flow is
// still counted by the boot script. Returns whether it wrote.
Result<bool> close_boot_trial(BootPartition& part, const std::string& booted);

}  // namespace lota
