// libFuzzer: the state journal (JSON). Whatever parses must survive a save and load unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "update/state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto s = lota::parse_state(text);
  if (!s) return 0;
  std::string once = lota::serialize_state(*s);
  auto again = lota::parse_state(once);
  if (!again || lota::serialize_state(*again) != once) __builtin_trap();
  return 0;
}
