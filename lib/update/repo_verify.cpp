#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include "update/repo.hpp"

namespace lota {
namespace {

// Walks a commit's tree and compares each regular file with the deployment's.
struct Walker {
  std::string deployment;
  std::string objects_dir;
  VerifyReport report;

  Status walk(GFile* dir, const std::string& rel) {
    g_autoptr(GError) error = nullptr;
    g_autoptr(GFileEnumerator) it = g_file_enumerate_children(dir, "standard::name,standard::type",
                                                              G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, nullptr, &error);
    if (!it) return gerror(fmt::format("reading {} in the repository", rel.empty() ? "/" : rel), error);
    for (;;) {
      GFileInfo* info = nullptr;
      GFile* child = nullptr;
      if (!g_file_enumerator_iterate(it, &info, &child, nullptr, &error)) return gerror("walking the commit", error);
      if (!info) break;
      std::string path = rel + "/" + g_file_info_get_name(info);
      if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY) {
        LOTA_TRY(walk(child, path));
      } else if (g_file_info_get_file_type(info) == G_FILE_TYPE_REGULAR) {
        check_file(OSTREE_REPO_FILE(child), path);
      }
    }
    return {};
  }

  static std::string checksum_of(const std::string& path) {
    g_autofree char* actual = nullptr;
    if (!ostree_checksum_file_at(AT_FDCWD, path.c_str(), nullptr, OSTREE_OBJECT_TYPE_FILE, OSTREE_CHECKSUM_FLAGS_NONE,
                                 &actual, nullptr, nullptr))
      return "";
    return actual;
  }

  void check_file(OstreeRepoFile* f, const std::string& path) {
    ++report.files;
    std::string sum = ostree_repo_file_get_checksum(f);
    std::string deployed = deployment + path;
    std::string object = fmt::format("{}/{}/{}.file", objects_dir, sum.substr(0, 2), sum.substr(2));
    struct stat d {
    }, o{};
    if (::lstat(deployed.c_str(), &d) != 0 || ::lstat(object.c_str(), &o) != 0) {
      report.damaged_paths.push_back(path);
      return;
    }
    if (d.st_ino != o.st_ino || d.st_dev != o.st_dev) {
      // Not the object's hardlink. libostree copies zero-sized files at checkout instead of
      // linking them; any copy is fine if its content and metadata are the commit's.
      if (!S_ISREG(d.st_mode) || checksum_of(deployed) != sum) report.damaged_paths.push_back(path);
      return;
    }
    if (checksum_of(deployed) != sum) {
      report.corrupt_objects.push_back(sum);
      report.corrupt_paths.push_back(path);
    }
  }
};

}  // namespace

Result<VerifyReport> Repo::verify_deployment(const std::string& commit, const std::string& deployment) const {
  g_autoptr(GFile) root = nullptr;
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_read_commit(repo_, commit.c_str(), &root, nullptr, nullptr, &error))
    return gerror(fmt::format("reading commit {}", commit.substr(0, 12)), error);
  GFile* repo_dir = ostree_repo_get_path(repo_);
  g_autofree char* repo_path = g_file_get_path(repo_dir);
  Walker walker{deployment, std::string(repo_path) + "/objects", {}};
  LOTA_TRY(walker.walk(root, ""));
  return walker.report;
}

Status Repo::drop_corrupt_objects(const std::string& commit, const std::vector<std::string>& objects) {
  g_autoptr(GError) error = nullptr;
  if (!ostree_repo_mark_commit_partial(repo_, commit.c_str(), TRUE, &error))
    return gerror("marking the commit partial", error);
  for (const auto& sum : objects)
    if (!ostree_repo_delete_object(repo_, OSTREE_OBJECT_TYPE_FILE, sum.c_str(), nullptr, &error))
      return gerror(fmt::format("deleting corrupt object {}", sum.substr(0, 12)), error);
  return {};
}

}  // namespace lota
