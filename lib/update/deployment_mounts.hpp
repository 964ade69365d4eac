// How a deployment is presented to the booted system (docs/layout.md, "Immutable deployments"):
// the checkout is read-only (its files are hardlinks to repo objects: a write would corrupt the
// repo), /etc is an overlay whose upper layer on the root partition keeps local changes across
// updates and rollbacks, and /var is one directory on the root partition shared by all versions.
#pragma once

#include <string>

#include "base/result.hpp"
#include "update/layout.hpp"

namespace lota {

// `deployment` is the checkout, `target` where it is mounted (the future "/").
// Returns a warning line when /etc or /var could not be set up (the boot goes on).
Result<std::string> mount_deployment(const Layout& layout, const std::string& deployment, const std::string& target);

}  // namespace lota
