#include "net/netlink.hpp"

#include <dirent.h>

#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "base/file.hpp"
#include "net/ipconfig.hpp"

namespace lota {
namespace {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
using Sock = std::unique_ptr<nl_sock, SockDeleter>;

Result<Sock> connect_route() {
  Sock sock(nl_socket_alloc());
  if (!sock) return make_error("netlink: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) return make_error("netlink: {}", nl_geterror(err));
  return sock;
}

template <class T, void (*Free)(T*)>
struct NlPtr {
  T* p;
  explicit NlPtr(T* x) : p(x) {}
  ~NlPtr() {
    if (p) Free(p);
  }
  NlPtr(const NlPtr&) = delete;
  NlPtr& operator=(const NlPtr&) = delete;
};
void free_link(rtnl_link* l) {
  rtnl_link_put(l);
}
void free_addr(rtnl_addr* a) {
  rtnl_addr_put(a);
}
void free_route(rtnl_route* r) {
  rtnl_route_put(r);
}
void free_nladdr(nl_addr* a) {
  nl_addr_put(a);
}

}  // namespace

std::vector<std::string> list_interfaces() {
  std::vector<std::string> names;
  // opendir, not std::filesystem: its iterator throws on a read error, and this runs in PID 1.
  DIR* d = ::opendir("/sys/class/net");
  if (!d) return names;
  while (const dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    // Ethernet only (ARPHRD_ETHER = 1): DHCP needs a MAC, and tunnels such as sit0 report
    // carrier before the real NIC does.
    auto type = read_file("/sys/class/net/" + n + "/type");
    if (n != "lo" && type && std::atoi(type->c_str()) == 1) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
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
  NlPtr<rtnl_link, free_link> link(raw);
  NlPtr<rtnl_link, free_link> change(rtnl_link_alloc());
  rtnl_link_set_flags(change.p, IFF_UP);
  if (int err = rtnl_link_change(sock->get(), link.p, change.p, 0); err < 0)
    return make_error("bringing up {}: {}", ifname, nl_geterror(err));
  return {};
}

Status add_ipv4_address(const std::string& ifname, uint32_t address, int prefix_len) {
  auto sock = connect_route();
  if (!sock) return sock.error();
  int index = interface_index(ifname);
  if (index == 0) return make_error("network interface {} does not exist", ifname);
  NlPtr<rtnl_addr, free_addr> addr(rtnl_addr_alloc());
  NlPtr<nl_addr, free_nladdr> local(nl_addr_build(AF_INET, &address, sizeof address));
  nl_addr_set_prefixlen(local.p, prefix_len);
  rtnl_addr_set_ifindex(addr.p, index);
  rtnl_addr_set_local(addr.p, local.p);
  if (int err = rtnl_addr_add(sock->get(), addr.p, NLM_F_REPLACE); err < 0)
    return make_error("adding {}/{} to {}: {}", ipv4_to_string(address), prefix_len, ifname, nl_geterror(err));
  return {};
}

Status add_default_route(const std::string& ifname, uint32_t gateway) {
  auto sock = connect_route();
  if (!sock) return sock.error();
  int index = interface_index(ifname);
  if (index == 0) return make_error("network interface {} does not exist", ifname);
  uint32_t any = 0;
  NlPtr<rtnl_route, free_route> route(rtnl_route_alloc());
  NlPtr<nl_addr, free_nladdr> dst(nl_addr_build(AF_INET, &any, sizeof any));
  nl_addr_set_prefixlen(dst.p, 0);
  NlPtr<nl_addr, free_nladdr> gw(nl_addr_build(AF_INET, &gateway, sizeof gateway));
  rtnl_route_set_family(route.p, AF_INET);
  rtnl_route_set_dst(route.p, dst.p);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
  rtnl_route_nh_set_gateway(nh, gw.p);
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(route.p, nh);
  if (int err = rtnl_route_add(sock->get(), route.p, NLM_F_CREATE | NLM_F_REPLACE); err < 0)
    return make_error("adding default route via {}: {}", ipv4_to_string(gateway), nl_geterror(err));
  return {};
}

}  // namespace lota
