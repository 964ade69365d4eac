#include "net/ipconfig.hpp"

#include <arpa/inet.h>

namespace lota {

std::string ipv4_to_string(uint32_t addr) {
  char buf[INET_ADDRSTRLEN] = "";
  in_addr a{addr};
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

Result<uint32_t> parse_ipv4(const std::string& text) {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) return make_error("'{}' is not an IPv4 address", text);
  return a.s_addr;
}

int netmask_to_prefix(uint32_t mask) {
  uint32_t m = ntohl(mask);
  int n = 0;
  while (n < 32 && (m & (0x80000000u >> n))) ++n;
  return (n == 32 || (m << n) == 0) ? n : -1;
}

Result<IpConfig> parse_ip_config(const std::string& text) {
  IpConfig c;
  if (text == "dhcp" || text == "on" || text == "any" || text.empty()) return c;
  if (text == "off" || text == "none") {
    c.mode = IpConfig::Mode::off;
    return c;
  }
  std::vector<std::string> f;
  size_t start = 0;
  for (;;) {
    size_t colon = text.find(':', start);
    f.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  f.resize(9);
  const auto& autoconf = f[6];
  c.device = f[5];
  if (f[0].empty() || autoconf == "dhcp" || autoconf == "on" || autoconf == "any") return c;  // DHCP on device
  if (!autoconf.empty() && autoconf != "off" && autoconf != "none")
    return make_error("lota.ip=: autoconf '{}' is not supported (dhcp or off)", autoconf);
  c.mode = IpConfig::Mode::static_;
  auto addr = parse_ipv4(f[0]);
  if (!addr) return make_error("lota.ip=: client address: {}", addr.error().message);
  c.address = *addr;
  c.prefix_len = 24;
  if (!f[3].empty()) {
    auto mask = parse_ipv4(f[3]);
    int len = mask ? netmask_to_prefix(*mask) : -1;
    if (len < 0) return make_error("lota.ip=: '{}' is not a netmask", f[3]);
    c.prefix_len = len;
  }
  if (!f[2].empty()) {
    auto gw = parse_ipv4(f[2]);
    if (!gw) return make_error("lota.ip=: gateway: {}", gw.error().message);
    c.gateway = *gw;
  }
  for (int i : {7, 8}) {
    if (f[i].empty()) continue;
    auto dns = parse_ipv4(f[i]);
    if (!dns) return make_error("lota.ip=: DNS server: {}", dns.error().message);
    c.dns.push_back(*dns);
  }
  return c;
}

}  // namespace lota
