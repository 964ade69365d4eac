// The boot partition follows the deployed version: at every boot the active boot set is made
// the deployed version's (after a deployment, a rollback, or a power cut in between), a new
// release's boot files are checked before its rootfs is swapped in, and the boot ends in a
// reboot only when this boot made another set active that holds the deployed version.
#pragma once

#include <string>

#include "base/result.hpp"
#include "boot/boot_partition.hpp"
#include "update/repo.hpp"
#include "update/update_context.hpp"

namespace lota {

// Read-only until something is written (boot_partition.hpp says why).
Result<BootPartition> mount_boot_partition(const UpdateContext& ctx);

// Remembers the boot env as the boot script read it, once per boot, before lota writes to it.
void see_env_at_start(BootView& view, const std::string& boot);

// What a boot set must hold for the deployment of `commit`: "name checksum" lines, from the
// repository's content checksums (no file is read). Empty when the commit has no boot files.
Result<std::string> boot_set_manifest(const Repo& repo, const std::string& commit, const std::string& deployment);

// Makes the boot partition's active boot set the deployed sysroot's, journalled as step
// `bootset`. Reads two small files and writes nothing when the set is right already.
Status sync_boot_set(UpdateContext& ctx);

// Before the swap: the checkout's boot files must be installable (one kernel, plain files, FAT
// names) and fit the boot partition. A release that never can is ErrorKind::refused; other
// errors are failures of this boot (the boot partition did not mount) and the update is tried
// again later.
Status check_boot_set_installable(const UpdateContext& ctx, const std::string& tree);

// The set to reboot into ("" for none): only one this boot made active (an env write that
// succeeded) and that holds the deployed version while the set booted does not; anything else
// would reboot into the same decision again, for ever.
std::string reboot_target(const UpdateContext& ctx);

}  // namespace lota
