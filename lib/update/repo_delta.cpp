// Static delta superblocks and their offline apply: Repo's part of lota's own delta fetch
// (delta_fetch.hpp), the libostree calls it needs.
#include <fmt/format.h>
#include <sodium.h>

#include "base/crash_point.hpp"
#include "base/file.hpp"
#include "update/repo.hpp"

namespace lota {
namespace {

std::string b64(const std::string& checksum) {
  g_autofree guchar* bytes = ostree_checksum_to_bytes(checksum.c_str());
  g_autofree char* s = ostree_checksum_b64_from_bytes(bytes);
  return s;
}

}  // namespace

// In repo_commit.cpp (a friend of Repo, for the verifier).
Status verify_signed_bytes(GBytes* data, GVariant* signatures, const std::string& key, const std::string& what);

namespace {

// The commit carried in the superblock must be `to` and, with a key, carry a valid signature
// (from the detached metadata the superblock also carries).
Status verify_commit(GVariant* sb, const std::string& path, const std::string& to, const std::string& key) {
  g_autoptr(GVariant) commit = g_variant_get_child_value(sb, 4);
  g_autofree char* sum = g_compute_checksum_for_data(
      G_CHECKSUM_SHA256, static_cast<const guchar*>(g_variant_get_data(commit)), g_variant_get_size(commit));
  if (to != sum)
    return make_error(ErrorKind::server, "the static delta carries commit {}, not {} (corrupt or hostile server)", sum,
                      to);
  if (key.empty()) return {};
  g_autoptr(GVariant) meta = g_variant_get_child_value(sb, 0);
  g_autoptr(GVariant) detached = g_variant_lookup_value(meta, (path + "/commitmeta").c_str(), G_VARIANT_TYPE("a{sv}"));
  g_autoptr(GVariant) sigs =
      detached ? g_variant_lookup_value(detached, "ostree.sign.ed25519", G_VARIANT_TYPE("aay")) : nullptr;
  if (!sigs) return make_error(ErrorKind::trust, "commit {} carries no ed25519 signature - refused", to.substr(0, 12));
  g_autoptr(GBytes) data = g_variant_get_data_as_bytes(commit);
  return verify_signed_bytes(data, sigs, key, fmt::format("commit {}", to.substr(0, 12)));
}

// The part headers: a(uayttay), (version, checksum, size, uncompressed size, objects).
Result<std::vector<DeltaPart>> read_part_headers(GVariant* sb) {
  g_autoptr(GVariant) headers = g_variant_get_child_value(sb, 6);
  std::vector<DeltaPart> parts;
  for (gsize i = 0; i < g_variant_n_children(headers); ++i) {
    g_autoptr(GVariant) h = g_variant_get_child_value(headers, i);
    g_autoptr(GVariant) csum = g_variant_get_child_value(h, 1);
    if (g_variant_n_children(csum) != 32)
      return make_error(ErrorKind::server, "static delta part {} has a malformed checksum", i);
    g_autofree char* checksum = ostree_checksum_from_bytes_v(csum);
    guint64 size = 0, usize = 0;
    g_variant_get_child(h, 2, "t", &size);
    g_variant_get_child(h, 3, "t", &usize);
    // Sizes are in the generator's byte order; deltas published by lota come from little-endian
    // hosts for little-endian boards (see ostree.endianness in the superblock metadata).
    if (size == 0)
      return make_error(ErrorKind::server,
                        "static delta superblock declares an empty part {}: corrupt or hostile server", i);
    parts.push_back({checksum, size, usize});
  }
  return parts;
}

}  // namespace

std::string Repo::static_delta_path(const std::string& from, const std::string& to) {
  std::string f = b64(from);
  return fmt::format("deltas/{}/{}-{}", f.substr(0, 2), f.substr(2), b64(to));
}

namespace {

constexpr uint64_t kSignedMagic = 0x4F535453474E4454;  // "OSTSGNDT", big-endian

bool is_signed(const std::string& data) {
  if (data.size() < 8) return false;
  uint64_t magic = 0;
  for (int i = 0; i < 8; ++i) magic = magic << 8 | static_cast<unsigned char>(data[i]);
  return magic == kSignedMagic;
}

// A signed superblock, (taya{sv}): the magic, the superblock's bytes, and their signatures
// ("ostree.sign.ed25519": aay), as `ostree static-delta generate --sign-type=ed25519` writes it.
// Returns the superblock's bytes once a signature by `key` is verified: no field of it is read
// before.
Result<GBytes*> verified_superblock(const std::string& data, const std::string& key, const std::string& to) {
  g_autoptr(GBytes) bytes = g_bytes_new(data.data(), data.size());
  g_autoptr(GVariant) outer = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE("(taya{sv})"), bytes, FALSE));
  if (!g_variant_is_normal_form(outer))
    return make_error(ErrorKind::server, "signed static delta superblock is malformed");
  g_autoptr(GVariant) inner = g_variant_get_child_value(outer, 1);
  g_autoptr(GVariant) meta = g_variant_get_child_value(outer, 2);
  g_autoptr(GVariant) sigs = g_variant_lookup_value(meta, "ostree.sign.ed25519", G_VARIANT_TYPE("aay"));
  g_autoptr(GBytes) signed_bytes = g_variant_get_data_as_bytes(inner);
  if (!key.empty()) {
    if (!sigs)
      return make_error(ErrorKind::trust, "static delta superblock to {} carries no ed25519 signature - refused",
                        to.substr(0, 12));
    LOTA_TRY(verify_signed_bytes(signed_bytes, sigs, key,
                                 fmt::format("the static delta superblock to {}", to.substr(0, 12))));
  }
  return static_cast<GBytes*>(g_steal_pointer(&signed_bytes));
}

}  // namespace

// (a{sv}tayay<commit>aya(uayttay)a(yaytt)): metadata, timestamp, from, to, the commit, its
// parents' deltas, the part headers, the fallback objects.
Result<DeltaSuperblock> Repo::read_delta_superblock(const std::string& file, const std::string& rel_path,
                                                    const std::string& to, const std::string& key) {
  auto data = read_file(file);
  if (!data) return data.error();
  // Nothing unsigned steers the download: with a key, an unsigned superblock is not used (the
  // caller pulls objects, each checked against the verified commit).
  if (!is_signed(*data) && !key.empty())
    return DeltaSuperblock{.parts = {}, .has_fallbacks = false, .not_signed = true};
  g_autoptr(GBytes) bytes = nullptr;
  if (is_signed(*data)) {
    auto verified = verified_superblock(*data, key, to);
    if (!verified) return verified.error();
    bytes = *verified;
  } else {
    bytes = g_bytes_new(data->data(), data->size());
  }
  g_autoptr(GVariant) sb = g_variant_ref_sink(
      g_variant_new_from_bytes(G_VARIANT_TYPE("(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))"), bytes, FALSE));
  if (!g_variant_is_normal_form(sb)) return make_error(ErrorKind::server, "static delta superblock is malformed");
  g_autoptr(GVariant) to_v = g_variant_get_child_value(sb, 3);
  if (g_variant_n_children(to_v) != 32) return make_error(ErrorKind::server, "static delta superblock is malformed");
  g_autofree char* to_sum = ostree_checksum_from_bytes_v(to_v);
  if (to != to_sum) return make_error(ErrorKind::server, "static delta superblock is for {}, not {}", to_sum, to);
  LOTA_TRY(verify_commit(sb, rel_path, to, key));
  auto parts = read_part_headers(sb);
  if (!parts) return parts.error();
  g_autoptr(GVariant) fallbacks = g_variant_get_child_value(sb, 7);
  return DeltaSuperblock{.parts = std::move(*parts), .has_fallbacks = g_variant_n_children(fallbacks) > 0};
}

Status Repo::apply_static_delta(const std::string& dir, const std::string& to) {
  g_autoptr(GError) error = nullptr;
  // The superblock writes the commit object before the parts' objects: mark it partial so
  // that an interruption leaves a commit libostree's pull knows to complete.
  if (!ostree_repo_mark_commit_partial(repo_, to.c_str(), TRUE, &error))
    return gerror("marking the commit partial", error);
  crash_point("marked the commit partial");
  if (!ostree_repo_prepare_transaction(repo_, nullptr, nullptr, &error))
    return gerror("starting a repository transaction", error);
  g_autoptr(GFile) file = g_file_new_for_path(dir.c_str());
  if (!ostree_repo_static_delta_execute_offline(repo_, file, FALSE, nullptr, &error)) {
    ostree_repo_abort_transaction(repo_, nullptr, nullptr);
    return gerror("applying the static delta", error);
  }
  if (!ostree_repo_commit_transaction(repo_, nullptr, nullptr, &error))
    return gerror("committing the repository transaction", error);
  crash_point("committed the static delta's objects");
  return {};
}

}  // namespace lota

namespace lota {
namespace {

constexpr const char* kSuperblockType = "(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))";

std::string checksum_of(GVariant* ay) {
  if (g_variant_n_children(ay) != 32) return "";
  g_autofree char* s = ostree_checksum_from_bytes_v(ay);
  return s;
}

// One pass over the keys (libsodium, as for the statements: libostree 2022.7's verifier leaks
// per call); the bytes stay mapped.
bool signed_by(GBytes* data, GVariant* sigs, const std::vector<std::string>& keys) {
  if (!sigs || sodium_init() < 0 || g_variant_n_children(sigs) > Repo::kMaxSignatures) return false;
  gsize len = 0;
  auto* msg = static_cast<const unsigned char*>(g_bytes_get_data(data, &len));
  for (const auto& key : keys) {
    gsize n = 0;
    g_autofree guchar* pk = g_base64_decode(key.c_str(), &n);
    if (n != crypto_sign_PUBLICKEYBYTES) continue;
    for (gsize i = 0; i < g_variant_n_children(sigs); ++i) {
      g_autoptr(GVariant) sig = g_variant_get_child_value(sigs, i);
      gsize sn = 0;
      const void* s = g_variant_get_fixed_array(sig, &sn, 1);
      if (sn == crypto_sign_BYTES &&
          crypto_sign_verify_detached(static_cast<const unsigned char*>(s), msg, len, pk) == 0)
        return true;
    }
  }
  return false;
}

// The superblock's bytes inside the signed wrapper, once a signature verified.
Result<GBytes*> verified_bundle(GBytes* file, const std::vector<std::string>& keys) {
  gsize len = 0;
  const char* p = static_cast<const char*>(g_bytes_get_data(file, &len));
  if (!is_signed(std::string(p, std::min<gsize>(len, 8))))
    return make_error(ErrorKind::trust, "not a signed bundle (scripts/make-bundle signs it with the release key)");
  g_autoptr(GVariant) outer = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE("(taya{sv})"), file, FALSE));
  if (!g_variant_is_normal_form(outer)) return make_error(ErrorKind::corrupt, "the bundle is malformed (cut short?)");
  g_autoptr(GVariant) inner = g_variant_get_child_value(outer, 1);
  g_autoptr(GVariant) meta = g_variant_get_child_value(outer, 2);
  g_autoptr(GVariant) sigs = g_variant_lookup_value(meta, "ostree.sign.ed25519", G_VARIANT_TYPE("aay"));
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes(inner);
  if (!keys.empty() && !signed_by(bytes, sigs, keys))
    return make_error(ErrorKind::trust, "the bundle is not signed by a key this device trusts - refused");
  return static_cast<GBytes*>(g_steal_pointer(&bytes));
}

}  // namespace

Status Repo::mark_complete(const std::string& commit) {
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_mark_commit_partial(repo_, commit.c_str(), FALSE, &error))
    return gerror("marking the commit complete", error);
  return {};
}

Result<Repo::Bundle> Repo::read_bundle(const std::string& file, const std::vector<std::string>& keys) {
  g_autoptr(GError) error = nullptr;
  g_autoptr(GMappedFile) mapped = g_mapped_file_new(file.c_str(), FALSE, &error);
  if (!mapped) return make_error(ErrorKind::corrupt, "reading {}: {}", file, error->message);
  g_autoptr(GBytes) data = g_mapped_file_get_bytes(mapped);
  auto verified = verified_bundle(data, keys);
  if (!verified) return verified.error();
  g_autoptr(GBytes) inner = *verified;
  g_autoptr(GVariant) sb = g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(kSuperblockType), inner, FALSE));
  if (!g_variant_is_normal_form(sb)) return make_error(ErrorKind::corrupt, "the bundle's superblock is malformed");
  g_autoptr(GVariant) from_v = g_variant_get_child_value(sb, 2);
  g_autoptr(GVariant) to_v = g_variant_get_child_value(sb, 3);
  g_autoptr(GVariant) commit = g_variant_get_child_value(sb, 4);
  Bundle b{.from = g_variant_n_children(from_v) ? checksum_of(from_v) : "",
           .to = checksum_of(to_v),
           .commit = {},
           .commitmeta = {},
           .bytes = g_bytes_get_size(data)};
  if (b.to.empty()) return make_error(ErrorKind::corrupt, "the bundle's superblock is malformed");
  g_autoptr(GVariant) fallbacks = g_variant_get_child_value(sb, 7);
  b.has_fallbacks = g_variant_n_children(fallbacks) > 0;
  b.commit.assign(static_cast<const char*>(g_variant_get_data(commit)), g_variant_get_size(commit));
  std::string to64 = b64(b.to);
  std::string rel =
      b.from.empty() ? fmt::format("deltas/{}/{}", to64.substr(0, 2), to64.substr(2)) : static_delta_path(b.from, b.to);
  g_autoptr(GVariant) meta = g_variant_get_child_value(sb, 0);
  g_autoptr(GVariant) detached = g_variant_lookup_value(meta, (rel + "/commitmeta").c_str(), G_VARIANT_TYPE("a{sv}"));
  if (detached)
    b.commitmeta.assign(static_cast<const char*>(g_variant_get_data(detached)), g_variant_get_size(detached));
  return b;
}

}  // namespace lota
