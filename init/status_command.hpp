// `lota status [--json]`: what is deployed, previous, staged and on trial, the boot set this boot
// came from, and the last check's and fetch's result. The JSON form is a documented schema
// (docs/layout.md, "lota status --json"), not the raw journal. Exit status 1 where there is no
// lota root partition.
#pragma once

#include "update/layout.hpp"

namespace lota {

// Where lota-init leaves this boot's update check for `lota status` (init/handover.cpp).
constexpr const char* kRunBootCheck = "/run/lota/boot-check";

int status_command(const Layout& layout, bool as_json);

}  // namespace lota
