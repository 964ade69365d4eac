#include "update/bundle.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "system/mount.hpp"
#include "update/release_gate.hpp"
#include "update/stage.hpp"

namespace lota {
namespace {

constexpr const char* kMediaMount = "/run/lota/media";
// A stick left in after its update: said, not an error.
constexpr const char* kDeployedAlready = "it holds the deployed version";

bool exists(const std::string& path, bool dir) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

std::vector<std::string> usable_keys(const Keyring& ring) {
  std::vector<std::string> keys;
  for (const auto& k : ring.keys)
    if (!k.revoked) keys.push_back(k.key);
  return keys;
}

// The key chain a medium may carry next to the bundle (the publisher's DIR/chain, for devices
// made before a key rotation), followed from the device's own keys; `text` is kept with the
// staged release. The device's ring when there is none or it does not verify.
Keyring along_medium_chain(const std::string& dir, const Keyring& ring, std::string& text) {
  std::string file = dir + "/" + kChainName;
  struct stat st {};
  if (ring.empty() || ::stat(file.c_str(), &st) != 0 || static_cast<size_t>(st.st_size) > kMaxChainBytes) return ring;
  auto chain = read_file(file);
  if (!chain) return ring;
  auto next = follow_chain(ring, *chain);
  if (!next) {
    log::warn("{}: {}; keeping the keys this device has", file, next.error().message);
    return ring;
  }
  text = *chain;
  return *next;
}

// The bundle's checks, then its import. "" when staged; else why not (one line).
std::string import(UpdateContext& ctx, const std::string& file, const Keyring& device_ring) {
  std::string chain;
  auto slash = file.rfind('/');
  Keyring ring = along_medium_chain(file.substr(0, slash == std::string::npos ? 0 : slash), device_ring, chain);
  auto b = Repo::read_bundle(file, usable_keys(ring));
  if (!b) return b.error().message;
  const auto& deployed = ctx.state.deployed;
  if (deployed && deployed->commit == b->to) return kDeployedAlready;
  std::string where = "in bundle " + file;
  auto facts = check_release_bytes(ctx, b->to, ring, b->commit, b->commitmeta, where.c_str());
  if (!facts) return facts.error().message;
  if (!b->from.empty() && !ctx.repo.has_commit(b->from))
    return fmt::format(
        "it updates from {}, which is not on this device - make one --from the deployed commit ({}) or "
        "without --from",
        short_id(b->from), deployed ? short_id(deployed->commit) : "none");
  if (b->has_fallbacks) return "it is not self-contained (made without scripts/make-bundle)";
  if (auto st = ctx.repo.apply_static_delta(file, b->to); !st) return st.error().message;
  if (auto st = ctx.repo.mark_complete(b->to); !st) return st.error().message;
  // What was imported is what was checked: the stored commit must pass the same checks again.
  if (auto again = check_stored_release(ctx, b->to, ring); !again) return again.error().message;
  if (auto st = record_staged(ctx, b->to, facts->info.version, chain); !st) return st.error().message;
  log::info("bundle {}: {} ({}) imported ({} bytes) and staged", file, facts->info.version, short_id(b->to), b->bytes);
  return "";
}

bool take_installed(UpdateContext& ctx, const Keyring& ring) {
  std::string file = installed_bundle(ctx.layout);
  if (!exists(file, false)) return false;
  std::string why = import(ctx, file, ring);
  if (!why.empty()) log::error("bundle {} refused: {}; booting the current version", file, why);
  // Taken or refused: it would be refused again, and it takes room.
  if (::unlink(file.c_str()) == 0) (void)fsync_dir(ctx.layout.state_dir());
  return why.empty();
}

// A medium: a directory as it is, or a block device mounted read-only for the look.
bool take_from_medium(UpdateContext& ctx, const Keyring& ring, const std::string& medium) {
  bool mounted = false;
  std::string dir = medium;
  if (!exists(medium, true)) {
    struct stat st {};
    if (::stat(medium.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return false;
    if (auto st2 = make_dirs(kMediaMount); !st2) return false;
    // Read-only, nothing repaired: the medium is someone else's.
    if (auto m = mount_device(medium, kMediaMount, "", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, ""); !m) {
      log::info("bundle media {}: {}", medium, m.error().message);
      return false;
    }
    mounted = true;
    dir = kMediaMount;
  }
  std::string file = dir + "/" + kBundleName;
  bool staged = false;
  if (exists(file, false)) {
    std::string why = import(ctx, file, ring);
    staged = why.empty();
    if (why == kDeployedAlready)
      log::info("bundle {} on {}: {}", kBundleName, medium, why);
    else if (!staged)
      log::error("bundle {} on {} refused: {}; booting the current version", kBundleName, medium, why);
  }
  if (mounted) ::umount2(kMediaMount, MNT_DETACH);
  return staged;
}

}  // namespace

std::string installed_bundle(const Layout& layout) {
  return layout.state_dir() + "/bundle";
}

bool take_bundles(UpdateContext& ctx, const Keyring& ring) {
  if (take_installed(ctx, ring)) return true;
  for (const auto& medium : ctx.config.bundle_media)
    // Never the device's own partitions (a board whose root is on USB or virtio).
    if (medium != ctx.config.root && medium != ctx.config.boot && take_from_medium(ctx, ring, medium)) return true;
  return false;
}

Status install_bundle(const Layout& layout, const std::string& file) {
  auto text = read_file(file);  // the running system: its memory, not PID 1's
  if (!text) return text.error();
  return write_file_atomic(installed_bundle(layout), *text, 0600);
}

}  // namespace lota
