// The device's OSTree repository (bare mode, on the root partition), through libostree: the one
// place lota calls libostree (repo.cpp: objects and refs; repo_commit.cpp: commit objects and
// their signatures, local or as the server sent them; repo_delta.cpp: static delta superblocks
// and their offline apply; repo_verify.cpp: a deployment against its commit; repo_fsck.cpp: the
// whole repository). GObjects are owned with g_autoptr; GErrors become lota::Error once, here,
// with their kind.
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
  std::vector<std::string> bindings;  // ostree.ref-binding: the branches it was published to
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

// lota.verify=full: every file of the booted deployment checked against the repository at boot.
// A file that is missing or no longer the repository's object (replaced, not hardlinked) means
// the checkout is damaged; a file whose content no longer hashes to its object's checksum means
// the object itself is damaged (the checkout shares its inode): it must come from the server.
struct VerifyReport {
  size_t files = 0;
  std::vector<std::string> damaged_paths;    // missing or replaced in the deployment
  std::vector<std::string> corrupt_objects;  // content checksums of objects that no longer match
  std::vector<std::string> corrupt_paths;    // where they are deployed
  bool ok() const { return damaged_paths.empty() && corrupt_objects.empty(); }
};

// A static delta's superblock as read: signed by the release key (scripts/publish), verified before
// any field is used; its sizes are still bounds to check.
struct DeltaPart {
  std::string checksum;
  uint64_t size = 0;   // as downloaded
  uint64_t usize = 0;  // uncompressed: about what its objects take in the repo
};
struct DeltaSuperblock {
  std::vector<DeltaPart> parts;
  bool has_fallbacks = false;
  bool not_signed = false;  // not signed while a key is required: not read, not used
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

  // A commit object and its detached metadata as stored here, in the form the server serves them
  // (so the release gate judges both the same way). An error when it is missing or partial
  // (a pull that did not finish); `meta` is empty when it has none.
  struct StoredCommit {
    std::string body, meta;
  };
  Result<StoredCommit> stored_commit(const std::string& checksum) const;

  // A commit object as the server sent it, before it is in any repository (repo_commit.cpp): the
  // bytes must hash to `checksum` and be a well-formed commit.
  static Result<CommitInfo> parse_commit(const std::string& bytes, const std::string& checksum);
  // The raw ed25519 signatures its detached metadata (.commitmeta) carries, at most kMaxSignatures.
  static Result<std::vector<std::string>> commit_signatures(const std::string& detached, const std::string& checksum);
  // Raw ed25519 signatures (64 bytes each) of `data` by `key`: one must verify (a statement's).
  static Status verify_raw_signatures(const std::string& data, const std::vector<std::string>& signatures,
                                      const std::string& key, const std::string& what);
  static constexpr size_t kMaxSignatures = 4;
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

  // "deltas/Qk/tuwg...-5ZXY..." for from -> to, as libostree lays them out.
  static std::string static_delta_path(const std::string& from, const std::string& to);

  // Reads a downloaded superblock of the delta at `rel_path` to `to`. With `key` (base64
  // ed25519), the superblock's own signature is verified before any field is read (an unsigned
  // one comes back `not_signed`, unread); it must be for `to` and carry `to`'s commit, signed by
  // `key`. Checked before any part is fetched.
  static Result<DeltaSuperblock> read_delta_superblock(const std::string& file, const std::string& rel_path,
                                                       const std::string& to, const std::string& key);

  // Applies the delta parts downloaded into `dir` (libostree's offline delta API). The commit is
  // marked partial first, so that a cut apply leaves a commit the next pull completes.
  Status apply_static_delta(const std::string& dir, const std::string& to);
  // Clears the partial mark apply_static_delta sets, for a delta that holds everything its commit
  // needs beyond `from` (a bundle: --min-fallback-size=0, no fallbacks), once `from` is here.
  Status mark_complete(const std::string& commit);

  // An offline bundle (scripts/make-bundle): a signed single-file static delta with inline parts.
  // Mapped, not read into memory; the superblock's signature by one of `keys` (none: unsigned,
  // allow_unsigned=1) is verified before any field is read. The commit and its detached metadata
  // come back as bytes for the release gate's checks (release_gate.hpp).
  struct Bundle {
    std::string from;  // "" for a whole commit
    std::string to;
    std::string commit, commitmeta;
    uint64_t bytes = 0;
    bool has_fallbacks = false;  // objects left to fetch from a server: not an offline bundle
  };
  static Result<Bundle> read_bundle(const std::string& file, const std::vector<std::string>& keys);

  // lota.verify=full (repo_verify.cpp).
  Result<VerifyReport> verify_deployment(const std::string& commit, const std::string& deployment) const;
  // Deletes the corrupt objects and marks the commit partial, so that the next pull of that
  // commit fetches them again.
  Status drop_corrupt_objects(const std::string& commit, const std::vector<std::string>& objects);

  // Reads every object in the repository (repo_fsck.cpp). Slow on a big repo: the CLI and the
  // tests call it, the boot flow does not (lota.verify=full checks the deployed version).
  Result<FsckReport> fsck() const;

  Repo(Repo&& o) noexcept : repo_(o.repo_) { o.repo_ = nullptr; }
  Repo& operator=(Repo&&) = delete;
  Repo(const Repo&) = delete;
  ~Repo() { g_clear_object(&repo_); }

 private:
  // libostree's ed25519 verifier holding `key` (base64): for commits here and in delta superblocks.
  // The caller owns it (g_autoptr(OstreeSign)).
  static Result<OstreeSign*> ed25519_verifier(const std::string& key);
  friend Status verify_signed_bytes(GBytes* data, GVariant* signatures, const std::string& key, const std::string& to);

  explicit Repo(OstreeRepo* repo) : repo_(repo) {}
  OstreeRepo* repo_ = nullptr;
};

// "<what>: <GError message>", of the kind the GError says (no space, a network failure), else
// `otherwise`.
Error gerror(const std::string& what, const GError* error, ErrorKind otherwise = ErrorKind::internal);

}  // namespace lota
