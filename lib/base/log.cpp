#include "base/log.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "base/clock.hpp"
#include "base/unique_fd.hpp"

namespace lota::log {
namespace {

UniqueFd& kmsg() {
  static UniqueFd fd;
  return fd;
}

const char* prefix(Level level) {
  switch (level) {
    case Level::warn:
      return "warning: ";
    case Level::error:
      return "ERROR: ";
    default:
      return "";
  }
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return;  // a console that cannot take the line is not worth failing over
    s.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

double uptime() {
  return monotonic_seconds();
}

void open_kmsg() {
  if (!kmsg().valid()) kmsg().reset(::open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY));
}

void write(Level level, std::string_view text) {
  write_all(STDERR_FILENO, fmt::format("lota: [{:11.6f}] {}{}\n", uptime(), prefix(level), text));
  if (kmsg().valid()) {
    // Priority 7 (debug) keeps the kernel from echoing the line to the console a second time
    // at the default console loglevel; dmesg still has it, with the kernel's own timestamp.
    write_all(kmsg().get(), fmt::format("<7>lota: {}{}\n", prefix(level), text));
  }
}

}  // namespace lota::log
