// Commit objects: read from the repository, or as the server sent them, before they are in any
// repository (the release gate checks those before a byte of content is fetched).
#include <fmt/format.h>
#include <sodium.h>

#include "update/repo.hpp"

namespace lota {
namespace {

// (a{sv}aya(say)sstayay): metadata, parent, related, subject, body, timestamp, root tree, root meta.
CommitInfo info_of(GVariant* commit, const std::string& checksum) {
  CommitInfo info{checksum, {}, ostree_commit_get_timestamp(commit), {}, {}};
  g_autoptr(GVariant) meta = g_variant_get_child_value(commit, 0);
  const char* version = nullptr;
  if (g_variant_lookup(meta, "version", "&s", &version)) info.version = version;
  g_autofree char* parent = ostree_commit_get_parent(commit);
  if (parent) info.parent = parent;
  g_autofree const char** bindings = nullptr;
  if (g_variant_lookup(meta, OSTREE_COMMIT_META_KEY_REF_BINDING, "^a&s", &bindings))
    for (const char** b = bindings; *b; ++b) info.bindings.emplace_back(*b);
  return info;
}

}  // namespace

Result<CommitInfo> Repo::commit_info(const std::string& checksum) const {
  g_autoptr(GVariant) commit = nullptr;
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_load_variant(repo_, OSTREE_OBJECT_TYPE_COMMIT, checksum.c_str(), &commit, &error))
    return gerror(fmt::format("reading commit {}", checksum), error);
  return info_of(commit, checksum);
}

Result<Repo::StoredCommit> Repo::stored_commit(const std::string& checksum) const {
  g_autoptr(GVariant) commit = nullptr;
  OstreeRepoCommitState state{};
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_load_commit(repo_, checksum.c_str(), &commit, &state, &error))
    return gerror(fmt::format("reading commit {}", checksum.substr(0, 12)), error);
  if (state & OSTREE_REPO_COMMIT_STATE_PARTIAL)
    return make_error(ErrorKind::corrupt, "commit {} is partial here (its download did not finish)",
                      checksum.substr(0, 12));
  // Written by whoever wrote this repository (the running system, for a staged release): bounded
  // before it is copied, like the server's (release_gate.hpp).
  if (g_variant_get_size(commit) > (8u << 20))
    return make_error(ErrorKind::trust, "commit {} here is larger than lota reads - refused", checksum.substr(0, 12));
  StoredCommit out;
  out.body.assign(static_cast<const char*>(g_variant_get_data(commit)), g_variant_get_size(commit));
  g_autoptr(GVariant) meta = nullptr;
  if (!ostree_repo_read_commit_detached_metadata(repo_, checksum.c_str(), &meta, nullptr, &error))
    return gerror(fmt::format("reading the signatures of commit {}", checksum.substr(0, 12)), error);
  if (meta && g_variant_get_size(meta) > (64u << 10))
    return make_error(ErrorKind::trust, "the signatures of commit {} here are larger than lota reads - refused",
                      checksum.substr(0, 12));
  if (meta) out.meta.assign(static_cast<const char*>(g_variant_get_data(meta)), g_variant_get_size(meta));
  return out;
}

Result<CommitInfo> Repo::parse_commit(const std::string& bytes, const std::string& checksum) {
  g_autofree char* sum =
      g_compute_checksum_for_data(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
  if (checksum != sum)
    return make_error(ErrorKind::server, "the server's commit object {} hashes to {} (corrupt or hostile server)",
                      checksum.substr(0, 12), std::string(sum).substr(0, 12));
  g_autoptr(GBytes) data = g_bytes_new(bytes.data(), bytes.size());
  g_autoptr(GVariant) commit = g_variant_ref_sink(g_variant_new_from_bytes(OSTREE_COMMIT_GVARIANT_FORMAT, data, FALSE));
  if (!g_variant_is_normal_form(commit))
    return make_error(ErrorKind::server, "the server's commit object {} is malformed", checksum.substr(0, 12));
  return info_of(commit, checksum);
}

// The signed bytes and the signatures over them (a commit's, or one a superblock carries).
// `what`: "commit 0123456789ab", for the error.
Status verify_signed_bytes(GBytes* data, GVariant* signatures, const std::string& key, const std::string& what) {
  if (g_variant_n_children(signatures) > Repo::kMaxSignatures)
    return make_error(ErrorKind::trust, "{} carries {} signatures, more than the {} lota tries - refused", what,
                      g_variant_n_children(signatures), Repo::kMaxSignatures);
  auto verifier = Repo::ed25519_verifier(key);
  if (!verifier) return verifier.error();
  g_autoptr(OstreeSign) sign = *verifier;
  g_autoptr(GError) error = nullptr;
  g_autofree char* message = nullptr;
  if (!ostree_sign_data_verify(sign, data, signatures, &message, &error))
    return gerror(fmt::format("signature of {}", what), error, ErrorKind::trust);
  return {};
}

// With libsodium directly: the bytes were read whole already, and libostree 2022.7's verifier
// leaks per call (tests/lsan.supp), which PID 1 would pay per key and signature.
Status Repo::verify_raw_signatures(const std::string& data, const std::vector<std::string>& signatures,
                                   const std::string& key, const std::string& what) {
  gsize n = 0;
  g_autofree guchar* pk = g_base64_decode(key.c_str(), &n);
  if (n != crypto_sign_PUBLICKEYBYTES || sodium_init() < 0)
    return make_error(ErrorKind::trust, "the public key {} is unusable", key.substr(0, 8));
  for (const auto& sig : signatures)
    if (sig.size() == crypto_sign_BYTES &&
        crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), pk) == 0)
      return {};
  return make_error(ErrorKind::trust, "signature of {}: no valid ed25519 signature by {}", what, key.substr(0, 8));
}

Result<std::vector<std::string>> Repo::commit_signatures(const std::string& detached, const std::string& checksum) {
  g_autoptr(GBytes) meta_data = g_bytes_new(detached.data(), detached.size());
  g_autoptr(GVariant) meta = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE_VARDICT, meta_data, FALSE));
  if (!g_variant_is_normal_form(meta))
    return make_error(ErrorKind::server, "the detached metadata of commit {} is malformed", checksum.substr(0, 12));
  g_autoptr(GVariant) sigs = g_variant_lookup_value(meta, "ostree.sign.ed25519", G_VARIANT_TYPE("aay"));
  if (!sigs)
    return make_error(ErrorKind::trust, "commit {} carries no ed25519 signature - refused", checksum.substr(0, 12));
  if (g_variant_n_children(sigs) > kMaxSignatures)
    return make_error(ErrorKind::trust, "commit {} carries {} signatures, more than the {} lota tries - refused",
                      checksum.substr(0, 12), g_variant_n_children(sigs), kMaxSignatures);
  std::vector<std::string> out;
  for (gsize i = 0; i < g_variant_n_children(sigs); ++i) {
    g_autoptr(GVariant) sig = g_variant_get_child_value(sigs, i);
    gsize n = 0;
    const void* data = g_variant_get_fixed_array(sig, &n, 1);
    out.emplace_back(static_cast<const char*>(data), n);
  }
  return out;
}

}  // namespace lota
