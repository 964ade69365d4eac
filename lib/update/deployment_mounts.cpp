#include "update/deployment_mounts.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include "base/dir_tree.hpp"
#include "system/mount.hpp"

namespace lota {
namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<std::string> mount_deployment(const Layout& layout, const std::string& deployment, const std::string& target) {
  LOTA_TRY(make_dirs(target));
  LOTA_TRY(mount_fs(deployment, target, "", MS_BIND));
  LOTA_TRY(mount_fs("", target, "", MS_BIND | MS_REMOUNT | MS_RDONLY));
  std::string warning;
  if (is_dir(target + "/var")) {
    std::string var = layout.part + "/var";
    auto st = make_dirs(var);
    if (st) st = mount_fs(var, target + "/var", "", MS_BIND);
    if (!st) warning = st.error().message + "; /var is read-only";
  }
  if (is_dir(target + "/etc")) {
    std::string upper = layout.state_dir() + "/etc/upper", work = layout.state_dir() + "/etc/work";
    auto st = make_dirs(upper);
    if (st) st = make_dirs(work);
    if (st)
      st = mount_fs("overlay", target + "/etc", "overlay", 0,
                    "lowerdir=" + target + "/etc,upperdir=" + upper + ",workdir=" + work);
    if (!st) warning += (warning.empty() ? "" : "; ") + st.error().message + "; /etc is read-only (is overlay loaded?)";
  }
  return warning;
}

}  // namespace lota
