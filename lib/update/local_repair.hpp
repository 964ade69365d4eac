// lota.verify=full at boot: the deployed version checked file by file against the repository,
// a damaged checkout restored from the local repository, corrupt objects dropped so that the
// next pull of the deployed commit fetches them again (fetch.hpp's fetch_repair).
#pragma once

#include "update/update_context.hpp"

namespace lota {

enum class DeployedHealth {
  sound,          // every file checked out right, or repaired from the local repository
  needs_objects,  // objects were corrupt and have been dropped: only the server has them
};

DeployedHealth verify_and_repair_locally(UpdateContext& ctx);

}  // namespace lota
