#include "net/netlink.hpp"

#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <cstdlib>

#include "base/c_handle.hpp"
#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "net/ipconfig.hpp"

namespace lota {
namespace {

using Sock = CHandle<nl_sock, nl_socket_free>;
using Link = CHandle<rtnl_link, rtnl_link_put>;
using Addr = CHandle<rtnl_addr, rtnl_addr_put>;
using Route = CHandle<rtnl_route, rtnl_route_put>;
using NlAddr = CHandle<nl_addr, nl_addr_put>;

Result<Sock> connect_route() {
  Sock sock(nl_socket_alloc());
  if (!sock) return make_error("netlink: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) return make_error("netlink: {}", nl_geterror(err));
  return sock;
}

}  // namespace

std::vector<std::string> list_interfaces() {
  std::vector<std::string> names;
  for (const std::string& n : list_dir("/sys/class/net")) {
    // Ethernet only (ARPHRD_ETHER = 1): DHCP needs a MAC, and tunnels such as sit0 report
    // carrier before the real NIC does.
    auto type = read_file("/sys/class/net/" + n + "/type");
    if (n != "lo" && type && std::atoi(type->c_str()) == 1) names.push_back(n);
  }
  return names;
}

bool has_carrier(const std::string& ifname) {
  auto v = read_file("/sys/class/net/" + ifname + "/carrier");
  return v && !v->empty() && (*v)[0] == '1';
}

int interface_index(const std::string& ifname) {
  return static_cast<int>(if_nametoindex(ifname.c_str()));
}

Status set_link_up(const std::string& ifname) {
  auto sock = connect_route();
  if (!sock) return sock.error();
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock->get(), 0, ifname.c_str(), &raw); err < 0)
    return make_error("network interface {}: {}", ifname, nl_geterror(err));
  Link link(raw);
  Link change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock->get(), link.get(), change.get(), 0); err < 0)
    return make_error("bringing up {}: {}", ifname, nl_geterror(err));
  return {};
}

Status add_ipv4_address(const std::string& ifname, uint32_t address, int prefix_len) {
  auto sock = connect_route();
  if (!sock) return sock.error();
  int index = interface_index(ifname);
  if (index == 0) return make_error("network interface {} does not exist", ifname);
  Addr addr(rtnl_addr_alloc());
  NlAddr local(nl_addr_build(AF_INET, &address, sizeof address));
  nl_addr_set_prefixlen(local.get(), prefix_len);
  rtnl_addr_set_ifindex(addr.get(), index);
  rtnl_addr_set_local(addr.get(), local.get());
  if (int err = rtnl_addr_add(sock->get(), addr.get(), NLM_F_REPLACE); err < 0)
    return make_error("adding {}/{} to {}: {}", ipv4_to_string(address), prefix_len, ifname, nl_geterror(err));
  return {};
}

Status add_default_route(const std::string& ifname, uint32_t gateway) {
  auto sock = connect_route();
  if (!sock) return sock.error();
  int index = interface_index(ifname);
  if (index == 0) return make_error("network interface {} does not exist", ifname);
  uint32_t any = 0;
  Route route(rtnl_route_alloc());
  NlAddr dst(nl_addr_build(AF_INET, &any, sizeof any));
  nl_addr_set_prefixlen(dst.get(), 0);
  NlAddr gw(nl_addr_build(AF_INET, &gateway, sizeof gateway));
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(route.get(), nh);
  if (int err = rtnl_route_add(sock->get(), route.get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0)
    return make_error("adding default route via {}: {}", ipv4_to_string(gateway), nl_geterror(err));
  return {};
}

}  // namespace lota
