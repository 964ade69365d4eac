// lota-init: the initramfs /init. PID 1 must never exit, so every path ends in an exec of
// the rootfs init or in fatal(), which reboots, halts or opens a shell.
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "boot.hpp"
#include "fatal.hpp"
#include "log.hpp"
#include "version.hpp"

int main() {
  if (::getpid() != 1) {
    std::fprintf(stderr, "lota-init: must run as PID 1 (the initramfs /init)\n");
    return 2;
  }
  lota::Config config;  // defaults until the real one is read
  try {
    if (auto st = lota::early_setup(); !st) lota::fatal(config, st.error());
    lota::log::info("lota-init {} starting", lota::kVersion);
    config = lota::read_config();
    lota::fatal(config, lota::boot(config));
  } catch (const std::exception& e) {
    lota::fatal(config, lota::Error{std::string("internal error: ") + e.what()});
  } catch (...) {
    lota::fatal(config, lota::Error{"internal error (unknown exception)"});
  }
}
