#include "update/boot_set_sync.hpp"

#include <algorithm>
#include <vector>

#include "base/log.hpp"
#include "boot/boot_env.hpp"
#include "boot/bootset.hpp"

namespace lota {
namespace {

void see_env_now(BootView& view, const std::string& booted, const std::string& boot, const std::string& manifest) {
  auto env = read_boot_env(boot);
  view.active = env ? env->bootset : "boot.1";
  view.written = env && (!view.seq_at_start || env->seq > *view.seq_at_start);
  view.active_holds = boot_set_holds(boot, view.active, manifest);
  view.booted_holds = boot_set_holds(boot, booted, manifest);
}

// Installs the deployed version's boot set unless it is the active one already.
Status install_if_needed(UpdateContext& ctx, BootPartition& part, const std::string& manifest) {
  State& state = ctx.state;
  const Layout& layout = ctx.layout;
  if (boot_set_current(layout.boot_mount, manifest) && state.step != Step::bootset) return {};  // no write at all
  state.step = Step::bootset;
  state.pending = state.deployed;
  LOTA_TRY(save_state(layout.state(), state));
  auto did = install_boot_set(part, layout.sysroot(), manifest, ctx.config.booted_set);
  if (!did) return did.error();
  state.step = Step::idle;
  state.pending.reset();
  if (!did->empty()) state.add_event(*did);
  LOTA_TRY(save_state(layout.state(), state));
  if (!did->empty()) log::info("{}", *did);
  return {};
}

}  // namespace

Result<BootPartition> mount_boot_partition(const UpdateContext& ctx) {
  return BootPartition::mount(ctx.config.boot, ctx.layout.boot_mount, 3.0);
}

void see_env_at_start(BootView& view, const std::string& boot) {
  if (view.seen) return;
  view.seen = true;
  if (auto env = read_boot_env(boot)) view.seq_at_start = env->seq;
}

Result<std::string> boot_set_manifest(const Repo& repo, const std::string& commit, const std::string& deployment) {
  auto files = boot_files(deployment);
  if (!files) return files.error();
  std::vector<std::string> lines;
  for (const auto& f : *files) {
    std::string sum = repo.file_checksum(commit, f.rel);
    if (sum.empty())
      return make_error(ErrorKind::corrupt, "boot file {} is not commit {}'s", f.rel, commit.substr(0, 12));
    lines.push_back(fmt::format("{} {}\n", f.name, sum));
  }
  std::sort(lines.begin(), lines.end());  // byte order, as `LC_ALL=C sort` in scripts/make-image
  std::string manifest;
  for (const auto& line : lines) manifest += line;
  return manifest;
}

Status sync_boot_set(UpdateContext& ctx) {
  const auto& deployed = ctx.state.deployed;
  if (!ctx.has_boot_partition() || !deployed) return {};
  auto part = mount_boot_partition(ctx);
  if (!part) return part.error();
  const std::string& boot = ctx.layout.boot_mount;
  see_env_at_start(ctx.view, boot);
  auto manifest = boot_set_manifest(ctx.repo, deployed->commit, ctx.layout.sysroot());
  if (!manifest) return manifest.error().with_context("boot set of {}", deployed->version);
  auto st = install_if_needed(ctx, *part, *manifest);
  see_env_now(ctx.view, ctx.config.booted_set, boot, *manifest);  // also after a failure: what the env says now
  return st;
}

Status check_boot_set_installable(const UpdateContext& ctx, const std::string& tree) {
  auto files = boot_files(tree);
  if (!files) return make_error(ErrorKind::refused, "its boot set cannot be installed: {}", files.error().message);
  if (files->empty() || !ctx.has_boot_partition()) return {};
  auto part = mount_boot_partition(ctx);
  if (!part) return part.error();
  if (auto st = check_boot_set_fits(ctx.layout.boot_mount, *files, ctx.config.booted_set); !st)
    return make_error(ErrorKind::refused, "its boot set does not fit: {}", st.error().message);
  return {};
}

std::string reboot_target(const UpdateContext& ctx) {
  const BootView& view = ctx.view;
  const std::string& booted = ctx.config.booted_set;
  if (booted.empty() || !view.written || view.active == booted || !view.active_holds || view.booted_holds) return "";
  return view.active;
}

}  // namespace lota
