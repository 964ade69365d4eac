#include "status_command.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/file.hpp"
#include "system/cmdline.hpp"
#include "update/state.hpp"
#include "update/statement.hpp"

namespace lota {
namespace {

using json = nlohmann::json;
constexpr int kSchema = 1;

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// What the boot script passed (U-Boot boards): the set this boot came from, and its attempt.
struct BootSet {
  std::string set, attempt;
};

std::optional<BootSet> booted_set() {
  auto cmdline = read_file("/proc/cmdline");
  if (!cmdline) return std::nullopt;
  BootSet b;
  for (const auto& p : parse_cmdline(*cmdline)) {
    if (p.key == "lota.bootset") b.set = p.value.value_or("");
    if (p.key == "lota.bootcount") b.attempt = p.value.value_or("");
  }
  if (b.set.empty()) return std::nullopt;
  return b;
}

json deployment(const std::optional<Deployment>& d) {
  if (!d) return nullptr;
  return {{"version", d->version}, {"commit", d->commit}};
}

// This boot's check as lota-init left it in /run (RAM: nothing is written to flash for it).
json boot_check() {
  auto text = read_file(kRunBootCheck);
  if (!text) return nullptr;
  json j = json::parse(*text, nullptr, false);
  return j.is_object() ? j : json(nullptr);
}

json to_json(const State& s) {
  json j{{"schema", kSchema},
         {"deployed", deployment(s.deployed)},
         {"previous", deployment(s.previous)},
         {"staged", deployment(s.staged)},
         {"trial", s.trial ? json{{"commit", s.trial->commit}, {"boots_left", s.trial->tries_left}} : json(nullptr)},
         {"step", to_string(s.step)},
         {"boot_set", nullptr},
         {"last_check", boot_check()},
         {"last_fetch", nullptr},
         {"floor",
          s.floor ? json{{"version", s.floor->version}, {"commit", s.floor->commit}, {"timestamp", s.floor->timestamp}}
                  : json(nullptr)},
         {"statement", nullptr},
         {"trust", s.trust},
         {"rejected", s.rejected},
         {"events", json::array()}};
  if (auto b = booted_set()) j["boot_set"] = {{"booted", b->set}, {"attempt", b->attempt}};
  if (const auto& f = s.last_fetch)
    j["last_fetch"] = {{"time", f->time}, {"result", f->result}, {"message", f->message}, {"bytes", f->bytes}};
  if (const auto& st = s.statement)
    j["statement"] = {{"version", st->version},
                      {"commit", st->commit},
                      {"published", st->published},
                      {"expires", st->expires},
                      {"expired", !statement_expiry(*st, std::time(nullptr)).empty()}};
  for (const auto& e : s.events) j["events"].push_back({{"time", e.time}, {"text", e.text}});
  return j;
}

std::string dep(const std::optional<Deployment>& d) {
  return d ? fmt::format("{} ({})", d->version, d->commit.substr(0, 12)) : std::string("none");
}

void print_words(const State& s) {
  fmt::print("deployed: {}\nprevious: {}\n", dep(s.deployed), dep(s.previous));
  if (s.staged) fmt::print("staged:   {} (the next boot deploys it)\n", dep(s.staged));
  if (s.trial)
    fmt::print("trial:    {} boot(s) left to confirm (lota mark-good)\n", s.trial->tries_left);
  else
    fmt::print("trial:    none (confirmed)\n");
  fmt::print("step:     {}\nrejected: {}\n", to_string(s.step), s.rejected.size());
  if (s.floor) fmt::print("floor:    {} (nothing older is installed)\n", s.floor->version);
  if (!s.trust.empty()) fmt::print("trust:    {}\n", s.trust);
  if (const auto& st = s.statement) {
    fmt::print("server:   statement for {} ({}) published {}, expires {}\n", st->version, st->commit.substr(0, 12),
               utc_time(st->published), utc_time(st->expires));
    if (auto expired = statement_expiry(*st, std::time(nullptr)); !expired.empty())
      fmt::print("          {} (as of the last check)\n", expired);
  }
  if (auto check = boot_check(); check.is_object())
    fmt::print("check:    this boot: {}\n", check.value("summary", "?"));
  if (const auto& f = s.last_fetch) fmt::print("fetch:    {} ({}): {}\n", f->result, utc_time(f->time), f->message);
  if (auto b = booted_set())
    fmt::print("boot set: {} (boot script attempt {} of this set; 0: not on trial)\n", b->set,
               b->attempt.empty() ? "?" : b->attempt);
  for (const auto& e : s.events) fmt::print("  event: {}\n", e.text);
}

}  // namespace

int status_command(const Layout& layout, bool as_json) {
  // A fresh device has its repository from the factory image; no journal is not "nothing here".
  if (!is_dir(layout.state_dir()) && !is_dir(layout.repo())) {
    std::fprintf(stderr,
                 "lota: no lota root partition at %s (neither lota/ nor ostree/repo/ is there) - run it on a device "
                 "booted by lota-init, or pass --root DIR, where the root partition is mounted\n",
                 layout.part.c_str());
    return 1;
  }
  auto state = load_state(layout.state());
  if (!state) {
    std::fprintf(stderr, "lota: %s - lota status needs the root partition (see --root)\n",
                 state.error().message.c_str());
    return 1;
  }
  if (as_json)
    fmt::print("{}\n", to_json(*state).dump(2, ' ', false, json::error_handler_t::replace));
  else
    print_words(*state);
  return 0;
}

}  // namespace lota
