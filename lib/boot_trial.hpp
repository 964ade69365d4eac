// The bootloader's side of a new boot set: U-Boot's boot script (board/*/boot.cmd) counts the
// attempts to boot a set on trial in `lota-count` and, past its limit, boots the fallback set;
// it tells lota which set it booted with `lota.bootset=` on the kernel command line.
// See docs/boot-contract.md.
#pragma once

#include <string>

#include "result.hpp"

namespace lota {

enum class BootTrial {
  none,       // no trial, or not booted by the boot script
  confirmed,  // the set on trial booted as far as lota-init: trial closed, count removed
  fell_back,  // the boot script gave up on the set on trial and booted the fallback
  reload,     // it booted the fallback of a confirmed set: the active set did not load
};

class BootPartition;

// `part` is the mounted boot partition, `booted` the set the boot script booted.
Result<BootTrial> settle_boot_trial(BootPartition& part, const std::string& booted);

}  // namespace lota
