// lota.ip=: how the network is configured before the update check, in the kernel's nfsroot
// syntax (Documentation/admin-guide/nfs/nfsroot.rst):
//   <client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0>:<dns1>
// or just "dhcp" (also "on", "any") or "off" (also "none").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace lota {

struct IpConfig {
  enum class Mode { off, dhcp, static_ } mode = Mode::dhcp;
  std::string device;    // empty: the first interface with carrier
  uint32_t address = 0;  // network byte order, like in_addr_t
  int prefix_len = 0;
  uint32_t gateway = 0;
  std::vector<uint32_t> dns;
};

Result<IpConfig> parse_ip_config(const std::string& text);

std::string ipv4_to_string(uint32_t addr);
// Dotted quad to network byte order; nullopt for anything else.
Result<uint32_t> parse_ipv4(const std::string& text);
int netmask_to_prefix(uint32_t mask);  // -1 when the mask has holes

}  // namespace lota
