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

struct Event {
  int64_t time = 0;  // seconds since the epoch (may be 1970 on a board without an RTC)
  std::string text;
};

struct State {
  std::optional<Deployment> deployed;  // sysroot
  std::optional<Deployment> previous;  // sysroot.old
  Step step = Step::idle;
  std::optional<Deployment> pending;  // target of the step under way
  std::optional<Trial> trial;         // a new version not yet confirmed healthy
  std::vector<std::string> rejected;  // commits rolled back from: never pulled again
  std::vector<Event> events;          // newest last, bounded

  void add_event(std::string text);
  bool is_rejected(const std::string& commit) const;
};

const char* to_string(Step s);

std::string serialize_state(const State& state);
Result<State> parse_state(const std::string& text);

// A missing file is a fresh device (empty state); an unreadable one is an error naming the
// file, and the caller decides (lota-init keeps booting what is there).
Result<State> load_state(const std::string& path);
Status save_state(const std::string& path, const State& state);

}  // namespace lota
