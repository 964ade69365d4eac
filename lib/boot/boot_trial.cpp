#include "boot/boot_trial.hpp"

#include "boot/boot_env.hpp"
#include "boot/boot_partition.hpp"

namespace lota {

BootTrial classify_boot_trial(const std::string& boot, const std::string& booted) {
  auto env = read_boot_env(boot);
  if (!env || booted.empty()) return BootTrial::none;
  if (env->trial && booted == env->bootset) return BootTrial::confirmed;
  // The boot script boots the fallback after the limit of a set on trial, and also whenever
  // the active set's files do not load. Only the first is a verdict on a new version.
  if (booted != env->bootset && booted == env->fallback) return env->trial ? BootTrial::fell_back : BootTrial::reload;
  return BootTrial::none;
}

Result<bool> close_boot_trial(BootPartition& part, const std::string& booted) {
  auto env = read_boot_env(part.path());
  if (!env || !env->trial || booted.empty() || env->bootset != booted) return false;
  LOTA_TRY(part.writable());
  LOTA_TRY(close_trial(part.path(), env->bootset, env->fallback));
  return true;
}

}  // namespace lota
