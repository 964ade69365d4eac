#include "update/state.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/file.hpp"

namespace lota {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxEvents = 32;
constexpr int kFormat = 1;

const std::pair<Step, const char*> kSteps[] = {
    {Step::idle, "idle"},       {Step::checkout, "checkout"}, {Step::swap, "swap"},
    {Step::bootset, "bootset"}, {Step::rollback, "rollback"},
};

json to_json(const std::optional<Deployment>& d) {
  if (!d) return nullptr;
  return {{"commit", d->commit}, {"version", d->version}};
}

// Thrown inside parse_state only (caught there): a field that is present but unusable.
struct BadField : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An integer field within [lo, hi]. nlohmann converts a double (or an out-of-range integer) to
// the target type with a plain cast, which is undefined behaviour; so the type is checked first.
int64_t integer_field(const json& j, const char* key, int64_t lo, int64_t hi, int64_t fallback) {
  if (!j.contains(key)) return fallback;
  const json& v = j[key];
  bool in_range =
      (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(hi)) ||
      (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() >= lo && v.get<int64_t>() <= hi);
  if (!in_range) throw BadField(fmt::format("'{}' is {} (an integer {}..{} is expected)", key, v.dump(), lo, hi));
  return v.get<int64_t>();
}

std::optional<Deployment> deployment_from(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return Deployment{j[key].at("commit").get<std::string>(), j[key].value("version", "")};
}

}  // namespace

const char* to_string(Step wanted) {
  for (auto [step, name] : kSteps)
    if (step == wanted) return name;
  return "idle";
}

void State::add_event(std::string text) {
  events.push_back({static_cast<int64_t>(std::time(nullptr)), std::move(text)});
  if (events.size() > kMaxEvents) events.erase(events.begin(), events.end() - kMaxEvents);
}

bool State::is_rejected(const std::string& commit) const {
  return std::find(rejected.begin(), rejected.end(), commit) != rejected.end();
}

std::string serialize_state(const State& state) {
  json j;
  j["format"] = kFormat;
  j["deployed"] = to_json(state.deployed);
  j["previous"] = to_json(state.previous);
  j["step"] = to_string(state.step);
  j["pending"] = to_json(state.pending);
  j["trial"] =
      state.trial ? json{{"commit", state.trial->commit}, {"tries_left", state.trial->tries_left}} : json(nullptr);
  j["rejected"] = state.rejected;
  json events = json::array();
  for (const auto& e : state.events) events.push_back({{"time", e.time}, {"text", e.text}});
  j["events"] = events;
  // Event texts carry server data (versions, error messages) that need not be UTF-8: replaced,
  // never thrown on (a throw here would lose the journal write).
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<State> parse_state(const std::string& text) {
  // nlohmann throws on bad input; the exception stays inside this function.
  try {
    json j = json::parse(text);
    if (j.value("format", 0) != kFormat)
      return make_error("unknown state format {} (this lota reads {})", j.value("format", 0), kFormat);
    State state;
    state.deployed = deployment_from(j, "deployed");
    state.previous = deployment_from(j, "previous");
    state.pending = deployment_from(j, "pending");
    std::string step = j.value("step", "idle");
    bool known = false;
    for (auto [st, name] : kSteps)
      if (step == name) state.step = st, known = true;
    if (!known) return make_error("unknown step '{}'", step);
    if (j.contains("trial") && !j["trial"].is_null())
      state.trial = Trial{j["trial"].at("commit").get<std::string>(),
                          static_cast<int>(integer_field(j["trial"], "tries_left", 0, 1000, -1))};
    if (state.trial && state.trial->tries_left < 0) throw BadField("trial without 'tries_left'");
    if (j.contains("rejected")) state.rejected = j["rejected"].get<std::vector<std::string>>();
    if (j.contains("events"))
      for (const auto& e : j["events"]) {
        // Events only inform: a bad one is dropped, never a reason to refuse the journal (which
        // would stop updates and rollbacks until someone deletes it by hand).
        if (!e.is_object()) continue;
        try {
          state.events.push_back({integer_field(e, "time", INT64_MIN, INT64_MAX, 0), e.value("text", "")});
        } catch (const std::exception&) {
        }
      }
    return state;
  } catch (const std::exception& e) {
    return make_error("malformed: {}", e.what());
  }
}

Result<State> load_state(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return State{};
  auto text = read_file(path);
  if (!text) return text.error();
  auto state = parse_state(*text);
  if (!state) return make_error(ErrorKind::corrupt, "state file {} is {}", path, state.error().message);
  return state;
}

Status save_state(const std::string& path, const State& state) {
  return write_file_atomic(path, serialize_state(state));
}

}  // namespace lota
