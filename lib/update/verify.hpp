// lota.verify=full: every file of the booted deployment checked against the repository at
// boot. A file that is missing or no longer the repository's object (replaced, not hardlinked)
// means the checkout is damaged; a file whose content no longer hashes to its object's
// checksum means the object itself is damaged (the checkout shares its inode), so the object
// must come from the server again.
#pragma once

#include <string>
#include <vector>

#include "update/repo.hpp"
#include "base/result.hpp"

namespace lota {

struct VerifyReport {
  size_t files = 0;
  std::vector<std::string> damaged_paths;    // missing or replaced in the deployment
  std::vector<std::string> corrupt_objects;  // content checksums of objects that no longer match
  std::vector<std::string> corrupt_paths;    // where they are deployed
  bool ok() const { return damaged_paths.empty() && corrupt_objects.empty(); }
};

Result<VerifyReport> verify_deployment(const Repo& repo, const std::string& commit, const std::string& deployment);

// Deletes the corrupt objects and marks the commit partial, so that the next pull of that
// commit fetches them again.
Status drop_corrupt_objects(Repo& repo, const std::string& commit, const std::vector<std::string>& objects);

}  // namespace lota
