// The boot environment on the FAT boot partition: which boot set the bootloader boots. FAT has
// no atomic rename, so there are two copies (env.a/lota-env, env.b/lota-env), each with a
// sequence number and a CRC-32; readers take the valid copy with the highest sequence, writers
// overwrite the other one. A torn write therefore only ever damages the copy nobody relies on.
// For that the copies must share no sector: each is a fixed-size record in a directory of its
// own, overwritten in place, so a write touches its data sector and its directory entry and
// never the root directory or the FAT table. The text is U-Boot `env import -t` format
// (key=value lines); see docs/boot-contract.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace lota {

struct BootEnv {
  uint64_t seq = 0;
  std::string bootset;   // directory on the boot partition booted next ("boot.1")
  std::string fallback;  // the set booted when bootset fails ("boot.2"), may be empty
  // bootset is new and has not yet booted as far as lota-init: the bootloader counts its boot
  // attempts (lota-count) and boots the fallback after its limit. lota-init closes the trial.
  bool trial = false;
  bool operator==(const BootEnv&) const = default;
};

// Serialized text, CRC line last; parse checks the CRC and every field.
std::string format_boot_env(const BootEnv& env);
Result<BootEnv> parse_boot_env(const std::string& text);

// The records' names on the boot partition, and their one size (a sector: written whole).
inline constexpr const char* kBootEnvCopyA = "env.a/lota-env";
inline constexpr const char* kBootEnvCopyB = "env.b/lota-env";
inline constexpr size_t kBootRecordSize = 512;

// The newest valid copy in `dir` (nullopt when neither copy is valid or present).
std::optional<BootEnv> read_boot_env(const std::string& dir);
// Writes env with seq = newest + 1 over the older (or invalid) copy, synced.
Status write_boot_env(const std::string& dir, BootEnv env);

// The bootloader's attempt counter for a boot set on trial (U-Boot writes it, lota resets it),
// a record like the env copies.
inline constexpr const char* kBootCountFile = "count/lota-count";

// Writes the record `name` (kBootRecordSize bytes) in `dir` over itself in place, synced;
// creates it (and its directory) only when missing.
Status write_boot_record(const std::string& dir, const std::string& name, const std::string& text);

// The one way lota changes which set boots: `set` active with `fallback` behind it, on trial
// (the boot script counts its attempts and falls back) or not. A trial starts with the attempt
// counter reset (synced): a count left from an earlier trial must never count against it.
Status activate_boot_set(const std::string& dir, const std::string& set, const std::string& fallback, bool trial);

// Ends the trial of the active `set`: the env says so (the counter is left, ignored).
Status close_trial(const std::string& dir, const std::string& set, const std::string& fallback);

}  // namespace lota
