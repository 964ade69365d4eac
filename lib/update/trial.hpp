// Trials: a new version boots on trial until `lota mark-good`. lota-init counts its boots (just
// before switch_root), follows what the boot script did with the boot sets (a fallback rolls the
// version back), and rolls back a version whose tries ran out.
#pragma once

#include "update/update_context.hpp"

namespace lota {

// With lota.bootset= (booted by the boot script): see whether the set booted is on trial (its
// trial is closed just before switch_root), put a confirmed set that did not load on trial
// again, or roll back the version whose set the boot script gave up on.
void follow_boot_script(UpdateContext& ctx);

// The deployed version ran out of tries without `lota mark-good`.
bool trial_exhausted(const State& state);

// The deployed version's trial ran out: roll back, or end the trial when no rollback is possible.
void roll_back_unconfirmed(UpdateContext& ctx);

// Just before switch_root: the set this boot came from booted as far as here, so its trial (if
// it is on one) ends now, not earlier: a lota-init that hangs before this point is reset by the
// watchdog and counted by the boot script.
void close_trial_of_booted_set(UpdateContext& ctx);

// A try is a boot that switches root into the version on trial: counted just before that.
void count_trial_boot(UpdateContext& ctx);

}  // namespace lota
