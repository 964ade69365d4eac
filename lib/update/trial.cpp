#include "update/trial.hpp"

#include "base/log.hpp"
#include "boot/boot_env.hpp"
#include "boot/boot_trial.hpp"
#include "boot/bootset.hpp"
#include "update/boot_set_sync.hpp"
#include "update/deploy.hpp"
#include "update/reclaim.hpp"

namespace lota {
namespace {

// What the boot script did with the set this boot came from.
struct BootedSet {
  BootTrial trial = BootTrial::none;
  bool holds_deployed = false;  // it holds the deployed version's files
};

// A confirmed set the boot script could not load (a bad read, a damaged file): counted again,
// so that a transient error costs one reboot and a lasting one ends in a fallback.
void put_back_on_trial(UpdateContext& ctx, BootPartition& part, const BootEnv& env) {
  Status st = part.writable();
  if (st) st = activate_boot_set(ctx.layout.boot_mount, env.bootset, env.fallback, true);
  if (!st) return log::error("boot set {}: {}", env.bootset, st.error().message);
  ctx.say_and_journal(fmt::format("the boot script could not load boot set {} and booted {}: {} is on trial again",
                                  env.bootset, ctx.config.booted_set, env.bootset));
}

Result<BootedSet> look_at_booted_set(UpdateContext& ctx) {
  auto part = mount_boot_partition(ctx);
  if (!part) return part.error();
  const std::string& boot = ctx.layout.boot_mount;
  const std::string& booted = ctx.config.booted_set;
  see_env_at_start(ctx.view, boot);
  BootedSet seen{.trial = classify_boot_trial(boot, booted)};
  ctx.view.trial_to_close = seen.trial == BootTrial::confirmed;
  if (const auto& deployed = ctx.state.deployed)
    if (auto manifest = boot_set_manifest(ctx.repo, deployed->commit, ctx.layout.sysroot()))
      seen.holds_deployed = boot_set_holds(boot, booted, *manifest);
  auto env = read_boot_env(boot);
  if (seen.trial == BootTrial::reload && !seen.holds_deployed && env) put_back_on_trial(ctx, *part, *env);
  return seen;
}

}  // namespace

void follow_boot_script(UpdateContext& ctx) {
  if (ctx.config.booted_set.empty() || !ctx.has_boot_partition()) return;
  auto seen = look_at_booted_set(ctx);
  if (!seen) return log::error("{}", seen.error().message);
  // A fallback to the deployed version's own set (an env copy lost to a power cut, or a
  // rollback already done) needs no rollback: the boot set sync puts the env right.
  State& state = ctx.state;
  if (seen->trial != BootTrial::fell_back || !state.deployed || seen->holds_deployed) return;
  std::string bad = state.deployed->version;
  const std::string& booted = ctx.config.booted_set;
  log::warn("the boot script fell back to boot set {}: the kernel or initramfs of {} did not boot", booted, bad);
  if (auto st = rollback(ctx.layout, state, ctx.repo); !st) return log::error("rollback: {}", st.error().message);
  ctx.say_and_journal(
      fmt::format("{} did not boot (boot script fell back to {}): rolled back to {}; {} will not be installed again",
                  bad, booted, state.deployed->version, bad));
}

bool trial_exhausted(const State& state) {
  return state.trial && state.deployed && state.trial->commit == state.deployed->commit && state.trial->tries_left <= 0;
}

// One that fails on the way (no room for the journal) gets space reclaimed and another try; the
// journal then says `rollback`, which the next boot finishes. One that cannot be done at all (no
// previous version on disk) ends the trial, or the unconfirmed version would boot for good with
// no update check ever running again.
void roll_back_unconfirmed(UpdateContext& ctx) {
  State& state = ctx.state;
  std::string bad = state.deployed->version;
  if (!rollback_possible(ctx.layout, state)) {
    log::error(
        "{} was never confirmed healthy and a rollback is impossible ({} does not hold the previous version): "
        "{} stays deployed, its trial is ended and update checks resume",
        bad, ctx.layout.sysroot_old(), bad);
    state.trial.reset();
    state.add_event(fmt::format("rollback from {} impossible: trial ended", bad));
    if (auto saved = ctx.save_journal_making_room(); !saved) log::error("{}", saved.error().message);
    return;
  }
  log::warn("{} was never confirmed healthy: rolling back", bad);
  auto st = rollback(ctx.layout, state, ctx.repo);
  if (!st) {
    log::warn("rollback: {}; {}; trying again", st.error().message, reclaim_space(ctx));
    st = rollback(ctx.layout, state, ctx.repo);
  }
  if (st) return log::info("rolled back to {}; {} will not be installed again", state.deployed->version, bad);
  log::error("rollback from {} failed: {}; the next boot finishes it", bad, st.error().message);
}

void close_trial_of_booted_set(UpdateContext& ctx) {
  const std::string& booted = ctx.config.booted_set;
  if (!ctx.view.trial_to_close || booted.empty() || !ctx.has_boot_partition()) return;
  auto part = mount_boot_partition(ctx);
  if (!part) return log::error("{}", part.error().message);
  auto closed = close_boot_trial(*part, booted);
  if (!closed) return log::error("boot trial: {}", closed.error().message);
  if (*closed) ctx.say_and_journal(fmt::format("boot set {} booted: its trial is closed", booted));
}

// A count that cannot be saved would let the version boot for ever unconfirmed: room is made.
void count_trial_boot(UpdateContext& ctx) {
  State& state = ctx.state;
  if (!state.trial || !state.deployed || state.trial->commit != state.deployed->commit || state.trial->tries_left <= 0)
    return;
  state.trial->tries_left--;
  std::string text = fmt::format("trial boot of {} ({} left after this one); the system confirms with 'lota mark-good'",
                                 state.deployed->version, state.trial->tries_left);
  log::info("{}", text);
  state.add_event(text);
  if (auto st = ctx.save_journal_making_room(); !st) log::error("{}", st.error().message);
}

}  // namespace lota
