// `lota fetch` in the running system: downloads and checks the release the server offers, and
// stages it for the next boot (update/stage.hpp). Exit status: 0 up to date, 10 staged (reboot
// to deploy), 1 failed, 2 usage.
#pragma once

#include <string>
#include <vector>

#include "update/layout.hpp"

namespace lota {

// Where lota-init leaves its settings for the booted system (init/handover.cpp).
constexpr const char* kRunConfig = "/run/lota/lota.conf";

int fetch_command(const Layout& layout, const std::vector<std::string>& args);

}  // namespace lota
