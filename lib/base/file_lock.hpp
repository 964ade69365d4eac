// An exclusive advisory lock (flock) on a file, held while the object lives: the commands of the
// running system that rewrite lota's journal (fetch, mark-good, rollback) take turns, so one never
// saves over what another saved, and a prune never runs under a pull.
#pragma once

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace lota {

// Waits for the lock on `path` (created when missing); `wait` false: an error when it is held.
Result<UniqueFd> lock_file(const std::string& path, bool wait);

}  // namespace lota
