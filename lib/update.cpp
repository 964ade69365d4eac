#include "update.hpp"

#include <glib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include <cctype>

#include "boot_env.hpp"
#include "boot_partition.hpp"
#include "boot_trial.hpp"
#include "bootset.hpp"
#include "clock.hpp"
#include "deploy.hpp"
#include "device.hpp"
#include "disk_space.hpp"
#include "file.hpp"
#include "http.hpp"
#include "ipconfig.hpp"
#include "log.hpp"
#include "mount.hpp"
#include "network.hpp"
#include "pull_job.hpp"
#include "repo.hpp"
#include "state.hpp"
#include "verify.hpp"

namespace lota {
namespace {

double now() {
  return monotonic_seconds();
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool is_checksum(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string short_id(const std::string& c) {
  return c.substr(0, 12);
}

// Records an event in the state and says it on the console; a state that cannot be saved is
// reported but does not stop the boot.
void note(const Layout& l, State& s, const std::string& text) {
  log::info("{}", text);
  s.add_event(text);
  if (auto st = save_state(l.state(), s); !st) log::warn("{}", st.error().message);
}

bool has_boot_partition(const Config& c) {
  return !c.boot.empty() && c.boot != "none";
}

// Read-only until something is written (boot_partition.hpp says why).
Result<BootPartition> mount_boot_partition(const Config& c, const Layout& l) {
  return BootPartition::mount(c.boot, l.boot_mount, 3.0);
}

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

void see_env_at_start(BootView& v, const std::string& boot) {
  if (v.seen) return;
  v.seen = true;
  if (auto env = read_boot_env(boot)) v.seq_at_start = env->seq;
}

void see_env_now(BootView& v, const Config& c, const std::string& boot, const std::string& manifest) {
  auto env = read_boot_env(boot);
  v.active = env ? env->bootset : "boot.1";
  v.written = env && (!v.seq_at_start || env->seq > *v.seq_at_start);
  v.active_holds = boot_set_holds(boot, v.active, manifest);
  v.booted_holds = boot_set_holds(boot, c.booted_set, manifest);
}

// Installs the deployed version's boot set unless it is the active one already, journalled as
// step `bootset`.
Status install_if_needed(const Config& c, const Layout& l, State& s, BootPartition& part,
                         const std::string& manifest) {
  if (boot_set_current(l.boot_mount, manifest) && s.step != Step::bootset) return {};  // no write at all
  s.step = Step::bootset;
  s.pending = s.deployed;
  LOTA_TRY(save_state(l.state(), s));
  auto did = install_boot_set(part, l.sysroot(), manifest, c.booted_set);
  if (!did) return did.error();
  s.step = Step::idle;
  s.pending.reset();
  if (!did->empty()) s.add_event(*did);
  LOTA_TRY(save_state(l.state(), s));
  if (!did->empty()) log::info("{}", *did);
  return {};
}

// Makes the boot partition's active boot set match the deployed sysroot (after a deployment,
// a rollback, or a power cut in between). Runs at every boot; reads two small files and writes
// nothing when the set is already right.
Status sync_boot_set(const Config& c, const Layout& l, State& s, const Repo& repo, BootView& view) {
  if (!has_boot_partition(c) || !s.deployed) return {};
  auto part = mount_boot_partition(c, l);
  if (!part) return part.error();
  see_env_at_start(view, l.boot_mount);
  auto manifest = boot_set_manifest(repo, s.deployed->commit, l.sysroot());
  if (!manifest) return make_error("boot set of {}: {}", s.deployed->version, manifest.error().message);
  auto st = install_if_needed(c, l, s, *part, *manifest);
  see_env_now(view, c, l.boot_mount, *manifest);  // also after a failure: what the env says now
  return st;
}

// With lota.bootset= (booted by the boot script): see whether the set booted is on trial (its
// trial is closed just before switch_root), put a confirmed set that did not load on trial
// again, or roll back the version whose set the boot script gave up on.
void follow_boot_script(const Config& c, const Layout& l, State& s, Repo& repo, BootView& view) {
  if (c.booted_set.empty() || !has_boot_partition(c)) return;
  BootTrial trial = BootTrial::none;
  bool deployed_booted = false;  // the set that booted holds the deployed version's files
  {
    auto part = mount_boot_partition(c, l);
    if (!part) return log::error("{}", part.error().message);
    see_env_at_start(view, l.boot_mount);
    trial = classify_boot_trial(l.boot_mount, c.booted_set);
    view.trial_to_close = trial == BootTrial::confirmed;
    if (s.deployed)
      if (auto m = boot_set_manifest(repo, s.deployed->commit, l.sysroot()))
        deployed_booted = boot_set_holds(l.boot_mount, c.booted_set, *m);
    auto env = read_boot_env(l.boot_mount);
    if (trial == BootTrial::reload && !deployed_booted && env) {
      // A confirmed set the boot script could not load (a bad read, a damaged file): counted
      // again, so that a transient error costs one reboot and a lasting one ends in a fallback.
      Status st = part->writable();
      if (st) st = activate_boot_set(l.boot_mount, env->bootset, env->fallback, true);
      if (!st) return log::error("boot set {}: {}", env->bootset, st.error().message);
      note(l, s,
           fmt::format("the boot script could not load boot set {} and booted {}: {} is on trial again", env->bootset,
                       c.booted_set, env->bootset));
    }
  }
  // A fallback to the deployed version's own set (an env copy lost to a power cut, or a
  // rollback already done) needs no rollback: the boot set sync puts the env right.
  if (trial != BootTrial::fell_back || !s.deployed || deployed_booted) return;
  std::string bad = s.deployed->version;
  log::warn("the boot script fell back to boot set {}: the kernel or initramfs of {} did not boot", c.booted_set, bad);
  if (auto st = rollback(l, s, repo); !st) return log::error("rollback: {}", st.error().message);
  note(l, s,
       fmt::format("{} did not boot (boot script fell back to {}): rolled back to {}; {} will not be installed again",
                   bad, c.booted_set, s.deployed->version, bad));
}

// Just before switch_root: the set this boot came from booted as far as here, so its trial
// (if it is on one) ends now, not earlier: a lota-init that hangs before this point is reset by
// the watchdog and counted by the boot script.
void close_trial_of_booted_set(const Config& c, const Layout& l, State& s, const BootView& view) {
  if (!view.trial_to_close || c.booted_set.empty() || !has_boot_partition(c)) return;
  auto part = mount_boot_partition(c, l);
  if (!part) return log::error("{}", part.error().message);
  auto closed = close_boot_trial(*part, c.booted_set);
  if (!closed) return log::error("boot trial: {}", closed.error().message);
  if (*closed) note(l, s, fmt::format("boot set {} booted: its trial is closed", c.booted_set));
}

// lota.verify=full. Returns false when objects are corrupt and must come from the server again
// (they have been dropped from the repo); a damaged checkout alone is restored here.
bool verify_and_repair_locally(const Layout& l, State& s, Repo& repo) {
  double t0 = now();
  auto report = verify_deployment(repo, s.deployed->commit, l.sysroot());
  if (!report) {
    log::error("verify: {}", report.error().message);
    return true;
  }
  log::info("verify: {} files of {} checked in {:.1f} s: {} damaged, {} corrupt objects", report->files,
            s.deployed->version, now() - t0, report->damaged_paths.size(), report->corrupt_objects.size());
  if (!report->corrupt_objects.empty()) {
    note(l, s,
         fmt::format("{} objects of {} are corrupt (first at {}): fetching them again", report->corrupt_objects.size(),
                     s.deployed->version, report->corrupt_paths[0]));
    if (auto st = drop_corrupt_objects(repo, s.deployed->commit, report->corrupt_objects); !st)
      log::error("{}", st.error().message);
    return false;
  }
  if (!report->damaged_paths.empty()) {
    auto did = restore_deployment(l, s, repo,
                                  fmt::format("{} file(s) of the deployment were changed or removed (first: {})",
                                              report->damaged_paths.size(), report->damaged_paths[0]));
    if (!did)
      log::error("{}", did.error().message);
    else
      log::warn("{}", *did);
  }
  return true;
}

// The deployed version ran out of tries without `lota mark-good`.
bool trial_exhausted(const State& s) {
  return s.trial && s.deployed && s.trial->commit == s.deployed->commit && s.trial->tries_left <= 0;
}

// After a failed update: no half deployment, no staged or unreferenced objects, no delta
// parts - the space is the running system's again. Returns a note on what was freed.
std::string reclaim_space(const Layout& l, State& s, Repo& repo) {
  // Cut inside the swap, both trees may be needed: the next boot's recovery finishes it.
  if (s.step == Step::swap) return "the next boot finishes the swap";
  if (s.step == Step::checkout) {
    if (auto st = remove_tree(l.sysroot_new()); !st) log::warn("{}", st.error().message);
    s.step = Step::idle;
    s.pending.reset();
  }
  (void)remove_tree(l.state_dir() + "/delta");
  // libostree's staging directories keep a cut pull's objects for the next attempt.
  if (g_autoptr(GDir) d = g_dir_open((l.repo() + "/tmp").c_str(), 0, nullptr)) {
    while (const char* name = g_dir_read_name(d))
      if (g_str_has_prefix(name, "staging-")) (void)remove_tree(l.repo() + "/tmp/" + name);
  }
  (void)repo.set_ref("lota/pending", "");
  if (auto freed = repo.prune(); !freed) log::warn("{}", freed.error().message);
  auto after = disk_space(l.part);
  if (!after) return "space reclaimed";
  return fmt::format("space reclaimed: {} MiB and {} inodes free now", after->free_bytes >> 20, after->free_inodes);
}

// Network up, then the remote's answer, inside lota.check_timeout in total.
Result<std::string> network_and_check(const Config& c) {
  const double deadline = now() + c.check_timeout;
  auto ip = parse_ip_config(c.ip);
  if (!ip) return ip.error();
  if (ip->mode != IpConfig::Mode::off) {
    auto up = network_up(*ip, c.iface, c.check_timeout, "/etc/resolv.conf");
    if (!up) return make_error("network: {}", up.error().message);
    log::info("network: {} {} ({})", up->iface, up->address, up->how);
  }
  return check_remote(c, std::max(0.5, deadline - now()));
}

// The deployment and its boot set go together or not at all: before the swap, the checkout's
// boot files must be installable (one kernel, plain files, FAT names) and fit the boot partition.
// Returns why the release can never be installed ("" when it can); an error is a failure of
// this boot (the boot partition did not mount...), and the update is tried again later.
Result<std::string> boot_set_refusal(const Config& c, const Layout& l, const std::string& tree) {
  auto files = boot_files(tree);
  if (!files) return "its boot set cannot be installed: " + files.error().message;
  if (files->empty() || !has_boot_partition(c)) return std::string();
  auto part = mount_boot_partition(c, l);
  if (!part) return part.error();
  if (auto st = check_boot_set_fits(l.boot_mount, *files, c.booted_set); !st)
    return "its boot set does not fit: " + st.error().message;
  return std::string();
}

// Pull, verify, deploy one commit. Errors leave sysroot as it was.
// The floor is judged on what the running system uses: what lota keeps for itself (the parts of
// a cut download, kept to resume it) is given back first when it is what stands in the way.
Status make_room(const Layout& l) {
  auto st = check_free_space(l.part);
  if (st) return st;
  struct stat sb {};
  std::string kept = l.state_dir() + "/delta";
  if (::stat(kept.c_str(), &sb) != 0) return st;
  log::warn("{}; dropping the partial download kept in {} to make room", st.error().message, kept);
  LOTA_TRY(remove_tree(kept));
  return check_free_space(l.part);
}

Status fetch_and_deploy(const Config& c, const Layout& l, State& s, Repo& repo, const std::string& commit,
                        const std::string& key, const std::string& self_exe) {
  LOTA_TRY(make_room(l));
  PullRequest req{l.repo(),
                  {c.remote, key, c.tls_ca, c.tls_cert, c.tls_key},
                  c.branch,
                  commit,
                  s.deployed ? s.deployed->commit : "",
                  l.state_dir() + "/delta"};
  // Always through libostree, even when the commit object is here: a pull cut short leaves
  // the commit marked partial, and the pull completes it.
  auto report = supervise_pull(self_exe, req, {c.pull_timeout, c.stall_timeout});
  if (!report) {
    // A cut download is kept for the next boot to resume, unless it is what filled the disk.
    auto space = disk_space(l.part);
    const std::string& why = report.error().message;
    bool full = why.find("min-free-space") != std::string::npos || why.find("No space left") != std::string::npos;
    // The pull job names /var/tmp (RAM in the initramfs) when that is what ran out.
    if (why.find("/var/tmp, RAM") != std::string::npos)
      return make_error("{} - not the root partition; {}; publish the release with smaller delta parts "
                        "(--max-chunk-size) or give the board more RAM",
                        why, reclaim_space(l, s, repo));
    if (full || (space && space->short_of_room()))
      return make_error(
          "{} - the root partition is too full for this update; {}; free space (e.g. in /var) or grow "
          "the partition",
          why, reclaim_space(l, s, repo));
    return report.error();
  }
  log::info("pull: done, {} bytes in {:.1f} s (pull job peak RSS {} KiB)", report->progress.bytes, report->seconds,
            report->peak_rss_kib);
  if (!key.empty()) {
    LOTA_TRY(repo.verify_signature(commit, key));
    log::info("signature of {} verified (ed25519)", short_id(commit));
  }
  auto info = repo.commit_info(commit);
  if (!info) return info.error();
  if (s.deployed && !c.allow_downgrade) {
    auto cur = repo.commit_info(s.deployed->commit);
    if (cur && info->timestamp < cur->timestamp)
      return make_error(
          "commit {} ({}) is older than the deployed {} - downgrade refused (lota.allow_downgrade=1 "
          "permits it)",
          short_id(commit), info->version, s.deployed->version);
  }
  LOTA_TRY(repo.set_ref("lota/pending", commit));
  bool unbootable = false;  // a release whose boot set cannot be installed: never retried
  auto boot_set_installable = [&](const std::string& tree) -> Status {
    auto refusal = boot_set_refusal(c, l, tree);
    if (!refusal) return refusal.error();
    if (refusal->empty()) return {};
    unbootable = true;
    return Error{*refusal};
  };
  if (auto st = deploy(l, s, repo, Deployment{commit, info->version}, c.tries, boot_set_installable); !st) {
    if (unbootable) s.rejected.push_back(commit);
    std::string note = reclaim_space(l, s, repo);
    (void)save_state(l.state(), s);
    return make_error("{}{}; {}", st.error().message, unbootable ? "; this release will not be installed" : "",
                      note);
  }
  (void)repo.set_ref("lota/pending", "");
  return {};
}

}  // namespace

namespace {

// 32 bytes in base64: 43 characters of the alphabet and one '='.
bool looks_like_key(const std::string& s) {
  if (s.size() != 44 || s.back() != '=') return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(s[i])) && s[i] != '+' && s[i] != '/') return false;
  return true;
}

}  // namespace

Result<std::string> load_sign_key(const std::string& setting) {
  if (setting.empty()) return std::string();
  std::string key = setting;
  // A key may start with '/' too (base64): only what is not a key is taken for a file.
  if (setting[0] == '/' && !looks_like_key(setting)) {
    auto text = read_file(setting);
    if (!text) return make_error("lota.sign_key: {}", text.error().message);
    key = trim(*text);
  }
  if (!looks_like_key(key))
    return make_error("lota.sign_key: not a base64 ed25519 public key (44 characters, from scripts/keygen)");
  return key;
}

Result<std::string> check_remote(const Config& c, double timeout_s) {
  HttpOptions o;
  o.timeout_s = timeout_s;
  o.ca_file = c.tls_ca;
  o.client_cert = c.tls_cert;
  o.client_key = c.tls_key;
  o.max_bytes = 4096;
  auto body = http_get(c.remote + "/refs/heads/" + c.branch, o);
  if (!body) return body.error();
  std::string commit = trim(*body);
  if (!is_checksum(commit))
    return make_error("{}/refs/heads/{} is not a commit checksum - is lota.remote= an OSTree repo?", c.remote,
                      c.branch);
  return commit;
}

namespace {

// Saves the journal; a full partition gets lota's own leftovers reclaimed and one more try.
Status save_with_room(const Layout& l, State& s, Repo& repo) {
  auto st = save_state(l.state(), s);
  if (st) return st;
  log::warn("{}; {}; trying again", st.error().message, reclaim_space(l, s, repo));
  return save_state(l.state(), s);
}

// A try is a boot that switches root into the version on trial: counted just before that. A
// count that cannot be saved would let the version boot for ever unconfirmed: room is made.
void count_trial_boot(const Layout& l, State& s, Repo& repo) {
  if (!s.trial || !s.deployed || s.trial->commit != s.deployed->commit || s.trial->tries_left <= 0) return;
  s.trial->tries_left--;
  std::string text = fmt::format("trial boot of {} ({} left after this one); the system confirms with 'lota mark-good'",
                                 s.deployed->version, s.trial->tries_left);
  log::info("{}", text);
  s.add_event(text);
  if (auto st = save_with_room(l, s, repo); !st) log::error("{}", st.error().message);
}

// The deployed version's trial ran out: roll back. One that fails on the way (no room for the
// journal) gets space reclaimed and another try; the journal then says `rollback`, which the next
// boot finishes. One that cannot be done at all (no previous version on disk) ends the trial,
// or the unconfirmed version would boot for good with no update check ever running again.
void roll_back_unconfirmed(const Layout& l, State& s, Repo& repo) {
  std::string bad = s.deployed->version;
  if (!rollback_possible(l, s)) {
    log::error("{} was never confirmed healthy and a rollback is impossible ({} does not hold the previous version): "
               "{} stays deployed, its trial is ended and update checks resume",
               bad, l.sysroot_old(), bad);
    s.trial.reset();
    s.add_event(fmt::format("rollback from {} impossible: trial ended", bad));
    if (auto saved = save_with_room(l, s, repo); !saved) log::error("{}", saved.error().message);
    return;
  }
  log::warn("{} was never confirmed healthy: rolling back", bad);
  auto st = rollback(l, s, repo);
  if (!st) {
    log::warn("rollback: {}; {}; trying again", st.error().message, reclaim_space(l, s, repo));
    st = rollback(l, s, repo);
  }
  if (st) return log::info("rolled back to {}; {} will not be installed again", s.deployed->version, bad);
  log::error("rollback from {} failed: {}; the next boot finishes it", bad, st.error().message);
}

UpdateOutcome update_flow(const Config& c, const Layout& l, const std::string& self_exe, State& s, Repo& repo,
                          BootView& view) {
  UpdateOutcome out;
  if (auto did = recover(l, s, repo, c.tries); !did)
    log::error("recovery: {}", did.error().message);
  else if (!did->empty())
    log::info("recovery: {}", *did);
  follow_boot_script(c, l, s, repo, view);
  if (trial_exhausted(s)) roll_back_unconfirmed(l, s, repo);
  if (s.step != Step::idle && s.step != Step::bootset) {  // bootset: redone by the sync below
    // A step the journal says is under way could not be finished this boot (e.g. a rollback
    // with no room): nothing else touches the disks; the sysroot there is complete either way.
    log::error("{} is unfinished; booting the sysroot as it is, the next boot finishes it", to_string(s.step));
    return {"step unfinished", false};
  }
  if (auto did = restore_if_damaged(l, s, repo); !did)
    log::error("{}", did.error().message);
  else if (!did->empty())
    log::warn("{}", *did);
  // Every boot: the active boot set must be the deployed version's, whatever was cut short
  // before (a deployment journalled but its boot set not yet written, a rollback, a redo).
  if (auto st = sync_boot_set(c, l, s, repo, view); !st) log::error("{}", st.error().message);

  bool repair = c.verify_full && s.deployed && !verify_and_repair_locally(l, s, repo);
  if (repair && c.remote.empty()) {
    log::error("the deployed version has corrupt files and no lota.remote= to fetch them from - reflash the device");
    return {"corrupt, no remote", false};
  }
  if (c.remote.empty()) return {"no remote configured", false};
  if (s.trial && !repair) {
    note(l, s, fmt::format("{} is on trial: no update check until it is confirmed", s.deployed->version));
    return {"on trial", false};
  }
  auto key = load_sign_key(c.sign_key);
  if (!key) {
    log::error("{} - update check skipped", key.error().message);
    return {"bad sign key", false};
  }
  log::info("checking {} branch {} (budget {:g} s)", c.remote, c.branch, c.check_timeout);
  auto commit = network_and_check(c);
  if (!commit) {
    log::warn("update check failed: {}; booting the current version", commit.error().message);
    return {"check failed", false};
  }
  if (repair) {
    // Fetch the deployed commit's dropped objects again, then check it out afresh.
    PullRequest req{l.repo(), {c.remote, *key, c.tls_ca, c.tls_cert, c.tls_key}, c.branch, s.deployed->commit, "", ""};
    auto report = supervise_pull(self_exe, req, {c.pull_timeout, c.stall_timeout});
    if (!report) {
      log::error("repairing {}: {}; booting it as it is", s.deployed->version, report.error().message);
      return {"repair failed", false};
    }
    auto did = restore_deployment(l, s, repo, "corrupt objects fetched again");
    if (!did)
      log::error("repairing {}: {}", s.deployed->version, did.error().message);
    else
      log::warn("{}", *did);
    return {"repaired", false};
  }
  if (s.deployed && *commit == s.deployed->commit) {
    log::info("up to date: {} ({})", s.deployed->version, short_id(*commit));
    return {"up to date", false};
  }
  if (s.is_rejected(*commit)) {
    log::info("remote offers {} which was rolled back before: ignored until a newer commit", short_id(*commit));
    return {"rejected", false};
  }
  log::info("update available: {} -> {}", s.deployed ? short_id(s.deployed->commit) : "none", short_id(*commit));
  std::string from = s.deployed ? s.deployed->version : "nothing";
  if (auto st = fetch_and_deploy(c, l, s, repo, *commit, *key, self_exe); !st) {
    log::error("update to {} failed: {}; booting {}", short_id(*commit), st.error().message, from);
    s.add_event("update failed: " + st.error().message);
    (void)save_state(l.state(), s);
    return {"update failed", false};
  }
  // The rootfs is switched; a boot set failure leaves step `bootset` for the next boot to redo.
  if (auto st = sync_boot_set(c, l, s, repo, view); !st)
    log::error("{}; the next boot retries it", st.error().message);
  out.summary = fmt::format("updated {} -> {} ({})", from, s.deployed->version, short_id(s.deployed->commit));
  out.deployed_new = true;
  log::info("{}", out.summary);
  return out;
}

// Reboot only into a set this boot made active (an env write that succeeded) and that holds the
// deployed version while the set booted does not: anything else would reboot into the same
// decision again, for ever.
std::string reboot_target(const Config& c, const BootView& v) {
  if (c.booted_set.empty() || !v.written || v.active == c.booted_set || !v.active_holds || v.booted_holds) return "";
  return v.active;
}

}  // namespace

namespace {

// The update flow is an exception boundary: whatever throws in it (a library, the allocator)
// costs one line, and the deployed version boots.
template <class F>
void guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log::error("{}: internal error ({}); booting the deployed version", what, e.what());
  } catch (...) {
    log::error("{}: internal error (unknown exception); booting the deployed version", what);
  }
}

}  // namespace

UpdateOutcome run_update_flow(const Config& c, const Layout& l, const std::string& self_exe) {
  UpdateOutcome out{"internal error", false};
  State s;
  std::optional<Repo> repo;
  BootView view;
  guarded("update flow", [&] {
    auto loaded = load_state(l.state());
    if (!loaded) {
      log::error("{} - booting without updates; delete it to start afresh", loaded.error().message);
      out = {"state unreadable", false};
      return;
    }
    s = std::move(*loaded);
    if (auto st = make_dirs(l.state_dir()); !st) log::warn("{}", st.error().message);
    auto opened = Repo::open_or_create(l.repo());
    if (!opened) {
      log::error("{} - booting without updates", opened.error().message);
      out = {"repository unusable", false};
      return;
    }
    repo.emplace(std::move(*opened));
    out = update_flow(c, l, self_exe, s, *repo, view);
    out.reboot_into = reboot_target(c, view);
  });
  // What every boot that switches root does last, even after an exception in the flow: a boot
  // that always throws must still use up the trial of the version it boots.
  if (repo && out.reboot_into.empty())
    guarded("before switch_root", [&] {
      close_trial_of_booted_set(c, l, s, view);
      count_trial_boot(l, s, *repo);
    });
  return out;
}

}  // namespace lota
