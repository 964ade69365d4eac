#include "update/deploy.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/crash_point.hpp"
#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace lota {
namespace {

constexpr const char* kCommitXattr = "user.lota.commit";

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Makes every write on the partition durable: the checkout's files, then the directory entries.
Status sync_partition(const std::string& part) {
  UniqueFd fd(::open(part.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::syncfs(fd.get()) != 0) return errno_error("syncing {}", part);
  crash_point("synced " + part);
  return {};
}

Status rename_path(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return errno_error("renaming {} to {}", from, to);
  crash_point("renamed " + from + " to " + to);
  return {};
}

Status exchange(const std::string& a, const std::string& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
    return errno_error("exchanging {} and {}", a, b);
  crash_point("exchanged " + a + " and " + b);
  return {};
}

// sysroot.old -> sysroot.trash (atomic), so that an old deployment is never half deleted
// under its own name. A trash left by a power cut is deleted first.
Status retire_old(const Layout& layout) {
  LOTA_TRY(remove_tree(layout.sysroot_trash()));
  if (exists(layout.sysroot_old())) LOTA_TRY(rename_path(layout.sysroot_old(), layout.sysroot_trash()));
  return {};
}

// Idempotent: brings sysroot.new (holding `commit`) in as sysroot and the former sysroot out
// as sysroot.old, from whichever point a previous attempt stopped at.
Status swap_in(const Layout& layout, const std::string& commit) {
  if (deployment_commit(layout.sysroot()) != commit) {
    if (deployment_commit(layout.sysroot_new()) != commit)
      return make_error("{} does not hold {}; cannot finish the swap", layout.sysroot_new(), commit.substr(0, 12));
    LOTA_TRY(retire_old(layout));
    if (exists(layout.sysroot()))
      LOTA_TRY(exchange(layout.sysroot_new(), layout.sysroot()));
    else
      LOTA_TRY(rename_path(layout.sysroot_new(), layout.sysroot()));
  }
  if (exists(layout.sysroot_new())) {
    LOTA_TRY(retire_old(layout));
    LOTA_TRY(rename_path(layout.sysroot_new(), layout.sysroot_old()));
  }
  LOTA_TRY(fsync_dir(layout.part));
  return remove_tree(layout.sysroot_trash());
}

Status checkout_new(const Layout& layout, Repo& repo, const std::string& commit) {
  LOTA_TRY(remove_tree(layout.sysroot_new()));
  LOTA_TRY(repo.checkout(commit, layout.sysroot_new()));
  crash_point("checked out " + layout.sysroot_new());
  LOTA_TRY(mark_deployment(layout.sysroot_new(), commit));
  crash_point("marked " + layout.sysroot_new());
  return sync_partition(layout.part);
}

// The one end of a deployment, for deploy() and for recover() after a cut in the swap: the refs
// first (what prune keeps: the new version and the rollback target), then the journal.
Status finish_deployment(const Layout& layout, State& state, Repo& repo, const Deployment& target, int tries) {
  std::optional<Deployment> current = state.deployed;
  LOTA_TRY(repo.set_ref("lota/deployed", target.commit));
  LOTA_TRY(repo.set_ref("lota/previous", current ? current->commit : ""));
  state.previous = current;
  state.deployed = target;
  state.pending.reset();
  state.step = Step::idle;
  // Counted down by each boot that switches root into it (update.cpp), this one included.
  state.trial = Trial{target.commit, tries};
  state.add_event(
      fmt::format("deployed {} ({}), on trial for {} boot(s)", target.version, target.commit.substr(0, 12), tries));
  return save_state(layout.state(), state);
}

// Refused before the swap: the running version stays whole, rootfs and boot set alike. The
// refusal is what is returned, its kind kept (a release refused for good stays refused), with a
// cleanup that failed added to it: the caller's reclaim, or the next boot's recovery, finishes it.
Error undo_refused_checkout(const Layout& layout, State& state, const Error& refusal) {
  Status st = remove_tree(layout.sysroot_new());
  if (st) {
    state.step = Step::idle;
    state.pending.reset();
    st = save_state(layout.state(), state);
  }
  if (st) return refusal;
  return Error{fmt::format("{}; {}", refusal.message, st.error().message), refusal.kind};
}

}  // namespace

std::string deployment_commit(const std::string& dir) {
  char buf[128];
  ssize_t n = ::getxattr(dir.c_str(), kCommitXattr, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

Status mark_deployment(const std::string& dir, const std::string& commit) {
  if (::setxattr(dir.c_str(), kCommitXattr, commit.data(), commit.size(), 0) != 0)
    return errno_error("marking {} with its commit (the root filesystem needs user xattrs)", dir);
  return {};
}

Status deploy(const Layout& layout, State& state, Repo& repo, const Deployment& target, int tries,
              const CheckoutCheck& check) {
  state.step = Step::checkout;
  state.pending = target;
  LOTA_TRY(save_state(layout.state(), state));
  log::info("deploy: checking out {} ({})", target.version, target.commit.substr(0, 12));
  LOTA_TRY(checkout_new(layout, repo, target.commit));
  if (check)
    if (auto st = check(layout.sysroot_new()); !st) return undo_refused_checkout(layout, state, st.error());

  state.step = Step::swap;
  LOTA_TRY(save_state(layout.state(), state));
  log::info("deploy: checked out; swapping it in as {}", layout.sysroot_name);
  LOTA_TRY(swap_in(layout, target.commit));
  return finish_deployment(layout, state, repo, target, tries);
}

bool rollback_possible(const Layout& layout, const State& state) {
  if (!state.previous) return false;
  const std::string& good = state.previous->commit;
  return deployment_commit(layout.sysroot()) == good || deployment_commit(layout.sysroot_old()) == good;
}

Status rollback(const Layout& layout, State& state, Repo& repo) {
  if (!state.previous) return make_error("no previous deployment to roll back to");
  Deployment bad = state.deployed.value_or(Deployment{});
  Deployment good = *state.previous;
  // Possible at all? Checked before anything is journalled: a rollback that cannot be done must
  // not leave the journal saying one is under way.
  if (!rollback_possible(layout, state))
    return make_error("{} does not hold {} - cannot roll back", layout.sysroot_old(), good.commit.substr(0, 12));
  State next = state;
  next.step = Step::rollback;
  next.pending = good;
  LOTA_TRY(save_state(layout.state(), next));
  // From here `state` is what the journal says: a failure below leaves step `rollback`, which
  // the next attempt (this boot's retry, or the next boot's recovery) finishes.
  state = next;
  if (deployment_commit(layout.sysroot()) != good.commit) {
    LOTA_TRY(exchange(layout.sysroot_old(), layout.sysroot()));
    LOTA_TRY(fsync_dir(layout.part));
  }
  LOTA_TRY(repo.set_ref("lota/deployed", good.commit));
  LOTA_TRY(repo.set_ref("lota/previous", bad.commit));
  next.deployed = good;
  next.previous = bad.commit.empty() ? std::nullopt : std::optional<Deployment>(bad);
  if (!bad.commit.empty() && !next.is_rejected(bad.commit)) next.rejected.push_back(bad.commit);
  next.trial.reset();
  next.pending.reset();
  next.step = Step::idle;
  next.add_event(fmt::format("rolled back from {} ({}) to {} ({})", bad.version, bad.commit.substr(0, 12), good.version,
                             good.commit.substr(0, 12)));
  LOTA_TRY(save_state(layout.state(), next));
  state = std::move(next);
  return {};
}

Result<std::string> recover(const Layout& layout, State& state, Repo& repo, int tries) {
  std::string did;
  switch (state.step) {
    case Step::idle:
      LOTA_TRY(remove_tree(layout.sysroot_trash()));
      return did;
    case Step::checkout:
      // The checkout may be partial: drop it; the update is retried from the repo next time.
      LOTA_TRY(remove_tree(layout.sysroot_new()));
      did = fmt::format("an update to {} was interrupted during checkout; it will be retried",
                        state.pending ? state.pending->version : "?");
      state.pending.reset();
      state.step = Step::idle;
      break;
    case Step::swap: {
      if (!state.pending) return make_error("state says swap but names no commit");
      Deployment target = *state.pending;
      if (deployment_commit(layout.sysroot()) != target.commit &&
          deployment_commit(layout.sysroot_new()) != target.commit) {
        // The checkout never completed: the old sysroot is still intact.
        LOTA_TRY(remove_tree(layout.sysroot_new()));
        state.pending.reset();
        state.step = Step::idle;
        did = "an interrupted swap found no complete new deployment; kept the current one";
        break;
      }
      LOTA_TRY(swap_in(layout, target.commit));
      LOTA_TRY(finish_deployment(layout, state, repo, target, tries));
      did = fmt::format("finished the interrupted deployment of {}", target.version);
      break;
    }
    case Step::rollback: {
      // Re-run the rollback: it checks which directory holds which commit.
      state.step = Step::idle;
      LOTA_TRY(rollback(layout, state, repo));
      did = "finished an interrupted rollback";
      break;
    }
    case Step::bootset:
      // Redone by the caller (update.cpp, sync_boot_set): it needs the boot partition.
      return did;
  }
  state.add_event(did);
  LOTA_TRY(save_state(layout.state(), state));
  return did;
}

Result<std::string> restore_if_damaged(const Layout& layout, State& state, Repo& repo) {
  if (!state.deployed) return std::string();
  const std::string& want = state.deployed->commit;
  if (deployment_commit(layout.sysroot()) == want && exists(layout.sysroot() + "/sbin/init")) return std::string();
  return restore_deployment(layout, state, repo, "sysroot was damaged");
}

Result<std::string> restore_deployment(const Layout& layout, State& state, Repo& repo, const std::string& why) {
  const std::string& want = state.deployed->commit;
  if (!repo.has_commit(want))
    return make_error("sysroot is damaged and commit {} is not in the local repository - reflash the device",
                      want.substr(0, 12));
  LOTA_TRY(checkout_new(layout, repo, want));
  LOTA_TRY(remove_tree(layout.sysroot_trash()));
  if (exists(layout.sysroot())) {
    // Atomic: sysroot is the damaged tree or the fresh one, never nothing.
    LOTA_TRY(exchange(layout.sysroot_new(), layout.sysroot()));
    LOTA_TRY(rename_path(layout.sysroot_new(), layout.sysroot_trash()));
  } else {
    LOTA_TRY(rename_path(layout.sysroot_new(), layout.sysroot()));
  }
  LOTA_TRY(fsync_dir(layout.part));
  LOTA_TRY(remove_tree(layout.sysroot_trash()));
  std::string did = fmt::format("{}; restored {} from the local repository", why, state.deployed->version);
  state.add_event(did);
  LOTA_TRY(save_state(layout.state(), state));
  return did;
}

}  // namespace lota
