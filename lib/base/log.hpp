// Boot log: one line per step, "lota: [  1.234567] text", to the console (stderr) and to the
// kernel log (/dev/kmsg), so boot time can be read from either.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace lota::log {

enum class Level { info, warn, error };

// Opens /dev/kmsg when it exists; before that (or on a host) lines go to stderr only.
void open_kmsg();

void write(Level level, std::string_view text);

template <class... A>
void info(fmt::format_string<A...> f, A&&... a) {
  write(Level::info, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void warn(fmt::format_string<A...> f, A&&... a) {
  write(Level::warn, fmt::format(f, std::forward<A>(a)...));
}
template <class... A>
void error(fmt::format_string<A...> f, A&&... a) {
  write(Level::error, fmt::format(f, std::forward<A>(a)...));
}

// Seconds since boot on CLOCK_MONOTONIC: the same clock as the kernel's printk stamps.
double uptime();

}  // namespace lota::log
