// The update flow lota-init runs between mounting the root partition and switch_root:
// recover an interrupted step, count trial boots and roll back an unconfirmed version,
// restore a damaged sysroot, then (with a remote) check, pull, verify and deploy.
// It never stops a boot: every failure is one console line, and the current version boots.
#pragma once

#include <string>
#include <utility>

#include "config.hpp"
#include "layout.hpp"
#include "result.hpp"

namespace lota {

struct UpdateOutcome {
  UpdateOutcome(std::string s = {}, bool deployed = false) : summary(std::move(s)), deployed_new(deployed) {}
  std::string summary;  // one line for the console, e.g. "updated 1.0 -> 2.0"
  bool deployed_new = false;
  // Booted by the boot script from another set than the one now active (a new kernel or
  // initramfs, or a rollback's): lota-init reboots into it instead of switching root.
  std::string reboot_into;
};

UpdateOutcome run_update_flow(const Config& config, const Layout& layout, const std::string& self_exe);

// The ed25519 public key from lota.sign_key: base64 inline, or a file holding it.
Result<std::string> load_sign_key(const std::string& setting);

// Asks the remote for the branch's commit (refs/heads/<branch>), bounded by timeout_s.
Result<std::string> check_remote(const Config& config, double timeout_s);

}  // namespace lota
