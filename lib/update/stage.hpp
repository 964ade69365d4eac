// Staged updates: `lota fetch` in the running system downloads a release into the device's own
// repository with the same checks as a boot-time pull (statement, gate, signature on arrival),
// and records it as staged in the journal. The next boot checks it again from the local repo
// and deploys it with no network: a newer word from the server wins over it.
#pragma once

#include <cstdint>
#include <string>

#include "update/fetch.hpp"
#include "update/keyring.hpp"
#include "update/update_context.hpp"

namespace lota {

enum class StageEnding { up_to_date, staged, failed };

struct StageOutcome {
  StageEnding ending = StageEnding::failed;
  std::string message;  // one line
  std::string commit, version;
  uint64_t bytes = 0;  // downloaded by this fetch
};

const char* to_string(StageEnding ending);

// The running system's fetch: the network is up already (no lota.ip=). Journals the outcome.
StageOutcome stage_update(UpdateContext& ctx, const FetchOptions& options);

// At boot, with the device's keyring `ring`: the staged release checked again from the local repo
// (the key chain kept with it followed again from `ring`) and deployed. `why` says why this boot
// does not pull instead. The staged entry is dropped when it can never pass.
Status deploy_staged(UpdateContext& ctx, const Keyring& ring, const std::string& why);

// Records `commit`, complete in the repository and checked, as staged (ref, kept key chain text,
// journal, in that order). `chain` "" when none was followed.
Status record_staged(UpdateContext& ctx, const std::string& commit, const std::string& version,
                     const std::string& chain);

// Forgets the staged release (the server offers another, or it was deployed): journal entry, ref
// and kept chain.
void drop_staged(UpdateContext& ctx, const std::string& why);

}  // namespace lota
