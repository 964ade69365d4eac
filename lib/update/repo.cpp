#include "update/repo.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <cstring>

#include "base/crash_point.hpp"
#include "base/dir_tree.hpp"

namespace lota {

namespace {

// The kind of a libostree or GIO failure. libostree 2022.7 reports its free-space reserve
// (min-free-space-percent/-size) with glnx_throw, G_IO_ERROR_FAILED and no code of its own: the
// name of the setting in its text is the only signal, read here, once, at the C boundary.
ErrorKind kind_of(const GError* e) {
  if (!e) return ErrorKind::internal;
  if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_NO_SPACE) || g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOSPC) ||
      std::strstr(e->message, "min-free-space-"))
    return ErrorKind::disk_full;
  if (e->domain != G_IO_ERROR) return ErrorKind::internal;
  switch (e->code) {
    case G_IO_ERROR_TIMED_OUT:
    case G_IO_ERROR_HOST_NOT_FOUND:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
    case G_IO_ERROR_CONNECTION_REFUSED:
      return ErrorKind::network;
    default:
      return ErrorKind::internal;
  }
}

}  // namespace

Error gerror(const std::string& what, const GError* error, ErrorKind otherwise) {
  ErrorKind kind = kind_of(error);
  return Error{fmt::format("{}: {}", what, error ? error->message : "unknown error"),
               kind == ErrorKind::internal ? otherwise : kind};
}

Result<Repo> Repo::open_or_create(const std::string& path) {
  if (auto slash = path.rfind('/'); slash != std::string::npos && slash > 0) LOTA_TRY(make_dirs(path.substr(0, slash)));
  g_autoptr(GError) error = nullptr;
  OstreeRepo* repo = ostree_repo_create_at(AT_FDCWD, path.c_str(), OSTREE_REPO_MODE_BARE, nullptr, nullptr, &error);
  if (!repo) return gerror(fmt::format("opening the repository {}", path), error);
  return Repo(repo);
}

Result<Repo> Repo::open(const std::string& path) {
  g_autoptr(GError) error = nullptr;
  OstreeRepo* repo = ostree_repo_open_at(AT_FDCWD, path.c_str(), nullptr, &error);
  if (!repo) return gerror(fmt::format("opening the repository {}", path), error);
  return Repo(repo);
}

Status Repo::set_remote(const std::string& name, const RemoteSettings& s) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  g_variant_builder_add(&b, "{sv}", "gpg-verify", g_variant_new_string("false"));
  g_variant_builder_add(&b, "{sv}", "gpg-verify-summary", g_variant_new_string("false"));
  if (!s.sign_key.empty()) {
    g_variant_builder_add(&b, "{sv}", "sign-verify", g_variant_new_string("ed25519"));
    g_variant_builder_add(&b, "{sv}", "verification-ed25519-key", g_variant_new_string(s.sign_key.c_str()));
  }
  if (!s.tls.ca.empty()) g_variant_builder_add(&b, "{sv}", "tls-ca-path", g_variant_new_string(s.tls.ca.c_str()));
  if (!s.tls.client_cert.empty())
    g_variant_builder_add(&b, "{sv}", "tls-client-cert-path", g_variant_new_string(s.tls.client_cert.c_str()));
  if (!s.tls.client_key.empty())
    g_variant_builder_add(&b, "{sv}", "tls-client-key-path", g_variant_new_string(s.tls.client_key.c_str()));
  g_autoptr(GVariant) options = g_variant_ref_sink(g_variant_builder_end(&b));
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_remote_change(repo_, nullptr, OSTREE_REPO_REMOTE_CHANGE_REPLACE, name.c_str(), s.url.c_str(),
                                 options, nullptr, &error))
    return gerror(fmt::format("configuring remote {}", name), error);
  return {};
}

namespace {

struct ProgressBridge {
  const std::function<void(const PullProgress&)>* callback;
};

void on_progress_changed(OstreeAsyncProgress* p, gpointer user) {
  auto* bridge = static_cast<ProgressBridge*>(user);
  if (!bridge->callback || !*bridge->callback) return;
  guint64 bytes = 0;
  guint fetched = 0, requested = 0, delta_fetched = 0, delta_total = 0;
  ostree_async_progress_get(p, "bytes-transferred", "t", &bytes, "fetched", "u", &fetched, "requested", "u", &requested,
                            "fetched-delta-parts", "u", &delta_fetched, "total-delta-parts", "u", &delta_total,
                            nullptr);
  (*bridge->callback)(PullProgress{bytes, fetched + delta_fetched, requested + delta_total});
}

}  // namespace

Status Repo::pull(const std::string& remote, const std::string& branch, const std::string& commit,
                  const std::function<void(const PullProgress&)>& on_progress, bool use_deltas) {
  g_auto(GVariantBuilder) b;
  g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
  const char* refs[] = {branch.c_str(), nullptr};
  const char* commits[] = {commit.c_str(), nullptr};
  g_variant_builder_add(&b, "{sv}", "refs", g_variant_new_strv(refs, -1));
  g_variant_builder_add(&b, "{sv}", "override-commit-ids", g_variant_new_strv(commits, -1));
  g_variant_builder_add(&b, "{sv}", "flags", g_variant_new_int32(OSTREE_REPO_PULL_FLAGS_NONE));
  g_variant_builder_add(&b, "{sv}", "n-network-retries", g_variant_new_uint32(2));
  if (!use_deltas) g_variant_builder_add(&b, "{sv}", "disable-static-deltas", g_variant_new_boolean(TRUE));
  g_autoptr(GVariant) options = g_variant_ref_sink(g_variant_builder_end(&b));

  ProgressBridge bridge{&on_progress};
  g_autoptr(OstreeAsyncProgress) progress = ostree_async_progress_new_and_connect(on_progress_changed, &bridge);
  g_autoptr(GError) error = nullptr;
  gboolean ok = ostree_repo_pull_with_options(repo_, remote.c_str(), options, progress, nullptr, &error);
  ostree_async_progress_finish(progress);
  if (!ok) return gerror(fmt::format("pulling {} ({})", branch, commit.substr(0, 12)), error);
  crash_point("pulled " + commit.substr(0, 12));
  return {};
}

bool Repo::has_commit(const std::string& checksum) const {
  gboolean has = FALSE;
  return ostree_repo_has_object(repo_, OSTREE_OBJECT_TYPE_COMMIT, checksum.c_str(), &has, nullptr, nullptr) && has;
}

Result<OstreeSign*> Repo::ed25519_verifier(const std::string& key) {
  g_autoptr(GError) error = nullptr;
  g_autoptr(OstreeSign) sign = ostree_sign_get_by_name("ed25519", &error);
  if (!sign) return gerror("ed25519 signatures", error);
  g_autoptr(GVariant) pk = g_variant_ref_sink(g_variant_new_string(key.c_str()));
  if (!ostree_sign_add_pk(sign, pk, &error))
    return gerror("the configured public key (lota.sign_key) is unusable", error, ErrorKind::trust);
  return static_cast<OstreeSign*>(g_steal_pointer(&sign));
}

Status Repo::verify_signature(const std::string& checksum, const std::string& public_key) const {
  auto verifier = ed25519_verifier(public_key);
  if (!verifier) return verifier.error();
  g_autoptr(OstreeSign) sign = *verifier;
  g_autoptr(GError) error = nullptr;
  g_autofree char* message = nullptr;
  if (!ostree_sign_commit_verify(sign, repo_, checksum.c_str(), &message, nullptr, &error))
    return gerror(fmt::format("signature of commit {}", checksum.substr(0, 12)), error, ErrorKind::trust);
  return {};
}

Status Repo::checkout(const std::string& checksum, const std::string& dest) const {
  OstreeRepoCheckoutAtOptions opts = {};
  opts.mode = OSTREE_REPO_CHECKOUT_MODE_NONE;
  opts.overwrite_mode = OSTREE_REPO_CHECKOUT_OVERWRITE_NONE;
  opts.no_copy_fallback = TRUE;  // a copy would let the running system change repo content
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_checkout_at(repo_, &opts, AT_FDCWD, dest.c_str(), checksum.c_str(), nullptr, &error))
    return gerror(fmt::format("checking out {} to {}", checksum.substr(0, 12), dest), error);
  return {};
}

std::string Repo::file_checksum(const std::string& commit, const std::string& path) const {
  g_autoptr(GFile) root = nullptr;
  if (!ostree_repo_read_commit(repo_, commit.c_str(), &root, nullptr, nullptr, nullptr)) return "";
  g_autoptr(GFile) file = g_file_resolve_relative_path(root, path.c_str());
  if (!ostree_repo_file_ensure_resolved(OSTREE_REPO_FILE(file), nullptr)) return "";
  g_autoptr(GFileInfo) info =
      g_file_query_info(file, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, nullptr, nullptr);
  if (!info || g_file_info_get_file_type(info) != G_FILE_TYPE_REGULAR) return "";
  return ostree_repo_file_get_checksum(OSTREE_REPO_FILE(file));
}

Status Repo::set_ref(const std::string& ref, const std::string& checksum) {
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_set_ref_immediate(repo_, nullptr, ref.c_str(), checksum.empty() ? nullptr : checksum.c_str(),
                                     nullptr, &error))
    return gerror(fmt::format("setting ref {}", ref), error);
  crash_point("set ref " + ref);
  return {};
}

Status Repo::drop_remote_refs() {
  g_autoptr(GHashTable) refs = nullptr;
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_list_refs_ext(repo_, nullptr, &refs, OSTREE_REPO_LIST_REFS_EXT_NONE, nullptr, &error))
    return gerror("listing refs", error);
  GHashTableIter it;
  gpointer key = nullptr;
  g_hash_table_iter_init(&it, refs);
  while (g_hash_table_iter_next(&it, &key, nullptr)) {
    std::string name = static_cast<const char*>(key);
    auto colon = name.find(':');
    if (colon == std::string::npos) continue;  // lota's own refs
    std::string remote = name.substr(0, colon), ref = name.substr(colon + 1);
    if (!ostree_repo_set_ref_immediate(repo_, remote.c_str(), ref.c_str(), nullptr, nullptr, &error))
      return gerror(fmt::format("deleting ref {}", name), error);
  }
  return {};
}

Result<uint64_t> Repo::prune() {
  gint total = 0, pruned = 0;
  guint64 freed = 0;
  g_autoptr(GError) error = nullptr;
  // A pull leaves refs/remotes/<remote>/<branch> at what it fetched, which may be a version
  // that was rolled back or never deployed: only lota's refs say what must stay.
  LOTA_TRY(drop_remote_refs());
  if (!ostree_repo_prune(repo_, OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY, 0, &total, &pruned, &freed, nullptr, &error))
    return gerror("pruning the repository", error);
  return static_cast<uint64_t>(freed);
}

}  // namespace lota
