#include "boot_trial.hpp"

#include <unistd.h>

#include "boot_env.hpp"
#include "boot_partition.hpp"
#include "unique_fd.hpp"

namespace lota {

Result<BootTrial> settle_boot_trial(BootPartition& part, const std::string& booted) {
  const std::string& boot = part.path();
  auto env = read_boot_env(boot);
  if (!env || booted.empty()) return BootTrial::none;
  if (env->trial && booted == env->bootset) {
    // lota-init runs: this set's kernel and initramfs work. The rootfs has its own trial.
    LOTA_TRY(part.writable());
    LOTA_TRY(write_boot_env(boot, BootEnv{0, env->bootset, env->fallback, false}));
    // After the env: a count left behind by a cut here is ignored, the trial being closed.
    if (::unlink((boot + "/" + kBootCountFile).c_str()) != 0 && errno != ENOENT)
      return errno_error("removing {}/{}", boot, kBootCountFile);
    return BootTrial::confirmed;
  }
  // The boot script boots the fallback after the limit of a set on trial, and also whenever
  // the active set's files do not load. Only the first is a verdict on a new version.
  if (booted != env->bootset && booted == env->fallback) return env->trial ? BootTrial::fell_back : BootTrial::reload;
  return BootTrial::none;
}

}  // namespace lota
