// What lota-init leaves in /run/lota for the booted system (its /run is moved into the new root):
// the settings it booted with, for `lota fetch` (the keys and TLS files copied out of the
// initramfs, which is gone after switch_root), and this boot's update check, for `lota status`.
// /run is RAM: nothing here is written to flash, and nothing here needs to survive a power cut.
#pragma once

#include <string>

#include "system/config.hpp"
#include "update/update.hpp"

namespace lota {

void hand_over(const Config& config, const UpdateOutcome& outcome, const std::string& dir = "/run/lota");

}  // namespace lota
