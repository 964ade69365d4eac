// DHCP client: packet building and parsing (unit), and the whole exchange against a real
// dnsmasq, each side in a network namespace this test creates (veth pair between them).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "net/dhcp.hpp"
#include "net/ipconfig.hpp"
#include "net/network.hpp"
#include "rig/update_rig.hpp"

using namespace lota;

namespace {

const MacAddress kMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

// A server reply built by hand: BOOTREPLY with the given options.
std::vector<uint8_t> reply(uint32_t xid, const std::vector<uint8_t>& options) {
  auto p = build_dhcp_discover(xid, kMac);
  p.resize(240);
  p[0] = 2;
  uint32_t yi = 0;
  REQUIRE(parse_ipv4("10.9.8.7").ok());
  yi = *parse_ipv4("10.9.8.7");
  std::memcpy(&p[16], &yi, 4);
  p.insert(p.end(), options.begin(), options.end());
  return p;
}

}  // namespace

TEST_CASE("dhcp: discover and request are well-formed") {
  auto d = build_dhcp_discover(0x11223344, kMac);
  REQUIRE(d.size() > 240);
  CHECK(d[0] == 1);
  CHECK(d[10] == 0x80);  // broadcast flag
  CHECK(std::memcmp(&d[28], kMac.data(), 6) == 0);
  CHECK(d[236] == 0x63);
  CHECK(d[240] == 53);
  CHECK(d[242] == 1);  // DISCOVER
  CHECK(d.back() == 255);
  auto r = build_dhcp_request(1, kMac, 0x0100000a, 0x0200000a);
  CHECK(r[242] == 3);  // REQUEST
}

TEST_CASE("dhcp: replies are parsed, garbage is refused") {
  auto ack = reply(42, {53, 1, 5, 1, 4, 255, 255, 255, 0, 3, 4,    10,   9,  8, 1,  6, 8, 1, 1,
                        1,  1, 8, 8, 8, 8,   51,  4,   0, 0, 0x0e, 0x10, 54, 4, 10, 9, 8, 1, 255});
  auto m = parse_dhcp_message(ack.data(), ack.size());
  REQUIRE(m.ok());
  CHECK(m->type == DhcpType::ack);
  CHECK(m->xid == 42);
  CHECK(ipv4_to_string(m->yiaddr) == "10.9.8.7");
  CHECK(ipv4_to_string(m->router) == "10.9.8.1");
  CHECK(netmask_to_prefix(m->subnet_mask) == 24);
  CHECK(m->dns.size() == 2);
  CHECK(m->lease_seconds == 3600);

  CHECK_FALSE(parse_dhcp_message(ack.data(), 100).ok());  // truncated header
  auto no_type = reply(1, {1, 4, 255, 255, 255, 0, 255});
  CHECK_FALSE(parse_dhcp_message(no_type.data(), no_type.size()).ok());  // no message type
  auto overrun = reply(1, {53, 1, 5, 6, 200, 1, 2});
  CHECK_FALSE(parse_dhcp_message(overrun.data(), overrun.size()).ok());  // option past the end
  auto request = build_dhcp_discover(1, kMac);
  CHECK_FALSE(parse_dhcp_message(request.data(), request.size()).ok());  // a request, not a reply
  auto bad_magic = ack;
  bad_magic[236] = 0;
  CHECK_FALSE(parse_dhcp_message(bad_magic.data(), bad_magic.size()).ok());
}

TEST_CASE("ip= in the kernel's nfsroot syntax") {
  auto s = parse_ip_config("10.0.2.15::10.0.2.2:255.255.255.0::eth0:off:10.0.2.3");
  REQUIRE(s.ok());
  CHECK(s->mode == IpConfig::Mode::static_);
  CHECK(ipv4_to_string(s->address) == "10.0.2.15");
  CHECK(ipv4_to_string(s->gateway) == "10.0.2.2");
  CHECK(s->prefix_len == 24);
  CHECK(s->device == "eth0");
  CHECK(s->dns.size() == 1);
  CHECK(parse_ip_config("dhcp")->mode == IpConfig::Mode::dhcp);
  CHECK(parse_ip_config(":::::eth1:dhcp")->device == "eth1");
  CHECK(parse_ip_config("off")->mode == IpConfig::Mode::off);
  CHECK_FALSE(parse_ip_config("10.0.2.300::::").ok());
  CHECK_FALSE(parse_ip_config("10.0.2.3:::255.0.255.0::").ok());
  CHECK_FALSE(parse_ip_config("10.0.2.3::::::bootp").ok());
}

TEST_CASE("dhcp: a lease from dnsmasq, across a veth pair between two namespaces") {
  if (::geteuid() != 0 || test::sh("command -v dnsmasq >/dev/null") != 0) {
    WARN("needs root and dnsmasq: skipped");
    return;
  }
  std::string tag = std::to_string(::getpid() % 100000);
  std::string srv = "lota-srv" + tag, cli = "lota-cli" + tag;
  std::string dir = test::sh_out("mktemp -d");
  auto cleanup = [&] {
    test::sh("ip netns pids " + srv + " 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del " + srv +
             " 2>/dev/null; ip netns del " + cli + " 2>/dev/null; rm -rf " + dir);
  };
  REQUIRE(test::sh("ip netns add " + srv + " && ip netns add " + cli + " && ip -n " + cli +
                   " link add lotac0 type veth peer name lotas0 netns " + srv + " && ip -n " + srv +
                   " addr add 192.168.250.1/24 dev lotas0 && ip -n " + srv + " link set lotas0 up") == 0);
  REQUIRE(test::sh("ip netns exec " + srv + " dnsmasq --port=0 --interface=lotas0 --bind-interfaces " +
                   "--dhcp-range=192.168.250.50,192.168.250.59,255.255.255.0,1h --dhcp-option=3,192.168.250.1 " +
                   "--dhcp-option=6,192.168.250.1 --dhcp-leasefile=" + dir + "/leases --pid-file=" + dir + "/pid") ==
          0);
  pid_t pid = ::fork();
  if (pid == 0) {
    // The client side: its own network namespace, and a sysfs that shows that namespace.
    int ns = ::open(("/var/run/netns/" + cli).c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(10);
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    if (::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0) ::_exit(12);
    auto up = network_up(IpConfig{}, "lotac0", 10.0, dir + "/resolv.conf");
    if (!up) {
      std::fprintf(stderr, "%s\n", up.error().message.c_str());
      ::_exit(13);
    }
    ::_exit(up->address.starts_with("192.168.250.") ? 0 : 14);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  std::string addrs = test::sh_out("ip -n " + cli + " -4 addr show lotac0");
  std::string routes = test::sh_out("ip -n " + cli + " -4 route");
  CHECK(addrs.find("inet 192.168.250.5") != std::string::npos);
  CHECK(routes.find("default via 192.168.250.1 dev lotac0") != std::string::npos);
  CHECK(test::read_text(dir + "/resolv.conf") == "nameserver 192.168.250.1\n");
  cleanup();
}
