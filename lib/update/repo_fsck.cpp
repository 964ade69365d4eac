// Repo::fsck: a device has no ostree CLI. Like `ostree fsck` it reads objects back against their
// checksums and walks commits for missing objects; unlike it, it reads every loose object (not
// only those complete commits reach) and walks the commits of lota/* refs.
#include <fmt/format.h>

#include "update/repo.hpp"

namespace lota {
namespace {

// Only these are content-addressed. Detached metadata (.commitmeta) is named after its commit and
// tombstones carry no content; `ostree fsck` skips them too.
bool addressed_by_content(OstreeObjectType type) {
  return type == OSTREE_OBJECT_TYPE_FILE || type == OSTREE_OBJECT_TYPE_DIR_TREE ||
         type == OSTREE_OBJECT_TYPE_DIR_META || type == OSTREE_OBJECT_TYPE_COMMIT;
}

std::string object_name(const char* checksum, OstreeObjectType type) {
  return fmt::format("{}.{}", checksum, ostree_object_type_to_string(type));
}

// Calls fn(checksum, type) for each key of a set of object names (libostree's GVariant "(su)").
template <typename Fn>
Status for_each_object(GHashTable* names, Fn fn) {
  GHashTableIter it;
  gpointer key = nullptr;
  g_hash_table_iter_init(&it, names);
  while (g_hash_table_iter_next(&it, &key, nullptr)) {
    const char* checksum = nullptr;
    OstreeObjectType type;
    ostree_object_name_deserialize(static_cast<GVariant*>(key), &checksum, &type);
    LOTA_TRY(fn(checksum, type));
  }
  return {};
}

Status check_objects(OstreeRepo* repo, FsckReport& report) {
  g_autoptr(GHashTable) objects = nullptr;
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_list_objects(repo, OSTREE_REPO_LIST_OBJECTS_LOOSE, &objects, nullptr, &error))
    return gerror("listing the repository's objects", error);
  return for_each_object(objects, [&](const char* checksum, OstreeObjectType type) -> Status {
    if (!addressed_by_content(type)) return {};
    ++report.objects;
    g_autoptr(GError) bad = nullptr;
    if (!ostree_repo_fsck_object(repo, type, checksum, nullptr, &bad))
      report.corrupt.push_back(fmt::format("{}: {}", object_name(checksum, type), bad ? bad->message : "?"));
    return {};
  });
}

// Every object the commit of `ref` reaches must be there; only lota/pending may be partial.
Status check_ref(OstreeRepo* repo, const std::string& ref, const char* commit, FsckReport& report) {
  g_autoptr(GError) error = nullptr;
  OstreeRepoCommitState state{};
  if (!ostree_repo_load_commit(repo, commit, nullptr, &state, &error)) {
    report.missing.push_back(fmt::format("{}: {}.commit ({})", ref, commit, error->message));
    return {};
  }
  ++report.commits;
  if (state & OSTREE_REPO_COMMIT_STATE_PARTIAL) {
    // Only the pull in progress may be partial; a kept version must be whole to boot or roll back to.
    if (ref == "lota/pending")
      report.partial.push_back(ref);
    else
      report.missing.push_back(fmt::format("{}: {} is marked partial", ref, commit));
    return {};
  }
  g_autoptr(GHashTable) reachable = nullptr;
  if (!ostree_repo_traverse_commit(repo, commit, 0, &reachable, nullptr, &error)) {
    report.missing.push_back(fmt::format("{}: walking {} ({})", ref, commit, error->message));
    return {};
  }
  return for_each_object(reachable, [&](const char* checksum, OstreeObjectType type) -> Status {
    gboolean have = FALSE;
    if (!ostree_repo_has_object(repo, type, checksum, &have, nullptr, &error))
      return gerror(fmt::format("looking up {}", object_name(checksum, type)), error);
    if (!have) report.missing.push_back(fmt::format("{}: {}", ref, object_name(checksum, type)));
    return {};
  });
}

}  // namespace

Result<FsckReport> Repo::fsck() const {
  FsckReport report;
  LOTA_TRY(check_objects(repo_, report));
  g_autoptr(GHashTable) refs = nullptr;
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_list_refs_ext(repo_, "lota", &refs, OSTREE_REPO_LIST_REFS_EXT_NONE, nullptr, &error))
    return gerror("listing the lota/ refs", error);
  GHashTableIter it;
  gpointer name = nullptr, commit = nullptr;
  g_hash_table_iter_init(&it, refs);
  while (g_hash_table_iter_next(&it, &name, &commit))
    LOTA_TRY(check_ref(repo_, static_cast<const char*>(name), static_cast<const char*>(commit), report));
  return report;
}

}  // namespace lota
