// The device's OSTree repository (bare mode, on the root partition), through libostree.
// GObjects are owned with g_autoptr; GErrors become lota::Error once, here.
#pragma once

#include <ostree.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "net/http.hpp"

namespace lota {

struct CommitInfo {
  std::string checksum;
  std::string version;  // commit metadata "version"
  uint64_t timestamp = 0;
  std::string parent;
};

struct RemoteSettings {
  std::string url;
  std::string sign_key;  // base64 ed25519 public key; empty: signatures not required
  TlsFiles tls;
};

struct PullProgress {
  uint64_t bytes = 0;
  uint64_t fetched = 0;    // objects + delta parts fetched
  uint64_t requested = 0;  // objects + delta parts known so far
};

// What Repo::fsck found: every loose object read back against its checksum, and every object the
// commit of a lota/* ref reaches present (a kept version's commit must not be partial).
struct FsckReport {
  uint64_t objects = 0;              // objects checked
  uint64_t commits = 0;              // commits of lota/* refs walked
  std::vector<std::string> corrupt;  // "<checksum>.<type>: <why>"
  std::vector<std::string> missing;  // "<ref>: <checksum>.<type>", or a kept commit marked partial
  std::vector<std::string> partial;  // lota/pending when its pull is not finished (not a fault)
  bool ok() const { return corrupt.empty() && missing.empty(); }
};

class Repo {
 public:
  // Opens the repository at path, creating a bare one if there is none.
  static Result<Repo> open_or_create(const std::string& path);
  static Result<Repo> open(const std::string& path);

  Status set_remote(const std::string& name, const RemoteSettings& settings);

  // Pulls exactly `commit` of `branch` from remote `name`; static deltas are used when the
  // server has one from a commit we hold. `on_progress` is called from the pull's main loop.
  Status pull(const std::string& remote, const std::string& branch, const std::string& commit,
              const std::function<void(const PullProgress&)>& on_progress, bool use_deltas = true);

  Result<CommitInfo> commit_info(const std::string& checksum) const;
  bool has_commit(const std::string& checksum) const;

  // The commit must carry a valid ed25519 signature from `public_key` (base64).
  Status verify_signature(const std::string& checksum, const std::string& public_key) const;

  // Hardlink checkout (no copy fallback) of `checksum` into the new directory `dest`.
  Status checkout(const std::string& checksum, const std::string& dest) const;

  // The content checksum of the file at `path` in `commit` ("" when there is none).
  std::string file_checksum(const std::string& commit, const std::string& path) const;

  Status set_ref(const std::string& ref, const std::string& checksum);  // empty checksum deletes
  // Deletes every object not reachable from a ref; returns bytes freed.
  // Deletes every object no lota/* ref needs (remote-tracking refs are dropped first); returns
  // the bytes freed.
  Result<uint64_t> prune();
  Status drop_remote_refs();

  // Reads every object in the repository (repo_fsck.cpp). Slow on a big repo: the CLI and the
  // tests call it, the boot flow does not (lota.verify=full checks the deployed version).
  Result<FsckReport> fsck() const;

  OstreeRepo* get() const { return repo_; }

  Repo(Repo&& o) noexcept : repo_(o.repo_) { o.repo_ = nullptr; }
  Repo& operator=(Repo&&) = delete;
  Repo(const Repo&) = delete;
  ~Repo() { g_clear_object(&repo_); }

 private:
  explicit Repo(OstreeRepo* repo) : repo_(repo) {}
  OstreeRepo* repo_ = nullptr;
};

// "<what>: <GError message>", of the kind the GError says (no space, a network failure), else
// `otherwise`.
Error gerror(const std::string& what, const GError* error, ErrorKind otherwise = ErrorKind::internal);

}  // namespace lota
