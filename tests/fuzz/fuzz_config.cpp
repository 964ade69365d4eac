// libFuzzer: /etc/lota.conf (GKeyFile, group [lota]).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "system/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = lota::load_config(text, {});
  const auto& c = loaded.config;  // bad values never land
  if (c.tries < 1 || c.check_timeout <= 0 || c.pull_timeout <= 0 || c.stall_timeout <= 0) __builtin_trap();
  return 0;
}
