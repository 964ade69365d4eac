#include "update/stage.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "base/file.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "update/remote_check.hpp"
#include "update/statement.hpp"

namespace lota {
namespace {

StageOutcome ending(StageEnding e, std::string message, const std::string& commit = "", const std::string& version = "",
                    uint64_t bytes = 0) {
  return StageOutcome{e, std::move(message), commit, version, bytes};
}

// Only a hint for the next boot, which follows the chain from its own keys: a stale one after a
// cut is harmless, but the removal is still made durable.
void remove_staged_chain(const Layout& layout) {
  if (::unlink(layout.staged_chain().c_str()) == 0) (void)fsync_dir(layout.state_dir());
}

// What stands in the way of a fetch before the server is asked.
std::string not_now(const State& state) {
  if (state.step != Step::idle && state.step != Step::bootset)
    return fmt::format("an update step ({}) is under way: the next boot finishes it; fetch after that",
                       to_string(state.step));
  if (state.trial)
    return fmt::format("{} is on trial: confirm it (lota mark-good) before fetching the next release",
                       state.deployed ? state.deployed->version : "the deployed version");
  return "";
}

}  // namespace

// The order makes a cut harmless: the ref holds the objects and the chain is beside them before
// the journal names the release; a journal entry without them fails its check at boot, one line.
Status record_staged(UpdateContext& ctx, const std::string& commit, const std::string& version,
                     const std::string& chain) {
  LOTA_TRY(ctx.repo.set_ref("lota/staged", commit));
  if (chain.empty())
    remove_staged_chain(ctx.layout);
  else
    LOTA_TRY(write_file_atomic(ctx.layout.staged_chain(), chain));
  ctx.state.staged = Deployment{commit, version};
  ctx.state.add_event(fmt::format("staged {} ({}): the next boot deploys it", version, short_id(commit)));
  return ctx.save_journal_making_room();
}

namespace {

StageOutcome fetch_and_stage(UpdateContext& ctx, const Keyring& ring, const FetchOptions& options) {
  State& state = ctx.state;
  auto offer = read_offer(ctx.config, ring, ctx.config.check_timeout);
  if (!offer) return ending(StageEnding::failed, "update check failed: " + offer.error().message);
  // Checked against the floor of statements, never raising it, and no key chain kept: the
  // running system's settings (/run/lota/lota.conf, --config) are not the initramfs's, and what
  // it could write to the trust state would last for good. The next boot takes both itself.
  if (offer->statement) {
    State scratch = state;
    if (auto fresh = accept_statement(scratch, *offer->statement); !fresh)
      return ending(StageEnding::failed, fresh.error().message);
  }
  const std::string& commit = offer->commit;
  // Another staged release is withdrawn before anything else is fetched: the journal never names
  // one whose ref was moved, and a cut download leaves nothing staged the server has replaced.
  if (state.staged && state.staged->commit != commit)
    drop_staged(ctx, fmt::format("the server now offers {}", short_id(commit)));
  if (state.deployed && commit == state.deployed->commit) {
    return ending(StageEnding::up_to_date,
                  fmt::format("up to date: {} ({})", state.deployed->version, short_id(commit)), commit,
                  state.deployed->version);
  }
  if (state.is_rejected(commit))
    return ending(StageEnding::up_to_date,
                  fmt::format("the server offers {}, which was rolled back before: ignored until a newer commit",
                              short_id(commit)),
                  commit);
  if (state.staged && state.staged->commit == commit && ctx.repo.stored_commit(commit))
    return ending(
        StageEnding::staged,
        fmt::format("{} ({}) is staged already: reboot to deploy it", state.staged->version, short_id(commit)), commit,
        state.staged->version);
  auto fetched = fetch_verified(ctx, commit, offer->keyring, options);
  if (!fetched)
    return ending(StageEnding::failed, fmt::format("fetching {}: {}", short_id(commit), fetched.error().message));
  const std::string& version = fetched->facts.info.version;
  if (auto st = record_staged(ctx, commit, version, offer->chain); !st)
    return ending(StageEnding::failed, "recording the staged release: " + st.error().message);
  return ending(StageEnding::staged, fmt::format("staged {} ({}): reboot to deploy it", version, short_id(commit)),
                commit, version, fetched->report.progress.bytes);
}

// Errors that say the staged release will never pass (not a full disk, which may clear).
bool never_passes(const Error& e) {
  return e.is(ErrorKind::trust) || e.is(ErrorKind::corrupt) || e.is(ErrorKind::refused) || e.is(ErrorKind::server);
}

// The device's own keys, followed along the chain kept with the staged release (as the boot
// that would have pulled it would have followed the server's).
Keyring staged_keyring(const UpdateContext& ctx, const Keyring& ring) {
  if (ring.empty()) return ring;
  // Written by the running system: bounded like the server's chain.
  struct stat st {};
  if (::stat(ctx.layout.staged_chain().c_str(), &st) == 0 && static_cast<size_t>(st.st_size) > kMaxChainBytes) {
    log::warn("the key chain kept with the staged release is larger than {} bytes; ignored", kMaxChainBytes);
    return ring;
  }
  auto text = read_file(ctx.layout.staged_chain());
  if (!text) return ring;
  auto next = follow_chain(ring, *text);
  if (!next) {
    log::warn("the key chain kept with the staged release: {}; keeping the keys this device has", next.error().message);
    return ring;
  }
  return *next;
}

}  // namespace

const char* to_string(StageEnding e) {
  switch (e) {
    case StageEnding::up_to_date:
      return "up to date";
    case StageEnding::staged:
      return "staged";
    case StageEnding::failed:
      break;
  }
  return "failed";
}

StageOutcome stage_update(UpdateContext& ctx, const FetchOptions& options) {
  StageOutcome out;
  auto ring = required_keyring(ctx.config, ctx.state.keyring);
  if (!ring)
    out = ending(StageEnding::failed, ring.error().message);
  else if (auto why = not_now(ctx.state); !why.empty())
    out = ending(StageEnding::failed, why);
  else if (ctx.config.remote.empty())
    out = ending(StageEnding::failed, "no remote in the configuration: nothing to fetch from");
  else
    out = fetch_and_stage(ctx, *ring, options);
  ctx.state.last_fetch =
      FetchRecord{static_cast<int64_t>(std::time(nullptr)), to_string(out.ending), out.message, out.bytes};
  if (out.ending == StageEnding::failed) ctx.state.add_event("fetch failed: " + out.message);
  if (auto st = ctx.save_journal_making_room(); !st && out.ending != StageEnding::failed)
    out = ending(StageEnding::failed, "saving the journal: " + st.error().message);
  return out;
}

void drop_staged(UpdateContext& ctx, const std::string& why) {
  if (!ctx.state.staged) return;
  log::info("staged {} ({}) dropped: {}", ctx.state.staged->version, short_id(ctx.state.staged->commit), why);
  ctx.state.add_event(fmt::format("staged {} dropped: {}", ctx.state.staged->version, why));
  ctx.state.staged.reset();
  if (auto st = ctx.save_journal_making_room(); !st) log::warn("{}", st.error().message);
  (void)ctx.repo.set_ref("lota/staged", "");
  remove_staged_chain(ctx.layout);
}

Status deploy_staged(UpdateContext& ctx, const Keyring& ring, const std::string& why) {
  const Deployment staged = *ctx.state.staged;
  log::info("deploying staged {} ({}), fetched in the running system: {}", staged.version, short_id(staged.commit),
            why);
  Keyring followed = staged_keyring(ctx, ring);
  // Cleared with the deployment's first journal save: the journal never names a staged release
  // that is deployed already.
  ctx.state.staged.reset();
  auto st = deploy_stored(ctx, staged.commit, followed);
  if (!st) {
    if (never_passes(st.error())) {
      ctx.state.staged = staged;
      drop_staged(ctx, st.error().message);
    } else {
      ctx.state.staged = staged;  // tried again next boot
      (void)ctx.save_journal_making_room();
    }
    return st;
  }
  (void)ctx.repo.set_ref("lota/staged", "");
  remove_staged_chain(ctx.layout);
  return {};
}

}  // namespace lota
