#include "boot.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "base/version.hpp"
#include "handover.hpp"
#include "system/cmdline.hpp"
#include "system/device.hpp"
#include "system/modules.hpp"
#include "system/mount.hpp"
#include "system/root_partition.hpp"
#include "system/switch_root.hpp"
#include "system/watchdog.hpp"
#include "update/deployment_mounts.hpp"
#include "update/update.hpp"

namespace lota {
namespace {

// The most resident memory PID 1 used until now (ru_maxrss = VmHWM; lost at the exec of the rootfs init).
long peak_rss_kib() {
  struct rusage u {};
  return ::getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_maxrss : -1;
}

// Where the root partition is mounted: under /run, so that moving /run into the new root
// carries it along and the booted system still sees the partition there.
constexpr const char* kPartMount = "/run/lota/root";
// Where the deployment directory is bind-mounted to become the new root.
constexpr const char* kNewRoot = "/sysroot";

void attach_console() {
  if (::fcntl(STDIN_FILENO, F_GETFD) >= 0) return;  // the kernel gave us one
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int i = 0; i < 3; ++i) ::dup2(fd, i);
  if (fd > 2) ::close(fd);
}

void load_modules(const Config& config) {
  if (config.modules.empty()) return;
  utsname u{};
  ::uname(&u);
  std::string dir = std::string("/lib/modules/") + u.release;
  auto text = read_file(dir + "/modules.dep");
  if (!text) {
    log::warn("{}; no modules loaded - rebuild the initramfs for kernel {}", text.error().message, u.release);
    return;
  }
  auto index = parse_modules_dep(*text);
  auto order = index ? resolve_load_order(*index, config.modules) : Result<std::vector<std::string>>(index.error());
  if (!order) {
    log::warn("{}", order.error().message);
    return;
  }
  double start = log::uptime();
  size_t loaded = 0;
  for (const auto& path : *order) {
    if (auto st = load_module_file(dir + "/" + path); !st)
      log::warn("{}", st.error().message);
    else
      ++loaded;
  }
  log::info("loaded {}/{} kernel modules in {:.3f} s", loaded, order->size(), log::uptime() - start);
}

}  // namespace

Status early_setup() {
  LOTA_TRY(mount_pseudo_filesystems("/"));
  attach_console();
  log::open_kmsg();
  // A static PID 1 cannot load GIO modules; make sure GIO never scans a module directory.
  ::setenv("GIO_MODULE_DIR", "/nonexistent", 1);
  ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 0);
  // libostree needs /var/tmp for O_TMPFILE during pulls.
  return make_dirs("/var/tmp", 01777);
}

Config read_config() {
  auto cmdline = read_file("/proc/cmdline");
  std::string conf;
  if (auto text = read_file("/etc/lota.conf")) conf = std::move(*text);
  auto loaded = load_config(conf, parse_cmdline(cmdline ? *cmdline : ""));
  for (const auto& w : loaded.warnings) log::warn("{}", w);
  const Config& config = loaded.config;
  log::info("config: root={} sysroot={} init={} rootwait={:g}s onfail={} modules={}", config.root, config.sysroot,
            config.init, config.rootwait, to_string(config.onfail), config.modules.size());
  return loaded.config;
}

namespace {

// Armed right after the modules (the driver is one of them) and fed until the whole flow's
// budget is spent: the root device wait, the check, the pull, and room for checkout and boot set.
std::unique_ptr<Watchdog> arm_watchdog(const Config& config) {
  if (config.watchdog.empty()) return nullptr;
  auto dog = Watchdog::open(config.watchdog, static_cast<int>(config.watchdog_timeout), 2.0);
  if (!dog) {
    log::error("{}; booting without it", dog.error().message);
    return nullptr;
  }
  double budget = config.rootwait + config.check_timeout + config.pull_timeout + 300;
  (*dog)->feed_until(log::uptime() + budget);
  log::info("watchdog {} armed ({} s), fed by lota-init for at most {:g} s", config.watchdog, (*dog)->timeout(),
            budget);
  return std::move(*dog);
}

}  // namespace

Error boot(const Config& config) {
  load_modules(config);
  auto watchdog = arm_watchdog(config);

  log::info("waiting up to {:g} s for root device {}", config.rootwait, config.root);
  auto device = wait_for_device(config.root, config.rootwait);
  if (!device) return device.error();
  log::info("root device {} is ready", *device);

  if (auto st = mount_root_partition(*device, kPartMount, config.rootfstype, config.rootflags); !st) return st.error();
  log::info("mounted {} on {}", *device, kPartMount);

  auto outcome = run_update_flow(config, Layout{kPartMount, config.sysroot}, "/proc/self/exe");
  if (!outcome.reboot_into.empty()) {
    // This boot runs the kernel and initramfs of boot set lota.bootset=; the deployed version
    // needs the other set's. Everything is synced (journal, repo, boot set, env).
    log::info("boot set {} is now active and this boot came from {}: rebooting into it", outcome.reboot_into,
              config.booted_set);
    ::umount2(kPartMount, MNT_DETACH);
    ::sync();
    ::reboot(RB_AUTOBOOT);
    return make_error("reboot into boot set {} failed", outcome.reboot_into);
  }

  hand_over(config, outcome);
  std::string deployment = std::string(kPartMount) + "/" + config.sysroot;
  if (auto st = check_new_root(deployment, config.init); !st) return st.error();
  auto mounted = mount_deployment(Layout{kPartMount, config.sysroot}, deployment, kNewRoot);
  if (!mounted) return mounted.error();
  if (!mounted->empty()) log::warn("{}", *mounted);

  log::info("peak RSS of lota-init: {} KiB", peak_rss_kib());
  if (watchdog) {
    int handover = static_cast<int>(config.watchdog_handover);
    if (auto st = watchdog->hand_over(handover); !st) log::warn("{}", st.error().message);
    log::info("watchdog handed over armed: the rootfs must feed {} within {} s", config.watchdog, watchdog->timeout());
  }
  log::info("switching root to {} on {}, exec {}", config.sysroot, *device, config.init);
  if (auto st = switch_root(kNewRoot); !st) return st.error();
  ::execl(config.init.c_str(), config.init.c_str(), static_cast<char*>(nullptr));
  return errno_error("exec {} in the new root - the rootfs init is broken; roll back or reflash", config.init);
}

}  // namespace lota
