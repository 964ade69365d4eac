// Getting a commit onto the device: the download in the pull job (bounded in time), the checks
// on what arrived (signature, no downgrade), and the deployment. Errors leave sysroot as it was.
#pragma once

#include <optional>
#include <string>

#include "base/result.hpp"
#include "update/keyring.hpp"
#include "update/pull_job.hpp"
#include "update/release_gate.hpp"
#include "update/update_context.hpp"

namespace lota {

struct FetchOptions {
  std::optional<PullLimits> limits;  // default: lota.pull_timeout and lota.stall_timeout, console lines
  uint64_t rate_limit = 0;           // bytes/s; 0: none
};

struct FetchedRelease {
  ReleaseFacts facts;
  PullReport report;
};

// The release gate (release_gate.hpp), then the pull of `commit` into the device's repository
// and the check of what arrived. Nothing is deployed (lota fetch stages it).
Result<FetchedRelease> fetch_verified(UpdateContext& ctx, const std::string& commit, const Keyring& ring,
                                      const FetchOptions& options);

// Checks `commit`, already in the device's repository, as the gate checks a server's
// (check_stored_release), then deploys it. No network.
Status deploy_stored(UpdateContext& ctx, const std::string& commit, const Keyring& ring);

// Pulls, verifies and deploys `commit`, which a key of `ring` must have signed (empty: unsigned,
// allow_unsigned=1). `ring` becomes the device's keyring with the deployment (it may have been
// followed along the server's key chain). A release that can never be installed here is added to
// the journal's rejected list.
Status fetch_and_deploy(UpdateContext& ctx, const std::string& commit, const Keyring& ring);

// Fetches the deployed commit's dropped (corrupt) objects again, then checks it out afresh.
Status fetch_repair(UpdateContext& ctx, const Keyring& ring);

}  // namespace lota
