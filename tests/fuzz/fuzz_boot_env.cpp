// libFuzzer: a boot env copy (lota-env.a/.b). Whatever parses must format back to a text that
// parses to the same values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "boot/boot_env.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto env = lota::parse_boot_env(text);
  if (!env) return 0;
  auto again = lota::parse_boot_env(lota::format_boot_env(*env));
  if (!again || again->seq != env->seq || again->bootset != env->bootset || again->fallback != env->fallback)
    __builtin_trap();
  return 0;
}
