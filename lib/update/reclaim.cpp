#include "update/reclaim.hpp"

#include <sys/stat.h>

#include "base/dir_tree.hpp"
#include "base/log.hpp"
#include "update/disk_space.hpp"

namespace lota {
namespace {

// libostree's staging directories keep a cut pull's objects for the next attempt.
void remove_staging_dirs(const std::string& repo_path) {
  for (const std::string& name : list_dir(repo_path + "/tmp"))
    if (name.starts_with("staging-")) (void)remove_tree(repo_path + "/tmp/" + name);
}

}  // namespace

std::string reclaim_space(UpdateContext& ctx) {
  const Layout& layout = ctx.layout;
  State& state = ctx.state;
  // Cut inside the swap, both trees may be needed: the next boot's recovery finishes it.
  if (state.step == Step::swap) return "the next boot finishes the swap";
  if (state.step == Step::checkout) {
    if (auto st = remove_tree(layout.sysroot_new()); !st) log::warn("{}", st.error().message);
    state.step = Step::idle;
    state.pending.reset();
  }
  (void)remove_tree(layout.state_dir() + "/delta");
  remove_staging_dirs(layout.repo());
  (void)ctx.repo.set_ref("lota/pending", "");
  if (auto freed = ctx.repo.prune(); !freed) log::warn("{}", freed.error().message);
  auto after = disk_space(layout.part);
  if (!after) return "space reclaimed";
  return fmt::format("space reclaimed: {} MiB and {} inodes free now", after->free_bytes >> 20, after->free_inodes);
}

Status make_room(const Layout& layout) {
  auto st = check_free_space(layout.part);
  if (st) return st;
  struct stat sb {};
  std::string kept = layout.state_dir() + "/delta";
  if (::stat(kept.c_str(), &sb) != 0) return st;
  log::warn("{}; dropping the partial download kept in {} to make room", st.error().message, kept);
  LOTA_TRY(remove_tree(kept));
  return check_free_space(layout.part);
}

}  // namespace lota
