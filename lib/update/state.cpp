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

json to_json(const std::optional<Floor>& f) {
  if (!f) return nullptr;
  return {{"timestamp", f->timestamp}, {"version", f->version}, {"commit", f->commit}};
}

std::optional<Floor> floor_from(const json& j) {
  if (!j.contains("floor") || j["floor"].is_null()) return std::nullopt;
  const json& f = j["floor"];
  return Floor{static_cast<uint64_t>(integer_field(f, "timestamp", 0, INT64_MAX, 0)), f.value("version", ""),
               f.value("commit", "")};
}

json to_json(const std::optional<StatementSeen>& st) {
  if (!st) return nullptr;
  return {{"branch", st->branch},
          {"published", st->published},
          {"expires", st->expires},
          {"version", st->version},
          {"commit", st->commit}};
}

std::optional<StatementSeen> statement_from(const json& j) {
  if (!j.contains("statement") || j["statement"].is_null()) return std::nullopt;
  const json& st = j["statement"];
  return StatementSeen{st.value("branch", ""), integer_field(st, "published", INT64_MIN, INT64_MAX, 0),
                       integer_field(st, "expires", INT64_MIN, INT64_MAX, 0), st.value("version", ""),
                       st.value("commit", "")};
}

json to_json(const Keyring& ring) {
  json keys = json::array();
  for (const auto& k : ring.keys)
    keys.push_back({{"key", k.key}, {"retired_from", k.retired_from}, {"revoked", k.revoked}});
  return {{"serial", ring.serial}, {"keys", keys}};
}

Keyring keyring_from(const json& j) {
  Keyring ring;
  if (!j.contains("keyring") || j["keyring"].is_null()) return ring;
  const json& r = j["keyring"];
  ring.serial = integer_field(r, "serial", 0, INT64_MAX, 0);
  for (const auto& k : r.at("keys"))
    ring.keys.push_back(
        {k.at("key").get<std::string>(), integer_field(k, "retired_from", 0, INT64_MAX, 0), k.value("revoked", false)});
  return ring;
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

void State::raise_floor(const Floor& f) {
  if (!floor || f.timestamp > floor->timestamp) floor = f;
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
  j["staged"] = to_json(state.staged);
  if (const auto& f = state.last_fetch)
    j["last_fetch"] = {{"time", f->time}, {"result", f->result}, {"message", f->message}, {"bytes", f->bytes}};
  j["trial"] =
      state.trial ? json{{"commit", state.trial->commit}, {"tries_left", state.trial->tries_left}} : json(nullptr);
  j["rejected"] = state.rejected;
  j["floor"] = to_json(state.floor);
  j["statement"] = to_json(state.statement);
  j["keyring"] = to_json(state.keyring);
  j["trust"] = state.trust;
  if (state.floor_unknown) j["floor_unknown"] = true;
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
    state.staged = deployment_from(j, "staged");
    if (j.contains("last_fetch") && j["last_fetch"].is_object()) {
      const json& f = j["last_fetch"];
      state.last_fetch =
          FetchRecord{integer_field(f, "time", INT64_MIN, INT64_MAX, 0), f.value("result", ""), f.value("message", ""),
                      static_cast<uint64_t>(integer_field(f, "bytes", 0, INT64_MAX, 0))};
    }
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
    state.floor = floor_from(j);
    state.statement = statement_from(j);
    state.keyring = keyring_from(j);
    state.trust = j.value("trust", "");
    state.floor_unknown = j.value("floor_unknown", false);
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

std::string trust_record_path(const std::string& state_path) {
  auto slash = state_path.rfind('/');
  return (slash == std::string::npos ? std::string(".") : state_path.substr(0, slash)) + "/trust";
}

namespace {

std::string serialize_trust(const State& state) {
  json j{{"format", kFormat},
         {"floor", to_json(state.floor)},
         {"statement", to_json(state.statement)},
         {"keyring", to_json(state.keyring)},
         {"rejected", state.rejected}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// nullopt when the record is missing; an error when it is there but unreadable.
Result<std::optional<State>> load_trust(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return std::optional<State>();
  auto text = read_file(path);
  if (!text) return text.error();
  try {
    json j = json::parse(*text);
    if (j.value("format", 0) != kFormat) return make_error(ErrorKind::corrupt, "{}: unknown format", path);
    State t;
    t.floor = floor_from(j);
    t.statement = statement_from(j);
    t.keyring = keyring_from(j);
    if (j.contains("rejected")) t.rejected = j["rejected"].get<std::vector<std::string>>();
    return std::optional<State>(std::move(t));
  } catch (const std::exception& e) {
    return make_error(ErrorKind::corrupt, "{} is malformed: {}", path, e.what());
  }
}

void merge_trust(State& state, const State& trust) {
  if (trust.floor) state.raise_floor(*trust.floor);
  if (trust.statement && (!state.statement || trust.statement->published > state.statement->published))
    state.statement = trust.statement;
  if (trust.keyring.serial > state.keyring.serial) state.keyring = trust.keyring;
  for (const auto& c : trust.rejected)
    if (!state.is_rejected(c)) state.rejected.push_back(c);
}

}  // namespace

Result<State> load_state(const std::string& path) {
  struct stat st {};
  bool journal = !(::stat(path.c_str(), &st) != 0 && errno == ENOENT);
  State state;
  if (journal) {
    auto text = read_file(path);
    if (!text) return text.error();
    auto parsed = parse_state(*text);
    if (!parsed) return make_error(ErrorKind::corrupt, "state file {} is {}", path, parsed.error().message);
    state = std::move(*parsed);
  }
  auto trust = load_trust(trust_record_path(path));
  if (trust && *trust) merge_trust(state, **trust);
  // With the journal there, its own copy of the floor stands, and the next save rewrites the
  // record; without it, nothing says how old a release may be, and that is kept in the journal
  // until the record can be read again (a restored one clears it).
  if (trust && *trust)
    state.floor_unknown = false;
  else if (!trust && !journal)
    state.floor_unknown = true;
  return state;
}

Status save_state(const std::string& path, const State& state) {
  // The record first: a cut between the two leaves a floor that is already raised, never one
  // that lags the journal. Rewritten only when it changes (most saves do not touch it).
  std::string record = trust_record_path(path), text = serialize_trust(state);
  auto old = read_file(record);
  if (!state.floor_unknown && (!old || *old != text)) LOTA_TRY(write_file_atomic(record, text));
  return write_file_atomic(path, serialize_state(state));
}

}  // namespace lota
