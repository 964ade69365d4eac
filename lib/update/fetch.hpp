// Getting a commit onto the device: the download in the pull job (bounded in time), the checks
// on what arrived (signature, no downgrade), and the deployment. Errors leave sysroot as it was.
#pragma once

#include <string>

#include "base/result.hpp"
#include "update/update_context.hpp"

namespace lota {

// Pulls, verifies and deploys `commit`; `key` is the ed25519 key it must be signed with ("" for
// none). A release that can never be installed here is added to the journal's rejected list.
Status fetch_and_deploy(UpdateContext& ctx, const std::string& commit, const std::string& key);

// Fetches the deployed commit's dropped (corrupt) objects again, then checks it out afresh.
Status fetch_repair(UpdateContext& ctx, const std::string& key);

}  // namespace lota
