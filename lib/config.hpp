// lota's settings: built-in defaults, overridden by /etc/lota.conf (key-file, group [lota]),
// overridden by the kernel command line (lota.<key>=<value>). A bad value never stops a boot:
// it is reported and the previous value stays.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cmdline.hpp"

namespace lota {

enum class OnFail { reboot, halt, shell };

struct Config {
  std::string root = "/dev/mmcblk0p2";  // device node, or LABEL=/UUID=/PARTUUID=
  std::string rootfstype;                // empty: probed with libblkid
  std::string rootflags;                 // fs-specific mount data
  double rootwait = 10.0;                // seconds to wait for the root device
  std::string sysroot = "sysroot";       // deployment directory on the root partition
  std::string init = "/sbin/init";       // what to exec inside the deployment
  OnFail onfail = OnFail::reboot;
  double fail_delay = 10.0;              // seconds before reboot on a fatal error
  std::vector<std::string> modules;      // kernel modules to load, dependencies resolved
};

struct ConfigLoad {
  Config config;
  std::vector<std::string> warnings;  // one line each, naming the key and the way out
};

// keyfile_text may be empty (no /etc/lota.conf).
ConfigLoad load_config(std::string_view keyfile_text, const std::vector<CmdlineParam>& cmdline);

const char* to_string(OnFail f);

}  // namespace lota
