#include "update/release_gate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "net/http.hpp"

namespace lota {
namespace {

std::string object_url(const Config& config, const std::string& commit, const char* ext) {
  return fmt::format("{}/objects/{}/{}.{}", config.remote, commit.substr(0, 2), commit.substr(2), ext);
}

Result<std::string> fetch(const Config& config, const std::string& url, size_t max_bytes, double deadline_s,
                          uint64_t& bytes) {
  HttpOptions options{
      .timeout_s = std::max(0.5, deadline_s - monotonic_seconds()), .tls = config.tls, .max_bytes = max_bytes};
  auto body = http_get(url, options);
  if (body) bytes += body->size();
  return body;
}

// Ref bindings are required: a commit published without one (another pipeline, --no-bindings)
// would otherwise be taken on any branch signed by the same key, another board's release.
Status check_binding(const CommitInfo& info, const std::string& branch) {
  if (info.bindings.empty())
    return make_error(ErrorKind::trust,
                      "commit {} has no ref binding (ostree.ref-binding): published outside scripts/publish or "
                      "with --no-bindings - refused",
                      short_id(info.checksum));
  if (std::find(info.bindings.begin(), info.bindings.end(), branch) == info.bindings.end())
    return make_error(ErrorKind::trust, "commit {} is bound to {}, not to this device's branch {} - refused",
                      short_id(info.checksum), fmt::join(info.bindings, ", "), branch);
  return {};
}

// The floor: the newest release deployed here, and the deployed commit itself. A deployed commit
// that cannot be read leaves the floor unknown: refused, not skipped.
Result<Floor> current_floor(const UpdateContext& ctx) {
  const State& state = ctx.state;
  if (state.floor_unknown)
    return make_error(ErrorKind::trust,
                      "the trust record {} is unreadable and the journal is gone: the downgrade floor is unknown - "
                      "updates refused; restore the record, or reflash the device",
                      trust_record_path(ctx.layout.state()));
  Floor floor = state.floor.value_or(Floor{});
  if (!state.deployed) return floor;
  auto deployed = ctx.repo.commit_info(state.deployed->commit);
  // The floor already names it (every deployment since issue 16 raises it): enough to judge by.
  if (!deployed && state.floor && state.floor->commit == state.deployed->commit) return floor;
  if (!deployed)
    return make_error(ErrorKind::trust,
                      "the deployed commit cannot be read ({}): the downgrade floor is unknown - updates refused; "
                      "`lota fsck` says what is damaged",
                      deployed.error().message);
  if (deployed->timestamp > floor.timestamp) floor = {deployed->timestamp, deployed->version, deployed->checksum};
  return floor;
}

Status check_floor(const UpdateContext& ctx, const CommitInfo& info) {
  auto floor = current_floor(ctx);
  if (!floor) return floor.error();
  if (ctx.config.allow_downgrade || info.timestamp >= floor->timestamp) return {};
  // trust, not refused: the release is not rejected for good (a rollback attack or a mistake on
  // the server; allow_downgrade=1 in /etc/lota.conf lets it in).
  return make_error(ErrorKind::trust,
                    "commit {} ({}) is older than {} deployed here before - downgrade refused (allow_downgrade=1 in "
                    "/etc/lota.conf permits it)",
                    short_id(info.checksum), info.version, floor->version);
}

// Signed by a key of `ring` that may sign a commit of that date (not revoked, not retired).
Result<std::string> check_signature(const Keyring& ring, const std::string& body, const std::string& meta,
                                    const CommitInfo& info) {
  auto sigs = Repo::commit_signatures(meta, info.checksum);
  if (!sigs) return sigs.error();
  auto signer = find_signer(ring, body, *sigs, fmt::format("commit {}", short_id(info.checksum)));
  if (!signer) return signer.error();
  if (auto why = ring.refusal(*signer, static_cast<int64_t>(info.timestamp)); !why.empty())
    return make_error(ErrorKind::trust, "commit {}: {} - refused", short_id(info.checksum), why);
  return signer;
}

// The same checks whether the commit came from the server or from this device's repository.
Result<CommitInfo> judge_bytes(const UpdateContext& ctx, const std::string& commit, const Keyring& ring,
                               const std::string& body, const Result<std::string>& meta, std::string& signer) {
  auto info = Repo::parse_commit(body, commit);
  if (!info) return info.error();
  if (!ring.empty()) {
    if (!meta || meta->empty())
      return Error{fmt::format("commit {} has no signature ({}) - refused", short_id(commit),
                               meta ? "no detached metadata" : meta.error().message),
                   ErrorKind::trust};
    auto who = check_signature(ring, body, *meta, *info);
    if (!who) return who.error();
    signer = *who;
  }
  LOTA_TRY(check_binding(*info, ctx.config.branch));
  LOTA_TRY(check_floor(ctx, *info));
  return info;
}

Result<CommitInfo> judge(const UpdateContext& ctx, const std::string& commit, const Keyring& ring, double deadline_s,
                         uint64_t& bytes, std::string& signer) {
  auto body = fetch(ctx.config, object_url(ctx.config, commit, "commit"), kMaxCommitBytes, deadline_s, bytes);
  if (!body) return body.error().with_context("reading commit {} from the server", short_id(commit));
  Result<std::string> meta = std::string();
  if (!ring.empty())
    meta = fetch(ctx.config, object_url(ctx.config, commit, "commitmeta"), kMaxCommitMetaBytes, deadline_s, bytes);
  return judge_bytes(ctx, commit, ring, *body, meta, signer);
}

}  // namespace

Result<ReleaseFacts> check_release_before_download(const UpdateContext& ctx, const std::string& commit,
                                                   const Keyring& ring, double deadline_s) {
  uint64_t bytes = 0;
  std::string signer;
  auto info = judge(ctx, commit, ring, deadline_s, bytes, signer);
  if (!info)
    return Error{fmt::format("{} ({} bytes fetched to decide, no content)", info.error().message, bytes),
                 info.error().kind};
  log::info("release {} ({}): {}bound to {}, not older than what ran here ({} bytes to decide)", short_id(commit),
            info->version, ring.empty() ? "UNSIGNED (allow_unsigned=1), " : "signed, ", ctx.config.branch, bytes);
  return ReleaseFacts{std::move(*info), bytes, signer};
}

}  // namespace lota

namespace lota {

Result<ReleaseFacts> check_release_bytes(const UpdateContext& ctx, const std::string& commit, const Keyring& ring,
                                         const std::string& body, const std::string& meta, const char* where) {
  if (body.size() > kMaxCommitBytes || meta.size() > kMaxCommitMetaBytes)
    return make_error(ErrorKind::trust, "commit {} {} is larger than lota reads - refused", short_id(commit), where);
  std::string signer;
  auto info = judge_bytes(ctx, commit, ring, body, meta, signer);
  if (!info) return info.error();
  log::info("release {} ({}) {}: {}bound to {}, not older than what ran here", short_id(commit), info->version, where,
            ring.empty() ? "UNSIGNED (allow_unsigned=1), " : "signed, ", ctx.config.branch);
  return ReleaseFacts{std::move(*info), 0, signer};
}

Result<ReleaseFacts> check_stored_release(const UpdateContext& ctx, const std::string& commit, const Keyring& ring) {
  auto stored = ctx.repo.stored_commit(commit);
  if (!stored) return stored.error();
  return check_release_bytes(ctx, commit, ring, stored->body, stored->meta, "here");
}

}  // namespace lota
