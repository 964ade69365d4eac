#include "net/dhcp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/clock.hpp"
#include "base/file.hpp"
#include "base/unique_fd.hpp"
#include "net/ipconfig.hpp"

namespace lota {
namespace {

constexpr size_t kHeaderLen = 236;  // BOOTP fixed part
constexpr uint32_t kMagic = 0x63825363;
constexpr uint16_t kServerPort = 67, kClientPort = 68;
enum Option : uint8_t {
  kPad = 0,
  kSubnet = 1,
  kRouter = 3,
  kDns = 6,
  kRequestedIp = 50,
  kLease = 51,
  kMsgType = 53,
  kServerId = 54,
  kParamList = 55,
  kEnd = 255,
};

std::vector<uint8_t> header(uint32_t xid, const MacAddress& mac) {
  std::vector<uint8_t> p(kHeaderLen, 0);
  p[0] = 1;  // BOOTREQUEST
  p[1] = 1;  // Ethernet
  p[2] = 6;  // hardware address length
  uint32_t x = htonl(xid);
  std::memcpy(&p[4], &x, 4);
  p[10] = 0x80;  // flags: broadcast, we have no address to receive a unicast on
  std::memcpy(&p[28], mac.data(), mac.size());
  uint32_t magic = htonl(kMagic);
  const auto* m = reinterpret_cast<const uint8_t*>(&magic);
  p.insert(p.end(), m, m + 4);
  return p;
}

void option(std::vector<uint8_t>& p, uint8_t code, const void* data, uint8_t len) {
  p.push_back(code);
  p.push_back(len);
  const auto* d = static_cast<const uint8_t*>(data);
  p.insert(p.end(), d, d + len);
}

void common_options(std::vector<uint8_t>& p, DhcpType type) {
  uint8_t t = static_cast<uint8_t>(type);
  option(p, kMsgType, &t, 1);
  const uint8_t params[] = {kSubnet, kRouter, kDns, kLease};
  option(p, kParamList, params, sizeof params);
}

uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

std::vector<uint8_t> build_dhcp_discover(uint32_t xid, const MacAddress& mac) {
  auto p = header(xid, mac);
  common_options(p, DhcpType::discover);
  p.push_back(kEnd);
  return p;
}

std::vector<uint8_t> build_dhcp_request(uint32_t xid, const MacAddress& mac, uint32_t requested, uint32_t server) {
  auto p = header(xid, mac);
  common_options(p, DhcpType::request);
  option(p, kRequestedIp, &requested, 4);
  option(p, kServerId, &server, 4);
  p.push_back(kEnd);
  return p;
}

Result<DhcpMessage> parse_dhcp_message(const uint8_t* d, size_t len) {
  if (len < kHeaderLen + 4) return make_error("DHCP packet too short ({} bytes)", len);
  if (ntohl(get32(d + kHeaderLen)) != kMagic) return make_error("not a DHCP packet (bad magic cookie)");
  DhcpMessage m;
  m.op = d[0];
  if (m.op != 2) return make_error("not a DHCP reply (op {})", m.op);
  m.xid = ntohl(get32(d + 4));
  m.yiaddr = get32(d + 16);
  std::memcpy(m.chaddr.data(), d + 28, m.chaddr.size());
  bool have_type = false;
  size_t i = kHeaderLen + 4;
  while (i < len) {
    uint8_t code = d[i++];
    if (code == kPad) continue;
    if (code == kEnd) break;
    if (i >= len) return make_error("DHCP option {} truncated", code);
    uint8_t olen = d[i++];
    if (i + olen > len) return make_error("DHCP option {} overruns the packet", code);
    const uint8_t* v = d + i;
    switch (code) {
      case kMsgType:
        if (olen != 1) return make_error("DHCP message type has length {}", olen);
        m.type = static_cast<DhcpType>(v[0]);
        have_type = true;
        break;
      case kServerId:
        if (olen == 4) m.server_id = get32(v);
        break;
      case kSubnet:
        if (olen == 4) m.subnet_mask = get32(v);
        break;
      case kRouter:
        if (olen >= 4) m.router = get32(v);
        break;
      case kLease:
        if (olen == 4) m.lease_seconds = ntohl(get32(v));
        break;
      case kDns:
        for (size_t k = 0; k + 4 <= olen; k += 4) m.dns.push_back(get32(v + k));
        break;
      default:
        break;
    }
    i += olen;
  }
  if (!have_type) return make_error("DHCP reply without a message type");
  return m;
}

Result<MacAddress> interface_mac(const std::string& ifname) {
  auto text = read_file("/sys/class/net/" + ifname + "/address");
  if (!text) return text.error();
  MacAddress mac{};
  unsigned b[6];
  if (std::sscanf(text->c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    return make_error("{} has no Ethernet address", ifname);
  for (int k = 0; k < 6; ++k) mac[k] = static_cast<uint8_t>(b[k]);
  return mac;
}

namespace {

Result<UniqueFd> open_socket(const std::string& ifname) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("DHCP socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size())) != 0)
    return errno_error("DHCP socket on {}", ifname);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(kClientPort);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return errno_error("DHCP socket: binding port 68");
  return fd;
}

Status send_broadcast(int fd, const std::vector<uint8_t>& p) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kServerPort);
  to.sin_addr.s_addr = INADDR_BROADCAST;
  if (::sendto(fd, p.data(), p.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return errno_error("sending DHCP packet");
  return {};
}

// Waits until `deadline` for a reply of `want` type to our xid and MAC.
Result<DhcpMessage> receive(int fd, uint32_t xid, const MacAddress& mac, DhcpType want, double deadline) {
  uint8_t buf[1500];
  for (;;) {
    double left = deadline - monotonic_seconds();
    if (left <= 0) return make_error("no answer");
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left * 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return make_error("no answer");
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) continue;
    auto m = parse_dhcp_message(buf, static_cast<size_t>(n));
    if (!m || m->xid != xid || m->chaddr != mac) continue;  // someone else's, or garbage
    if (m->type == DhcpType::nak) return make_error("the DHCP server refused the request (NAK)");
    if (m->type == want) return m;
  }
}

}  // namespace

namespace {

// Never blocks: at early boot the kernel's CRNG may not be ready, and getrandom(2) without
// GRND_NONBLOCK would wait for it outside lota.check_timeout. An xid only has to differ between
// clients and attempts (RFC 2131 4.1), not be secret: without entropy, the MAC and the clock.
uint32_t transaction_id(const MacAddress& mac) {
  uint32_t xid = 0;
  if (::getrandom(&xid, sizeof xid, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof xid)) return xid;
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  xid = static_cast<uint32_t>(ts.tv_nsec) ^ static_cast<uint32_t>(ts.tv_sec << 20);
  for (size_t i = 0; i < mac.size(); ++i) xid ^= static_cast<uint32_t>(mac[i]) << (8 * (i % 4));
  return xid;
}

}  // namespace

Result<DhcpLease> dhcp_acquire(const std::string& ifname, double timeout_s) {
  auto mac = interface_mac(ifname);
  if (!mac) return mac.error();
  auto sock = open_socket(ifname);
  if (!sock) return sock.error();
  const double deadline = monotonic_seconds() + timeout_s;
  double wait = 1.0;  // per attempt, doubled each retry (RFC 2131 4.1, shortened for a boot)
  std::string last = "no answer";
  while (monotonic_seconds() < deadline) {
    uint32_t xid = transaction_id(*mac);
    double attempt_end = std::min(deadline, monotonic_seconds() + wait);
    wait *= 2;
    LOTA_TRY(send_broadcast(sock->get(), build_dhcp_discover(xid, *mac)));
    auto offer = receive(sock->get(), xid, *mac, DhcpType::offer, attempt_end);
    if (!offer) {
      last = offer.error().message;
      continue;
    }
    LOTA_TRY(send_broadcast(sock->get(), build_dhcp_request(xid, *mac, offer->yiaddr, offer->server_id)));
    auto ack = receive(sock->get(), xid, *mac, DhcpType::ack, std::min(deadline, monotonic_seconds() + 2.0));
    if (!ack) {
      last = ack.error().message;
      continue;
    }
    DhcpLease lease;
    lease.address = ack->yiaddr;
    lease.server = ack->server_id;
    lease.router = ack->router;
    lease.dns = ack->dns;
    lease.lease_seconds = ack->lease_seconds;
    int len = ack->subnet_mask ? netmask_to_prefix(ack->subnet_mask) : 24;
    lease.prefix_len = len < 0 ? 24 : len;
    return lease;
  }
  return make_error("DHCP on {}: {} within {:g} s", ifname, last, timeout_s);
}

}  // namespace lota
