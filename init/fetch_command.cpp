#include "fetch_command.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/file_lock.hpp"
#include "base/flags.hpp"
#include "system/config.hpp"
#include "update/stage.hpp"
#include "update/state.hpp"

namespace lota {
namespace {

constexpr int kExitStaged = 10;

// "200000", "200k", "1.5M": bytes a second.
Result<uint64_t> parse_rate(const std::string& v) {
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  double unit = 1;
  if (end && (*end == 'k' || *end == 'K')) unit = 1024, ++end;
  if (end && (*end == 'm' || *end == 'M')) unit = 1024 * 1024, ++end;
  if (!end || *end != '\0' || end == v.c_str() || !(n > 0) || n * unit > 1e12)
    return make_error("--rate-limit {}: expected bytes a second, e.g. 200k or 2M", v);
  return static_cast<uint64_t>(n * unit);
}

struct FetchArgs {
  std::string config_file = kRunConfig;
  bool json = false;
  uint64_t rate = 0;
  double timeout = 0;
};

Result<FetchArgs> parse_args(const std::vector<std::string>& args) {
  FetchArgs a;
  std::vector<std::string> rest;
  for (const auto& arg : args)
    if (arg == "--json")
      a.json = true;
    else
      rest.push_back(arg);
  auto parsed = parse_flags(rest, {string_flag("--config", a.config_file),
                                   {"--rate-limit",
                                    [&a](const std::string& v) -> Status {
                                      auto r = parse_rate(v);
                                      if (!r) return r.error();
                                      a.rate = *r;
                                      return {};
                                    }},
                                   {"--timeout", [&a](const std::string& v) -> Status {
                                      a.timeout = std::atof(v.c_str());
                                      if (a.timeout <= 0) return make_error("--timeout {}: expected seconds", v);
                                      return {};
                                    }}});
  if (!parsed) return parsed.error();
  return a;
}

std::string human(double b) {
  if (b >= 1024 * 1024) return fmt::format("{:.1f} MiB", b / (1024 * 1024));
  if (b >= 1024) return fmt::format("{:.0f} KiB", b / 1024);
  return fmt::format("{:.0f} B", b);
}

// One line a second: JSON for a program, words for a person.
void show_progress(const PullStatus& s, bool as_json) {
  double rate = static_cast<double>(s.progress.bytes) / std::max(0.001, s.seconds);
  const char* phase = s.applying ? "apply" : "download";
  if (as_json) {
    nlohmann::json j{{"phase", phase},
                     {"bytes", s.progress.bytes},
                     {"total", s.total_bytes ? nlohmann::json(s.total_bytes) : nlohmann::json(nullptr)},
                     {"rate", static_cast<uint64_t>(rate)},
                     {"objects", s.progress.fetched},
                     {"objects_known", s.progress.requested},
                     {"seconds", s.seconds}};
    fmt::print("{}\n", j.dump());
  } else if (s.total_bytes) {
    fmt::print("fetch: {}: {} of {} ({:.0f}%), {}/s\n", phase, human(static_cast<double>(s.progress.bytes)),
               human(static_cast<double>(s.total_bytes)),
               100.0 * static_cast<double>(s.progress.bytes) / static_cast<double>(s.total_bytes), human(rate));
  } else {
    fmt::print("fetch: {}: {}, {}/{} objects, {}/s\n", phase, human(static_cast<double>(s.progress.bytes)),
               s.progress.fetched, s.progress.requested, human(rate));
  }
  std::fflush(stdout);
}

int finish(const StageOutcome& out, bool as_json) {
  if (as_json) {
    nlohmann::json j{{"phase", "done"},      {"result", to_string(out.ending)}, {"message", out.message},
                     {"commit", out.commit}, {"version", out.version},          {"bytes", out.bytes}};
    fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("lota: {}\n", out.message);
  }
  switch (out.ending) {
    case StageEnding::up_to_date:
      return 0;
    case StageEnding::staged:
      return kExitStaged;
    case StageEnding::failed:
      break;
  }
  return 1;
}

}  // namespace

int fetch_command(const Layout& layout, const std::vector<std::string>& args) {
  auto a = parse_args(args);
  if (!a) {
    std::fprintf(stderr,
                 "lota fetch: %s\nusage: lota fetch [--json] [--rate-limit BYTES/S] [--timeout S] [--config FILE]\n",
                 a.error().message.c_str());
    return 2;
  }
  auto fail = [&](const std::string& msg) { return finish({StageEnding::failed, msg, "", "", 0}, a->json); };
  auto text = read_file(a->config_file);
  if (!text)
    return fail(fmt::format("{} - lota fetch takes the settings lota-init booted with from {}, or --config FILE",
                            text.error().message, kRunConfig));
  auto loaded = load_config(*text, {});
  for (const auto& w : loaded.warnings) std::fprintf(stderr, "lota: %s\n", w.c_str());
  // libostree unpacks static deltas into anonymous files in /var/tmp (a fixed path in its
  // libglnx), which a small rootfs may lack; FHS wants it anyway.
  if (auto st = make_dirs("/var/tmp", 01777); !st) return fail(st.error().message);
  auto lock = lock_file(layout.state_dir() + "/lock", false);
  if (!lock) return fail(lock.error().message);
  auto state = load_state(layout.state());
  if (!state) return fail(state.error().message + " - lota fetch needs the root partition (see --root)");
  auto repo = Repo::open(layout.repo());
  if (!repo) return fail(repo.error().message + " - lota fetch needs the root partition (see --root)");
  std::string self = "/proc/self/exe";
  UpdateContext ctx{
      .config = loaded.config, .layout = layout, .self_exe = self, .state = *state, .repo = *repo, .view = {}};
  const bool as_json = a->json;
  PullLimits limits{.deadline_s = a->timeout,
                    .stall_s = loaded.config.stall_timeout,
                    .on_progress = [as_json](const PullStatus& s) { show_progress(s, as_json); }};
  return finish(stage_update(ctx, FetchOptions{limits, a->rate}), as_json);
}

}  // namespace lota
