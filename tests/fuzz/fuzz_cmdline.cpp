// libFuzzer: the kernel command line, and the lota.* settings taken from it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "system/cmdline.hpp"
#include "system/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto params = lota::parse_cmdline(text);
  auto loaded = lota::load_config("", params);
  // Every warning names the key it is about (the way out for the user).
  for (const auto& w : loaded.warnings)
    if (w.find("lota.") == std::string::npos) __builtin_trap();
  return 0;
}
