// lota's journal on the root partition (lota/state, JSON): what is deployed, what was, which
// step of an update was under way, the trial of a new version, rejected versions and recent
// events. Written with write-temp/fsync/rename/fsync-dir before each durable step, so the
// next boot knows where a power cut stopped an update.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "update/keyring.hpp"

namespace lota {

struct Deployment {
  std::string commit;
  std::string version;
  bool operator==(const Deployment&) const = default;
};

enum class Step {
  idle,      // nothing under way
  checkout,  // checking out `pending` into sysroot.new
  swap,      // exchanging sysroot.new with sysroot, then sysroot.new -> sysroot.old
  bootset,   // writing the new boot set and flipping the boot env
  rollback,  // exchanging sysroot.old back to sysroot
};

struct Trial {
  std::string commit;
  int tries_left = 0;
};

// The newest release this device has deployed: nothing older is accepted (unless
// allow_downgrade=1). Commit timestamps, not the clock: a board without an RTC keeps it too.
struct Floor {
  uint64_t timestamp = 0;
  std::string version;
  std::string commit;
};

// The newest signed statement this device has accepted for its branch (update/statement.hpp):
// nothing published before it is taken on that branch.
struct StatementSeen {
  std::string branch;
  int64_t published = 0;
  int64_t expires = 0;
  std::string version;
  std::string commit;
};

// The last `lota fetch` in the running system, for `lota status`.
struct FetchRecord {
  int64_t time = 0;
  std::string result;  // "staged", "up to date" or "failed"
  std::string message;
  uint64_t bytes = 0;
};

struct Event {
  int64_t time = 0;  // seconds since the epoch (may be 1970 on a board without an RTC)
  std::string text;
};

struct State {
  std::optional<Deployment> deployed;  // sysroot
  std::optional<Deployment> previous;  // sysroot.old
  Step step = Step::idle;
  std::optional<Deployment> pending;  // target of the step under way
  // Downloaded and checked by `lota fetch` in the running system (ref lota/staged holds its
  // objects); the next boot checks it again from the local repo and deploys it.
  std::optional<Deployment> staged;
  std::optional<FetchRecord> last_fetch;
  std::optional<Trial> trial;              // a new version not yet confirmed healthy
  std::vector<std::string> rejected;       // commits rolled back from: never pulled again
  std::optional<Floor> floor;              // raised by each deployment, never lowered
  std::optional<StatementSeen> statement;  // raised by each newer statement, never lowered
  Keyring keyring;                         // followed along the server's key chain (update/keyring.hpp)
  std::string trust;                       // how the last boot checked releases, for `lota status`
  std::vector<Event> events;               // newest last, bounded
  // The journal was missing and the trust record (lota/trust) unreadable: the floor is unknown
  // and no update may be accepted until the record is restored (kept in the journal till then;
  // the record is not rewritten meanwhile).
  bool floor_unknown = false;

  void add_event(std::string text);
  void raise_floor(const Floor& f);
  bool is_rejected(const std::string& commit) const;
};

const char* to_string(Step s);

std::string serialize_state(const State& state);
Result<State> parse_state(const std::string& text);

// A missing file is a fresh device (empty state); an unreadable one is an error naming the
// file, and the caller decides (lota-init keeps booting what is there).
// The floors, the keyring and the rejected list are also kept in a trust record next to the journal
// (<dir>/trust), written before it: they survive a journal that is lost or moved aside, and are
// merged back (the higher floor, both lists) when it is read.
Result<State> load_state(const std::string& path);
Status save_state(const std::string& path, const State& state);
std::string trust_record_path(const std::string& state_path);

}  // namespace lota
