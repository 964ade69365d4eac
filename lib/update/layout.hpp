// Where things live on the root partition (p2). See docs/layout.md.
#pragma once

#include <string>

namespace lota {

struct Layout {
  std::string part;  // mount point of the root partition
  std::string sysroot_name = "sysroot";
  std::string boot_mount = "/run/lota/boot";  // where the boot partition is mounted while updated

  std::string repo() const { return part + "/ostree/repo"; }
  std::string sysroot() const { return part + "/" + sysroot_name; }
  std::string sysroot_new() const { return sysroot() + ".new"; }
  std::string sysroot_old() const { return sysroot() + ".old"; }
  std::string sysroot_trash() const { return sysroot() + ".trash"; }
  std::string state_dir() const { return part + "/lota"; }
  std::string state() const { return state_dir() + "/state"; }
  // The server's key chain as `lota fetch` followed it, kept with the staged release.
  std::string staged_chain() const { return state_dir() + "/staged-chain"; }
};

}  // namespace lota
