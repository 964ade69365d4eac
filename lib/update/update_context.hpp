// What every phase of the update flow (update.cpp) works on: the settings, the root partition's
// layout, the journal, the repository, and what this boot saw on the boot partition.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "system/config.hpp"
#include "update/layout.hpp"
#include "update/repo.hpp"
#include "update/state.hpp"

namespace lota {

// What this boot saw and did on the boot partition; decides whether lota-init reboots.
struct BootView {
  bool seen = false;
  std::optional<uint64_t> seq_at_start;  // the env as the boot script read it
  std::string active;                    // the set the env names now
  bool written = false;                  // an env write of this boot succeeded
  bool active_holds = false;             // the active set holds the deployed version's files
  bool booted_holds = false;             // so does the set this boot came from
  bool trial_to_close = false;           // the set booted is the active one, on trial
};

struct UpdateContext {
  const Config& config;
  const Layout& layout;
  const std::string& self_exe;  // the pull job is this binary, exec'd afresh
  State& state;
  Repo& repo;
  BootView view;

  // lota.boot= names a boot partition (a board with U-Boot), not "none".
  bool has_boot_partition() const { return !config.boot.empty() && config.boot != "none"; }

  // Says `text` on the console and records it in the journal's events; a journal that cannot be
  // saved is reported and does not stop the boot.
  void say_and_journal(const std::string& text);

  // Saves the journal; a full partition gets lota's own leftovers reclaimed and one more try.
  Status save_journal_making_room();
};

}  // namespace lota
