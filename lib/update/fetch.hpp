// Getting a commit onto the device: the download in the pull job (bounded in time), the checks
// on what arrived (signature, no downgrade), and the deployment. Errors leave sysroot as it was.
#pragma once

#include <string>

#include "base/result.hpp"
#include "update/keyring.hpp"
#include "update/update_context.hpp"

namespace lota {

// Pulls, verifies and deploys `commit`, which a key of `ring` must have signed (empty: unsigned,
// allow_unsigned=1). `ring` becomes the device's keyring with the deployment (it may have been
// followed along the server's key chain). A release that can never be installed here is added to
// the journal's rejected list.
Status fetch_and_deploy(UpdateContext& ctx, const std::string& commit, const Keyring& ring);

// Fetches the deployed commit's dropped (corrupt) objects again, then checks it out afresh.
Status fetch_repair(UpdateContext& ctx, const Keyring& ring);

}  // namespace lota
