// What PID 1 does when it cannot go on: it must never exit (that is a kernel panic), so it
// says why on the console and then reboots, halts or opens a shell as lota.onfail= says.
#pragma once

#include "base/result.hpp"
#include "system/config.hpp"

namespace lota {

[[noreturn]] void fatal(const Config& config, const Error& error);

}  // namespace lota
