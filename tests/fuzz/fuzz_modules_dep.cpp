// libFuzzer: modules.dep, and resolving a load order from it (cycles, missing entries).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "system/modules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto index = lota::parse_modules_dep(text);
  if (!index) return 0;
  (void)lota::resolve_load_order(*index, {"ext4", "overlay", "a", "b"});
  return 0;
}
