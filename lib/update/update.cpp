#include "update/update.hpp"

#include <array>
#include <ctime>
#include <optional>
#include <utility>

#include "base/dir_tree.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "update/boot_set_sync.hpp"
#include "update/bundle.hpp"
#include "update/deploy.hpp"
#include "update/fetch.hpp"
#include "update/keyring.hpp"
#include "update/local_repair.hpp"
#include "update/remote_check.hpp"
#include "update/server_word.hpp"
#include "update/stage.hpp"
#include "update/statement.hpp"
#include "update/trial.hpp"
#include "update/update_context.hpp"

namespace lota {
namespace {

constexpr std::array<std::pair<UpdateEnding, const char*>, 17> kEndingNames{{
    {UpdateEnding::internal_error, "internal error"},
    {UpdateEnding::state_unreadable, "state unreadable"},
    {UpdateEnding::repository_unusable, "repository unusable"},
    {UpdateEnding::step_unfinished, "step unfinished"},
    {UpdateEnding::corrupt_no_remote, "corrupt, no remote"},
    {UpdateEnding::no_remote, "no remote configured"},
    {UpdateEnding::on_trial, "on trial"},
    {UpdateEnding::bad_sign_key, "bad sign key"},
    {UpdateEnding::unsigned_refused, "unsigned remote refused"},
    {UpdateEnding::check_failed, "check failed"},
    {UpdateEnding::statement_refused, "statement refused"},
    {UpdateEnding::repair_failed, "repair failed"},
    {UpdateEnding::repaired, "repaired"},
    {UpdateEnding::up_to_date, "up to date"},
    {UpdateEnding::rejected, "rejected"},
    {UpdateEnding::update_failed, "update failed"},
    {UpdateEnding::updated, "updated"},
}};

// Phase 1, recovery: finish or undo what a power cut interrupted, and restore a sysroot that is
// missing or holds another commit than the journal says.
void recover_interrupted(UpdateContext& ctx) {
  if (auto did = recover(ctx.layout, ctx.state, ctx.repo, ctx.config.tries); !did)
    log::error("recovery: {}", did.error().message);
  else if (!did->empty())
    log::info("recovery: {}", *did);
}

void restore_damaged_sysroot(UpdateContext& ctx) {
  if (auto did = restore_if_damaged(ctx.layout, ctx.state, ctx.repo); !did)
    log::error("{}", did.error().message);
  else if (!did->empty())
    log::warn("{}", *did);
}

// A step the journal says is under way could not be finished this boot (e.g. a rollback with no
// room): nothing else touches the disks; the sysroot there is complete either way. Step
// `bootset` is not one: the boot set sync redoes it.
bool step_left_unfinished(const State& state) {
  if (state.step == Step::idle || state.step == Step::bootset) return false;
  log::error("{} is unfinished; booting the sysroot as it is, the next boot finishes it", to_string(state.step));
  return true;
}

// Phase 5, deploy: the update itself; the boot set follows the new sysroot.
UpdateOutcome update_to(UpdateContext& ctx, const std::string& commit, const Keyring& ring) {
  const State& state = ctx.state;
  log::info("update available: {} -> {}", state.deployed ? short_id(state.deployed->commit) : "none", short_id(commit));
  std::string from = state.deployed ? state.deployed->version : "nothing";
  if (auto st = fetch_and_deploy(ctx, commit, ring); !st) {
    log::error("update to {} failed: {}; booting {}", short_id(commit), st.error().message, from);
    ctx.state.add_event("update failed: " + st.error().message);
    (void)save_state(ctx.layout.state(), ctx.state);
    return UpdateEnding::update_failed;
  }
  // The rootfs is switched; a boot set failure leaves step `bootset` for the next boot to redo.
  if (auto st = sync_boot_set(ctx); !st) log::error("{}; the next boot retries it", st.error().message);
  UpdateOutcome out(UpdateEnding::updated);
  out.summary = fmt::format("updated {} -> {} ({})", from, state.deployed->version, short_id(state.deployed->commit));
  log::info("{}", out.summary);
  return out;
}

UpdateOutcome repair_from_remote(UpdateContext& ctx, const Keyring& ring) {
  if (auto st = fetch_repair(ctx, ring); !st) {
    log::error("{}; booting it as it is", st.error().message);
    return UpdateEnding::repair_failed;
  }
  return UpdateEnding::repaired;
}

// How releases are checked, in the journal for `lota status` (saved only when it changes).
void record_trust(UpdateContext& ctx, const Result<Keyring>& ring) {
  std::string trust = !ring           ? "none: " + ring.error().message
                      : ring->empty() ? "UNSIGNED releases accepted (allow_unsigned=1)"
                                      : fmt::format(
                                            "signed statement, ed25519 signature ({} key(s) trusted), ref binding and "
                                            "downgrade floor checked before download",
                                            ring->keys.size());
  if (ctx.state.trust == trust) return;
  ctx.state.trust = trust;
  if (auto st = ctx.save_journal_making_room(); !st) log::warn("{}", st.error().message);
}

// Phase 5 from the local repo: a release `lota fetch` staged in the running system.
UpdateOutcome update_to_staged(UpdateContext& ctx, const Keyring& ring, const std::string& why) {
  std::string from = ctx.state.deployed ? ctx.state.deployed->version : "nothing";
  const Deployment staged = *ctx.state.staged;
  if (ctx.state.is_rejected(staged.commit)) {
    drop_staged(ctx, "it was rolled back from before");
    return UpdateEnding::rejected;
  }
  if (ctx.state.deployed && ctx.state.deployed->commit == staged.commit) {
    drop_staged(ctx, "it is deployed already");  // deploying it again would lose the rollback target
    return UpdateEnding::up_to_date;
  }
  if (auto st = deploy_staged(ctx, ring, why); !st) {
    log::error("update to staged {} failed: {}; booting {}", staged.version, st.error().message, from);
    ctx.state.add_event("update to staged release failed: " + st.error().message);
    (void)save_state(ctx.layout.state(), ctx.state);
    return UpdateEnding::update_failed;
  }
  if (auto st = sync_boot_set(ctx); !st) log::error("{}; the next boot retries it", st.error().message);
  UpdateOutcome out(UpdateEnding::updated);
  out.summary = fmt::format("updated {} -> {} ({}) from the staged download", from, ctx.state.deployed->version,
                            short_id(ctx.state.deployed->commit));
  log::info("{}", out.summary);
  return out;
}

// Phase 4, check: what the remote offers, and whether it is anything to fetch. A staged release
// is deployed when the server cannot be asked or offers that very release; any other signed word
// of the server is newer than the one it was staged under, and wins.
UpdateOutcome check_and_fetch(UpdateContext& ctx, DeployedHealth health) {
  const Config& config = ctx.config;
  const State& state = ctx.state;
  bool needs_objects = health == DeployedHealth::needs_objects;
  auto ring = required_keyring(config, state.keyring);  // a configuration error is said every boot
  record_trust(ctx, ring);
  if (!ring) {
    log::error("{} - no update check", ring.error().message);
    return config.sign_key.empty() ? UpdateEnding::unsigned_refused : UpdateEnding::bad_sign_key;
  }
  if (state.trial && !needs_objects) {
    ctx.say_and_journal(fmt::format("{} is on trial: no update check until it is confirmed", state.deployed->version));
    return UpdateEnding::on_trial;
  }
  log::info("checking {} branch {} (budget {:g} s)", config.remote, config.branch, config.check_timeout);
  auto offer = network_and_check(config, *ring);
  if (!offer) {
    log::warn("update check failed: {}; booting {}", offer.error().message,
              state.staged && !needs_objects ? "the staged release" : "the current version");
    if (state.staged && !needs_objects) return update_to_staged(ctx, *ring, "the server cannot be asked");
    return UpdateEnding::check_failed;
  }
  // A replayed statement is no newer word: a staged release goes ahead as with the cable out.
  if (offer->statement && !take_statement(ctx, *offer->statement))
    return state.staged && !needs_objects ? update_to_staged(ctx, *ring, "the server's statement is refused")
                                          : UpdateEnding::statement_refused;
  keep_tightened_keyring(ctx, *ring, offer->keyring);
  const std::string& commit = offer->commit;
  if (needs_objects) return repair_from_remote(ctx, offer->keyring);
  if (state.staged && state.staged->commit == commit) {
    auto out = update_to_staged(ctx, offer->keyring, "the server still offers it");
    // Not deployed but still staged (objects missing, say): the pull completes what is missing.
    if (out.ending != UpdateEnding::update_failed || !state.staged) return out;
    drop_staged(ctx, "pulling it from the server instead");
  }
  if (state.staged) drop_staged(ctx, fmt::format("the server now offers {}", short_id(commit)));
  if (state.deployed && commit == state.deployed->commit) {
    log::info("up to date: {} ({})", state.deployed->version, short_id(commit));
    return UpdateEnding::up_to_date;
  }
  if (state.is_rejected(commit)) {
    log::info("remote offers {} which was rolled back before: ignored until a newer commit", short_id(commit));
    return UpdateEnding::rejected;
  }
  return update_to(ctx, commit, offer->keyring);
}

// An offline bundle (update/bundle.hpp) found this boot is what someone put there on purpose:
// deployed at once, without asking a server.
std::optional<UpdateOutcome> offline_bundle(UpdateContext& ctx) {
  auto ring = required_keyring(ctx.config, ctx.state.keyring);
  if (!ring) return std::nullopt;  // said by the check; without keys nothing can be checked
  if (!take_bundles(ctx, *ring)) return std::nullopt;
  return update_to_staged(ctx, *ring, "from a bundle");
}

// The story of one boot, in phases: recover, trial and rollback, boot-set reconciliation, local
// verification, then check, fetch and deploy.
UpdateOutcome update_flow(UpdateContext& ctx) {
  recover_interrupted(ctx);
  follow_boot_script(ctx);
  if (trial_exhausted(ctx.state)) roll_back_unconfirmed(ctx);
  if (step_left_unfinished(ctx.state)) return UpdateEnding::step_unfinished;
  restore_damaged_sysroot(ctx);
  // Every boot: the active boot set must be the deployed version's, whatever was cut short
  // before (a deployment journalled but its boot set not yet written, a rollback, a redo).
  if (auto st = sync_boot_set(ctx); !st) log::error("{}", st.error().message);
  DeployedHealth health = DeployedHealth::sound;
  if (ctx.config.verify_full && ctx.state.deployed) health = verify_and_repair_locally(ctx);
  if (health == DeployedHealth::sound && !ctx.state.trial)
    if (auto bundled = offline_bundle(ctx)) return *bundled;
  if (ctx.config.remote.empty()) {
    if (health == DeployedHealth::sound) return UpdateEnding::no_remote;
    log::error("the deployed version has corrupt files and no lota.remote= to fetch them from - reflash the device");
    return UpdateEnding::corrupt_no_remote;
  }
  return check_and_fetch(ctx, health);
}

// The update flow is an exception boundary: whatever throws in it (a library, the allocator)
// costs one line, and the deployed version boots.
template <class F>
void guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log::error("{}: internal error ({}); booting the deployed version", what, e.what());
  } catch (...) {
    log::error("{}: internal error (unknown exception); booting the deployed version", what);
  }
}

// The journal and the repository; an ending when the flow cannot run this boot.
std::optional<UpdateEnding> open_journal_and_repo(const Layout& layout, State& state, std::optional<Repo>& repo) {
  auto loaded = load_state(layout.state());
  if (!loaded) {
    log::error("{} - booting without updates; restore it, or move it aside to start a new journal",
               loaded.error().message);
    return UpdateEnding::state_unreadable;
  }
  state = std::move(*loaded);
  if (auto st = make_dirs(layout.state_dir()); !st) log::warn("{}", st.error().message);
  auto opened = Repo::open_or_create(layout.repo());
  if (!opened) {
    log::error("{} - booting without updates", opened.error().message);
    return UpdateEnding::repository_unusable;
  }
  repo.emplace(std::move(*opened));
  return std::nullopt;
}

}  // namespace

const char* to_string(UpdateEnding ending) {
  for (const auto& [e, name] : kEndingNames)
    if (e == ending) return name;
  return "internal error";
}

UpdateOutcome run_update_flow(const Config& config, const Layout& layout, const std::string& self_exe) {
  UpdateOutcome out(UpdateEnding::internal_error);
  State state;
  std::optional<Repo> repo;
  std::optional<UpdateContext> ctx;
  guarded("update flow", [&] {
    if (auto ending = open_journal_and_repo(layout, state, repo)) {
      out = *ending;
      return;
    }
    ctx.emplace(UpdateContext{
        .config = config, .layout = layout, .self_exe = self_exe, .state = state, .repo = *repo, .view = {}});
    out = update_flow(*ctx);
    out.reboot_into = reboot_target(*ctx);
  });
  // What every boot that switches root does last, even after an exception in the flow: a boot
  // that always throws must still use up the trial of the version it boots.
  if (ctx && out.reboot_into.empty())
    guarded("before switch_root", [&] {
      close_trial_of_booted_set(*ctx);
      count_trial_boot(*ctx);
    });
  return out;
}

}  // namespace lota
