#include "fatal.hpp"

#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>

#include "base/log.hpp"

namespace lota {
namespace {

[[noreturn]] void idle_forever() {
  for (;;) ::pause();
}

void run_shell() {
  if (::access("/bin/sh", X_OK) != 0) {
    log::warn("lota.onfail=shell but the initramfs has no /bin/sh; rebooting instead");
    return;
  }
  log::info("starting /bin/sh; leave it to reboot");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

void fatal(const Config& config, const Error& error) {
  log::error("{}", error.message);
  ::sync();
  if (config.onfail == OnFail::shell) run_shell();
  if (config.onfail == OnFail::halt) {
    log::info("halting (lota.onfail=halt): power-cycle the board to try again");
    ::reboot(RB_HALT_SYSTEM);
    idle_forever();
  }
  log::info("rebooting in {:g} s (lota.onfail=reboot)", config.fail_delay);
  double whole = 0;
  double frac = std::modf(config.fail_delay, &whole);
  ::sleep(static_cast<unsigned>(whole));
  ::usleep(static_cast<useconds_t>(frac * 1e6));
  ::sync();
  ::reboot(RB_AUTOBOOT);
  log::error("reboot failed; waiting for a power cycle");
  idle_forever();
}

}  // namespace lota
