#include "cli.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "base/file_lock.hpp"
#include "base/flags.hpp"
#include "base/version.hpp"
#include "fetch_command.hpp"
#include "status_command.hpp"
#include "system/cmdline.hpp"
#include "system/config.hpp"
#include "system/root_partition.hpp"
#include "update/bundle.hpp"
#include "update/layout.hpp"
#include "update/pull_job.hpp"
#include "update/remote_check.hpp"
#include "update/repo.hpp"
#include "update/state.hpp"
#include "update/statement.hpp"
#include "update/update.hpp"

namespace lota {
namespace {

// Where lota-init leaves the root partition mounted for the booted system.
constexpr const char* kDefaultPart = "/run/lota/root";

int usage() {
  std::fprintf(stderr,
               "usage: lota [--root DIR] status [--json] | mark-good | rollback | fsck | --version\n"
               "       lota [--root DIR] fetch [--json] [--rate-limit BYTES/S] [--timeout S] [--config FILE]\n"
               "       lota [--root DIR] install BUNDLE\n"
               "       lota check --remote URL [--branch B] [--ca FILE] [--cert FILE --key FILE] [--timeout S]\n"
               "       lota --root DIR boot-flow [--config FILE] [--cmdline TEXT] [--boot-mount DIR] [--device DEV]\n"
               "  --root DIR   the mounted root partition (default %s)\n",
               kDefaultPart);
  return 2;
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "lota: %s\n", msg.c_str());
  return 1;
}

int bad_usage(const Error& error) {
  std::fprintf(stderr, "lota: %s\n", error.message.c_str());
  return usage();
}

// The journal's writers take turns (base/file_lock.hpp); a long lota fetch is said, not a hang.
Result<UniqueFd> wait_for_lock(const Layout& layout) {
  std::string path = layout.state_dir() + "/lock";
  auto now = lock_file(path, false);
  if (now) return now;
  fmt::print(stderr, "lota: waiting for another lota command (a lota fetch?) to finish\n");
  return lock_file(path, true);
}

int mark_good(const Layout& layout) {
  auto state = load_state(layout.state());
  if (!state) return fail(state.error().message);
  if (!state->trial) {
    fmt::print("lota: {} is already confirmed\n", state->deployed ? state->deployed->version : "the system");
    return 0;
  }
  // On trial, no lota fetch runs (it refuses to), so this waits for nothing in practice.
  auto lock = wait_for_lock(layout);
  if (!lock) return fail(lock.error().message);
  state = load_state(layout.state());
  if (!state) return fail(state.error().message);
  if (!state->trial) return 0;
  std::string version = state->deployed ? state->deployed->version : "?";
  state->trial.reset();
  state->add_event(fmt::format("{} confirmed healthy", version));
  if (auto st = save_state(layout.state(), *state); !st) return fail(st.error().message);
  // Free what no kept deployment needs: only lota/deployed and lota/previous hold refs.
  if (auto repo = Repo::open(layout.repo())) {
    (void)repo->set_ref("lota/pending", "");
    if (auto freed = repo->prune()) fmt::print("lota: repository pruned, {} bytes freed\n", *freed);
  }
  fmt::print("lota: {} confirmed healthy\n", version);
  return 0;
}

// lota fsck: every object of the device's repository read back against its checksum, and every
// object the kept versions need present (what `ostree fsck` does; the device has no ostree CLI).
// Exit status 1 when anything is corrupt or missing.
int fsck(const Layout& layout) {
  auto repo = Repo::open(layout.repo());
  if (!repo) return fail(repo.error().message + " - lota fsck needs the root partition (see --root)");
  auto report = repo->fsck();
  if (!report) return fail(report.error().message);
  for (const auto& c : report->corrupt) fmt::print("fsck: corrupt: {}\n", c);
  for (const auto& m : report->missing) fmt::print("fsck: missing: {}\n", m);
  for (const auto& p : report->partial) fmt::print("fsck: partial (a pull to finish): {}\n", p);
  fmt::print("fsck: {} objects, {} commits: {} corrupt, {} missing\n", report->objects, report->commits,
             report->corrupt.size(), report->missing.size());
  if (report->ok()) return 0;
  // The way out: the boot flow's verify fetches a damaged deployed version's objects again.
  return fail(
      "the repository is damaged - boot once with lota.verify=full on the kernel command line to have the "
      "deployed version checked and fetched again from the server, or reflash the device");
}

// lota check --remote URL [--branch B] [--ca F] [--cert F --key F] [--timeout S]: what would
// the device see? Prints the branch's commit, or why it cannot be had.
int check(const std::vector<std::string>& args) {
  Config config;
  auto timeout = [&config](const std::string& v) -> Status {
    config.check_timeout = std::atof(v.c_str());
    return {};
  };
  auto parsed = parse_flags(args, {string_flag("--remote", config.remote),
                                   string_flag("--branch", config.branch),
                                   string_flag("--ca", config.tls.ca),
                                   string_flag("--cert", config.tls.client_cert),
                                   string_flag("--key", config.tls.client_key),
                                   {"--timeout", timeout}});
  if (!parsed) return bad_usage(parsed.error());
  if (config.remote.empty()) return usage();
  auto commit = check_remote(config, config.check_timeout);
  if (!commit) return fail(commit.error().message);
  std::printf("%s\n", commit->c_str());
  return 0;
}

// lota install FILE: an offline bundle (scripts/make-bundle) for the next boot, which checks it as
// a network update and deploys it.
int install(const Layout& layout, const std::string& file) {
  if (auto st = install_bundle(layout, file); !st)
    return fail(st.error().message + " - lota install needs the root partition (see --root) and room on it");
  fmt::print("lota: {} installed: the next boot checks and deploys it\n", file);
  return 0;
}

int request_rollback(const Layout& layout) {
  auto lock = wait_for_lock(layout);
  if (!lock) return fail(lock.error().message);
  auto state = load_state(layout.state());
  if (!state) return fail(state.error().message);
  if (!state->previous) return fail("no previous version to roll back to");
  // A trial with no tries left makes the next boot roll back, through the same path.
  state->trial = Trial{state->deployed ? state->deployed->commit : "", 0};
  state->add_event("rollback requested");
  // A staged release would be deployed right after the rollback: asking for the previous
  // version withdraws it (lota fetch stages it again if wanted).
  bool had_staged = state->staged.has_value();
  if (had_staged) state->add_event(fmt::format("staged {} dropped: rollback requested", state->staged->version));
  state->staged.reset();
  if (auto st = save_state(layout.state(), *state); !st) return fail(st.error().message);
  if (auto repo = Repo::open(layout.repo()); repo && had_staged) (void)repo->set_ref("lota/staged", "");
  fmt::print("lota: the next boot rolls back to {}\n", state->previous->version);
  return 0;
}

// lota --root DIR boot-flow: the update flow lota-init runs at boot (recovery, trial, check,
// pull, deploy, boot set), on a root partition mounted at DIR (with --device DEV, mounted there
// first as lota-init mounts it). For the host tests (which cut it short at every durable step,
// or give it every block-level crash state) and image tooling; not for a running system's root.
int boot_flow(Layout layout, const std::vector<std::string>& args) {
  std::string conf_file, cmdline, device;
  auto parsed = parse_flags(args, {string_flag("--config", conf_file), string_flag("--cmdline", cmdline),
                                   string_flag("--boot-mount", layout.boot_mount), string_flag("--device", device)});
  if (!parsed) return bad_usage(parsed.error());
  std::string conf_text;
  if (!conf_file.empty()) {
    auto text = read_file(conf_file);
    if (!text) return fail(text.error().message);
    conf_text = *text;
  }
  auto loaded = load_config(conf_text, parse_cmdline(cmdline));
  for (const auto& w : loaded.warnings) std::fprintf(stderr, "lota: %s\n", w.c_str());
  // --device: mount the root partition from it first, the way lota-init does.
  if (!device.empty()) {
    if (auto st = mount_root_partition(device, layout.part, loaded.config.rootfstype, loaded.config.rootflags); !st)
      return fail(st.error().message);
  }
  auto out = run_update_flow(loaded.config, layout, "/proc/self/exe");
  fmt::print("boot-flow: {}\n", out.summary);
  if (!out.reboot_into.empty()) fmt::print("boot-flow: reboot into boot set {}\n", out.reboot_into);
  return 0;
}

}  // namespace

int cli_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "pull-job") return pull_job_main({args.begin() + 1, args.end()});
  Layout layout{kDefaultPart};
  if (args.size() >= 2 && args[0] == "--root") {
    layout.part = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty()) return usage();
  const std::string& cmd = args[0];
  if (cmd == "--version") return std::printf("lota %s\n", kVersion) < 0;
  if (cmd == "status") return status_command(layout, args.size() > 1 && args[1] == "--json");
  if (cmd == "fetch") return fetch_command(layout, {args.begin() + 1, args.end()});
  if (cmd == "install" && args.size() == 2) return install(layout, args[1]);
  if (cmd == "mark-good") return mark_good(layout);
  if (cmd == "rollback") return request_rollback(layout);
  if (cmd == "fsck") return fsck(layout);
  if (cmd == "check") return check({args.begin() + 1, args.end()});
  if (cmd == "boot-flow") return boot_flow(layout, {args.begin() + 1, args.end()});
  return usage();
}

}  // namespace lota
