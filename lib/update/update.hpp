// The update flow lota-init runs between mounting the root partition and switch_root:
// recover an interrupted step, count trial boots and roll back an unconfirmed version,
// restore a damaged sysroot, then (with a remote) check, pull, verify and deploy.
// It never stops a boot: every failure is one console line, and the current version boots.
#pragma once

#include <string>

#include "system/config.hpp"
#include "update/layout.hpp"

namespace lota {

// How the flow ended, one per return path; to_string gives the console's word for it.
enum class UpdateEnding {
  internal_error,       // an exception inside the flow: the deployed version boots
  state_unreadable,     // the journal cannot be read: no updates until it is restored or moved aside
  repository_unusable,  // the repository cannot be opened or created
  step_unfinished,      // a step of the journal could not be finished this boot
  corrupt_no_remote,    // lota.verify=full found corrupt objects and there is no remote
  no_remote,            // no lota.remote=: nothing to check
  on_trial,             // the deployed version is on trial: no check until it is confirmed
  bad_sign_key,         // lota.sign_key is unusable: no check
  unsigned_refused,     // a remote and no sign_key, without allow_unsigned=1: no check
  check_failed,         // no network, no answer from the remote in time, or no valid statement
  statement_refused,    // the server's signed statement is older than one accepted before
  repair_failed,        // the corrupt objects could not be fetched again
  repaired,             // they were, and the deployment is checked out afresh
  up_to_date,
  rejected,  // the remote offers a commit rolled back or refused before
  update_failed,
  updated,
};

const char* to_string(UpdateEnding ending);

struct UpdateOutcome {
  UpdateOutcome(UpdateEnding e = UpdateEnding::internal_error)
      : ending(e), summary(to_string(e)), deployed_new(e == UpdateEnding::updated) {}
  UpdateEnding ending;
  std::string summary;  // one line for the console, e.g. "updated 1.0 -> 2.0 (<id>)"
  bool deployed_new = false;
  // Booted by the boot script from another set than the one now active (a new kernel or
  // initramfs, or a rollback's): lota-init reboots into it instead of switching root.
  std::string reboot_into;
};

UpdateOutcome run_update_flow(const Config& config, const Layout& layout, const std::string& self_exe);

}  // namespace lota
