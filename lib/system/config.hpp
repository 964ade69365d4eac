// lota's settings: built-in defaults, overridden by /etc/lota.conf (key-file, group [lota]),
// overridden by the kernel command line (lota.<key>=<value>) except for trust settings, which
// the command line may only tighten (docs/trust.md). A bad value never stops a boot: it is
// reported and the previous value stays.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "net/tls_files.hpp"
#include "system/cmdline.hpp"

namespace lota {

enum class OnFail { reboot, halt, shell };

struct Config {
  std::string root = "/dev/mmcblk0p2";  // device node, or LABEL=/UUID=/PARTUUID=
  std::string rootfstype;               // empty: probed with libblkid
  std::string rootflags;                // fs-specific mount data
  double rootwait = 10.0;               // seconds to wait for the root device
  std::string sysroot = "sysroot";      // deployment directory on the root partition
  std::string init = "/sbin/init";      // what to exec inside the deployment
  OnFail onfail = OnFail::reboot;
  double fail_delay = 10.0;             // seconds before reboot on a fatal error
  std::vector<std::string> modules;     // kernel modules to load, dependencies resolved
  std::string boot = "/dev/mmcblk0p1";  // FAT boot partition with the boot sets; "none": no boot sets
  std::string booted_set;               // lota.bootset=: the set the boot script booted (U-Boot)
  std::string watchdog;                 // hardware watchdog device; empty: none
  double watchdog_timeout = 30;         // seconds, while lota-init works
  double watchdog_handover = 120;       // seconds the rootfs has to take the watchdog over

  // Updates (all off while `remote` is empty).
  std::string remote;             // OSTree archive repo URL (http/https)
  std::string branch = "stable";  // ref on the remote
  double check_timeout = 5.0;     // seconds for network + "is there a newer commit?"
  double pull_timeout = 600.0;    // seconds for the whole download
  double stall_timeout = 30.0;    // seconds without a downloaded byte = stalled
  std::string sign_key;           // base64 ed25519 public key, or a file holding one
  bool allow_unsigned = false;    // a remote without sign_key is an error unless this is set
  bool allow_downgrade = false;
  int tries = 3;             // boots a new version gets to confirm itself
  bool verify_full = false;  // lota.verify=full: check every deployed file at boot
  std::string ip = "dhcp";   // kernel nfsroot syntax, or dhcp / off
  std::string iface;         // network interface; empty: the first with carrier
  TlsFiles tls;              // lota.tls_ca, lota.tls_cert, lota.tls_key: for https remotes
  // Where lota-init looks for an offline bundle (update/bundle.hpp): block devices (mounted
  // read-only) or directories; the first USB mass storage partition and a second virtio drive.
  std::vector<std::string> bundle_media = {"/dev/sda1", "/dev/sda", "/dev/vda1", "/dev/vda"};
};

struct ConfigLoad {
  Config config;
  std::vector<std::string> warnings;  // one line each, naming the key and the way out
};

// keyfile_text may be empty (no /etc/lota.conf).
ConfigLoad load_config(std::string_view keyfile_text, const std::vector<CmdlineParam>& cmdline);

const char* to_string(OnFail f);

}  // namespace lota
