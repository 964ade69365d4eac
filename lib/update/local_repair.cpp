#include "update/local_repair.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "update/deploy.hpp"

namespace lota {
namespace {

void restore_checkout(UpdateContext& ctx, const VerifyReport& report) {
  auto did = restore_deployment(ctx.layout, ctx.state, ctx.repo,
                                fmt::format("{} file(s) of the deployment were changed or removed (first: {})",
                                            report.damaged_paths.size(), report.damaged_paths[0]));
  if (!did)
    log::error("{}", did.error().message);
  else
    log::warn("{}", *did);
}

}  // namespace

DeployedHealth verify_and_repair_locally(UpdateContext& ctx) {
  const Deployment deployed = *ctx.state.deployed;  // a copy: restore_deployment rewrites the state
  double start = monotonic_seconds();
  auto report = ctx.repo.verify_deployment(deployed.commit, ctx.layout.sysroot());
  if (!report) {
    log::error("verify: {}", report.error().message);
    return DeployedHealth::sound;  // not known to be damaged: nothing to fetch
  }
  log::info("verify: {} files of {} checked in {:.1f} s: {} damaged, {} corrupt objects", report->files,
            deployed.version, monotonic_seconds() - start, report->damaged_paths.size(),
            report->corrupt_objects.size());
  if (!report->corrupt_objects.empty()) {
    ctx.say_and_journal(fmt::format("{} objects of {} are corrupt (first at {}): fetching them again",
                                    report->corrupt_objects.size(), deployed.version, report->corrupt_paths[0]));
    if (auto st = ctx.repo.drop_corrupt_objects(deployed.commit, report->corrupt_objects); !st)
      log::error("{}", st.error().message);
    return DeployedHealth::needs_objects;
  }
  if (!report->damaged_paths.empty()) restore_checkout(ctx, *report);
  return DeployedHealth::sound;
}

}  // namespace lota
