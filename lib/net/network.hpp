// Bringing the network up for the update check, inside a time budget: link up, wait for
// carrier, then a static address or DHCP as lota.ip= says.
#pragma once

#include <string>

#include "base/result.hpp"
#include "net/ipconfig.hpp"

namespace lota {

struct NetworkUp {
  std::string iface;
  std::string address;  // "a.b.c.d/len"
  std::string how;      // "dhcp from a.b.c.d" or "static"
};

// resolv_conf: where to write DNS servers (empty: don't).
Result<NetworkUp> network_up(const IpConfig& config, const std::string& iface, double timeout_s,
                             const std::string& resolv_conf);

}  // namespace lota
