// The release gate: before a byte of a release's content is fetched, its commit object and
// detached metadata are read from the server (bounded in bytes and time) and must show a
// signature by the trusted key, a ref binding to the device's branch, and a commit no older than
// the device's floor. A refused release costs the commit object and its signatures.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.hpp"
#include "update/keyring.hpp"
#include "update/repo.hpp"
#include "update/update_context.hpp"

namespace lota {

// A commit lists its objects' sizes (publish --generate-sizes): about 40 bytes per file, so a
// rootfs of 100,000 files stays under this. Detached metadata holds signatures (64 bytes each).
constexpr size_t kMaxCommitBytes = 8u << 20;
constexpr size_t kMaxCommitMetaBytes = 64u << 10;

struct ReleaseFacts {
  CommitInfo info;     // as the signed commit says
  uint64_t bytes = 0;  // downloaded to decide
  std::string signer;  // the key whose signature verified ("" unsigned)
};

// `ring` empty: allow_unsigned=1 (the signature is not checked; the binding and floor are).
// deadline_s: monotonic seconds by which the check is over.
Result<ReleaseFacts> check_release_before_download(const UpdateContext& ctx, const std::string& commit,
                                                   const Keyring& ring, double deadline_s);

// The same checks on a commit's bytes and its detached metadata from elsewhere (a bundle);
// `where` says where, for the console line ("in bundle F").
Result<ReleaseFacts> check_release_bytes(const UpdateContext& ctx, const std::string& commit, const Keyring& ring,
                                         const std::string& body, const std::string& meta, const char* where);

// The same checks on a commit already in the device's repository (staged by `lota fetch` or
// imported from a bundle): nothing the running system or a medium wrote is taken on its word.
Result<ReleaseFacts> check_stored_release(const UpdateContext& ctx, const std::string& commit, const Keyring& ring);

}  // namespace lota
