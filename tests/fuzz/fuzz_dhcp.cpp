// libFuzzer: DHCP messages as they arrive from the network, and the ip= setting.
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/dhcp.hpp"
#include "net/ipconfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)lota::parse_dhcp_message(data, size);
  (void)lota::parse_ip_config(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
