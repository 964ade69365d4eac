#include "update/fetch.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "update/boot_set_sync.hpp"
#include "update/deploy.hpp"
#include "update/disk_space.hpp"
#include "update/pull_job.hpp"
#include "update/reclaim.hpp"
#include "update/release_gate.hpp"

namespace lota {
namespace {

PullRequest pull_request(const UpdateContext& ctx, const std::string& key, const std::string& commit,
                         const std::string& from, const std::string& workdir, uint64_t rate_limit = 0) {
  const Config& config = ctx.config;
  return PullRequest{.repo_path = ctx.layout.repo(),
                     .remote = {.url = config.remote, .sign_key = key, .tls = config.tls},
                     .branch = config.branch,
                     .commit = commit,
                     .from = from,
                     .workdir = workdir,
                     .rate_limit = rate_limit};
}

PullLimits boot_limits(const UpdateContext& ctx) {
  return {.deadline_s = ctx.config.pull_timeout, .stall_s = ctx.config.stall_timeout, .on_progress = {}};
}

// A failed download that ran out of room says which room and the way out; the space it took is
// given back. A cut download is otherwise kept for the next boot to resume.
Error explain_failed_pull(UpdateContext& ctx, const Error& error) {
  if (error.is(ErrorKind::ram_full))  // the pull job names /var/tmp, RAM in the initramfs
    return make_error(ErrorKind::ram_full,
                      "{} - not the root partition; {}; publish the release with smaller delta parts "
                      "(--max-chunk-size) or give the board more RAM",
                      error.message, reclaim_space(ctx));
  auto space = disk_space(ctx.layout.part);
  if (error.is(ErrorKind::disk_full) || (space && space->short_of_room()))
    return make_error(ErrorKind::disk_full,
                      "{} - the root partition is too full for this update; {}; free space (e.g. in /var) or grow "
                      "the partition",
                      error.message, reclaim_space(ctx));
  return error;
}

// What arrived is what the gate saw: the stored commit carries the same signature (libostree
// checked it too, with the same key).
Status verify_arrived(UpdateContext& ctx, const std::string& commit, const std::string& key) {
  if (key.empty()) return {};
  LOTA_TRY(ctx.repo.verify_signature(commit, key));
  log::info("signature of {} verified (ed25519)", short_id(commit));
  return {};
}

// The deployment and its boot set go together or not at all: the boot files are checked on the
// checkout before the swap.
Status deploy_checked(UpdateContext& ctx, const std::string& commit, const CommitInfo& info, const Keyring& ring) {
  LOTA_TRY(ctx.repo.set_ref("lota/pending", commit));
  auto installable = [&ctx](const std::string& tree) { return check_boot_set_installable(ctx, tree); };
  // The floor rises, and the keyring the release verified with is kept, with the journal entries
  // of the deployment (deploy saves them); both are put back if it does not go through.
  const auto floor = ctx.state.floor;
  const Keyring kept = ctx.state.keyring;
  ctx.state.raise_floor(Floor{info.timestamp, info.version, commit});
  if (!ring.empty()) ctx.state.keyring = ring;
  auto st = deploy(ctx.layout, ctx.state, ctx.repo, Deployment{.commit = commit, .version = info.version},
                   ctx.config.tries, installable);
  if (!st) {
    ctx.state.floor = floor;
    ctx.state.keyring = kept;
    bool never = st.error().is(ErrorKind::refused);  // never retried
    if (never) ctx.state.rejected.push_back(commit);
    std::string note = reclaim_space(ctx);
    (void)save_state(ctx.layout.state(), ctx.state);
    return make_error(st.error().kind, "{}{}; {}", st.error().message,
                      never ? "; this release will not be installed" : "", note);
  }
  (void)ctx.repo.set_ref("lota/pending", "");
  return {};
}

}  // namespace

Result<FetchedRelease> fetch_verified(UpdateContext& ctx, const std::string& commit, const Keyring& ring,
                                      const FetchOptions& options) {
  auto facts = check_release_before_download(ctx, commit, ring, monotonic_seconds() + ctx.config.check_timeout);
  if (!facts) return facts.error();
  const std::string& key = facts->signer;  // libostree and the superblock check use the one that signed
  LOTA_TRY(make_room(ctx.layout));
  const auto& deployed = ctx.state.deployed;
  // Always through libostree, even when the commit object is here: a pull cut short leaves
  // the commit marked partial, and the pull completes it.
  auto request = pull_request(ctx, key, commit, deployed ? deployed->commit : "", ctx.layout.state_dir() + "/delta",
                              options.rate_limit);
  auto report = supervise_pull(ctx.self_exe, request, options.limits ? *options.limits : boot_limits(ctx));
  if (!report) return explain_failed_pull(ctx, report.error());
  log::info("pull: done, {} bytes in {:.1f} s (pull job peak RSS {} KiB)", report->progress.bytes, report->seconds,
            report->peak_rss_kib);
  LOTA_TRY(verify_arrived(ctx, commit, key));
  return FetchedRelease{std::move(*facts), *report};
}

Status fetch_and_deploy(UpdateContext& ctx, const std::string& commit, const Keyring& ring) {
  auto fetched = fetch_verified(ctx, commit, ring, {});
  if (!fetched) return fetched.error();
  return deploy_checked(ctx, commit, fetched->facts.info, ring);
}

Status deploy_stored(UpdateContext& ctx, const std::string& commit, const Keyring& ring) {
  auto facts = check_stored_release(ctx, commit, ring);
  if (!facts) return facts.error();
  return deploy_checked(ctx, commit, facts->info, ring);
}

Status fetch_repair(UpdateContext& ctx, const Keyring& ring) {
  const Deployment deployed = *ctx.state.deployed;  // a copy: restore_deployment rewrites the state
  // The commit is here and was verified when it came: libostree checks it with the key that
  // signed it (its objects are named by their checksums either way).
  std::string key;
  for (const auto& k : ring.keys)
    if (!k.revoked && ctx.repo.verify_signature(deployed.commit, k.key).ok()) key = k.key;
  auto report = supervise_pull(ctx.self_exe, pull_request(ctx, key, deployed.commit, "", ""), boot_limits(ctx));
  if (!report) return report.error().with_context("repairing {}", deployed.version);
  auto did = restore_deployment(ctx.layout, ctx.state, ctx.repo, "corrupt objects fetched again");
  if (!did)
    log::error("repairing {}: {}", deployed.version, did.error().message);
  else
    log::warn("{}", *did);
  return {};
}

}  // namespace lota
