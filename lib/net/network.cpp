#include "net/network.hpp"

#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.hpp"
#include "base/file.hpp"
#include "net/dhcp.hpp"
#include "net/netlink.hpp"

namespace lota {
namespace {

// Brings the candidates up and returns the first that reports carrier before the deadline.
Result<std::string> wait_for_carrier(const std::string& wanted, double deadline) {
  std::vector<std::string> candidates;
  if (!wanted.empty())
    candidates.push_back(wanted);
  else
    candidates = list_interfaces();
  if (candidates.empty()) return make_error("no network interface (is the NIC driver in the board's module list?)");
  for (const auto& c : candidates)
    if (auto st = set_link_up(c); !st) return st.error();
  for (;;) {
    for (const auto& c : candidates)
      if (has_carrier(c)) return c;
    if (monotonic_seconds() >= deadline)
      return make_error("no carrier on {} (cable out?)", wanted.empty() ? "any interface" : wanted);
    ::usleep(50 * 1000);
  }
}

}  // namespace

Result<NetworkUp> network_up(const IpConfig& config, const std::string& iface, double timeout_s,
                             const std::string& resolv_conf) {
  const double deadline = monotonic_seconds() + timeout_s;
  (void)set_link_up("lo");
  auto chosen = wait_for_carrier(!config.device.empty() ? config.device : iface, deadline);
  if (!chosen) return chosen.error();
  NetworkUp up{*chosen, {}, "static"};
  uint32_t address = config.address, gateway = config.gateway;
  int prefix = config.prefix_len;
  std::vector<uint32_t> dns = config.dns;
  if (config.mode == IpConfig::Mode::dhcp) {
    auto lease = dhcp_acquire(*chosen, std::max(0.1, deadline - monotonic_seconds()));
    if (!lease) return lease.error();
    address = lease->address;
    prefix = lease->prefix_len;
    gateway = lease->router;
    dns = lease->dns;
    up.how = fmt::format("dhcp from {}, lease {} s", ipv4_to_string(lease->server), lease->lease_seconds);
  }
  LOTA_TRY(add_ipv4_address(*chosen, address, prefix));
  if (gateway) LOTA_TRY(add_default_route(*chosen, gateway));
  up.address = fmt::format("{}/{}", ipv4_to_string(address), prefix);
  if (!resolv_conf.empty() && !dns.empty()) {
    std::string text;
    for (uint32_t d : dns) text += fmt::format("nameserver {}\n", ipv4_to_string(d));
    // In the initramfs' tmpfs: nothing survives a power cut anyway, so no fsync dance needed,
    // but write_file_atomic costs nothing here.
    LOTA_TRY(write_file_atomic(resolv_conf, text));
  }
  return up;
}

}  // namespace lota
