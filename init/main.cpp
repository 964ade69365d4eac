// lota-init: the initramfs /init. PID 1 must never exit, so every path ends in an exec of
// the rootfs init or in fatal(), which reboots, halts or opens a shell.
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "base/log.hpp"
#include "base/version.hpp"
#include "boot.hpp"
#include "cli.hpp"
#include "fatal.hpp"

int main(int argc, char** argv) {
  // Not PID 1: the same binary is the `lota` command of the booted system.
  if (::getpid() != 1) return lota::cli_main(argc, argv);
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
