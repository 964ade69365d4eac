// Interface configuration over rtnetlink with libnl-route: link up, IPv4 address, default route.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace lota {

// Non-loopback interfaces the kernel has, from /sys/class/net.
std::vector<std::string> list_interfaces();
bool has_carrier(const std::string& ifname);
int interface_index(const std::string& ifname);  // 0 when unknown

Status set_link_up(const std::string& ifname);
Status add_ipv4_address(const std::string& ifname, uint32_t address, int prefix_len);
Status add_default_route(const std::string& ifname, uint32_t gateway);

}  // namespace lota
