// A small DHCPv4 client (RFC 2131): DISCOVER -> OFFER -> REQUEST -> ACK on a UDP socket bound
// to the interface, with the broadcast flag set so replies reach a client without an address.
// Debian has no static-friendly DHCP client library; this is the part lota needs, no more.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace lota {

using MacAddress = std::array<uint8_t, 6>;

enum class DhcpType : uint8_t { discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6 };

struct DhcpMessage {
  uint8_t op = 0;  // 1 request, 2 reply
  uint32_t xid = 0;
  MacAddress chaddr{};
  uint32_t yiaddr = 0;  // network byte order
  DhcpType type{};
  uint32_t server_id = 0;
  uint32_t subnet_mask = 0;
  uint32_t router = 0;
  std::vector<uint32_t> dns;
  uint32_t lease_seconds = 0;
};

struct DhcpLease {
  uint32_t address = 0;
  int prefix_len = 24;
  uint32_t router = 0;
  uint32_t server = 0;
  std::vector<uint32_t> dns;
  uint32_t lease_seconds = 0;
};

std::vector<uint8_t> build_dhcp_discover(uint32_t xid, const MacAddress& mac);
std::vector<uint8_t> build_dhcp_request(uint32_t xid, const MacAddress& mac, uint32_t requested, uint32_t server);
// Rejects anything that is not a well-formed BOOTP reply with a DHCP message type.
Result<DhcpMessage> parse_dhcp_message(const uint8_t* data, size_t len);

Result<MacAddress> interface_mac(const std::string& ifname);

// Runs the exchange on `ifname` (which must be up), giving up after timeout_s.
Result<DhcpLease> dhcp_acquire(const std::string& ifname, double timeout_s);

}  // namespace lota
