// Room on the root partition for what lota must write: a failed update gives back what it took,
// and a download kept for resuming is given up before it blocks anything.
#pragma once

#include <string>

#include "base/result.hpp"
#include "update/update_context.hpp"

namespace lota {

// After a failed update: no half deployment, no staged or unreferenced objects, no delta
// parts - the space is the running system's again. Returns a note on what was freed.
std::string reclaim_space(UpdateContext& ctx);

// The free-space floor before a download, judged on what the running system uses: the parts of a
// cut download (kept to resume it) are given back first when they are what stands in the way.
Status make_room(const Layout& layout);

}  // namespace lota
