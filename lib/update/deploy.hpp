// Deployments on the root partition: sysroot (booted), sysroot.old (the one before),
// sysroot.new (being checked out). Every change is journalled in the state first and every
// directory move is atomic (rename, or renameat2 RENAME_EXCHANGE), so sysroot is at each
// instant a complete checkout of one commit. Each deployment directory carries its commit in
// the xattr user.lota.commit, which is what recovery trusts.
#pragma once

#include <functional>
#include <string>

#include "base/result.hpp"
#include "update/layout.hpp"
#include "update/repo.hpp"
#include "update/state.hpp"

namespace lota {

// The commit a deployment directory holds ("" when missing or unmarked).
std::string deployment_commit(const std::string& dir);
Status mark_deployment(const std::string& dir, const std::string& commit);

// Finishes or undoes a step that a power cut interrupted, then leaves state.step idle.
// Returns a one-line description of what it did ("" when there was nothing to do).
// A deployment it finishes starts a trial of `tries` boots (each boot that switches root into
// it counts one).
Result<std::string> recover(const Layout& layout, State& state, Repo& repo, int tries);

// Checks the tree checked out for a deployment before it is swapped in (e.g. that its boot set
// can be installed); an error refuses the deployment.
using CheckoutCheck = std::function<Status(const std::string& checkout)>;

// Checks out `target` (already in the repo) as the new sysroot, keeping the current one as
// sysroot.old, and starts a trial of `tries` boots. `check` runs on the checkout before the swap.
Status deploy(const Layout& layout, State& state, Repo& repo, const Deployment& target, int tries,
              const CheckoutCheck& check = {});

// Whether a rollback can be done at all: sysroot or sysroot.old holds the previous version.
bool rollback_possible(const Layout& layout, const State& state);

// Makes sysroot.old the booted deployment again and rejects the one rolled back from. On an
// error after the journal said `rollback`, `state` says so too (retry, or the next boot's
// recovery, finishes it).
Status rollback(const Layout& layout, State& state, Repo& repo);

// If sysroot is missing or holds another commit than the journal says, checks the journal's
// commit out again from the local repository. Returns what it did ("" when nothing).
Result<std::string> restore_if_damaged(const Layout& layout, State& state, Repo& repo);

// Checks the deployed commit out again from the local repository, replacing sysroot atomically.
Result<std::string> restore_deployment(const Layout& layout, State& state, Repo& repo, const std::string& why);

}  // namespace lota
