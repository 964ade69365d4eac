// lota-module-closure MODULES_DIR NAME...: print, in load order, the paths (relative to
// MODULES_DIR) of the named kernel modules and everything they depend on. The initramfs
// builder copies exactly these; lota-init resolves the same modules.dep the same way.
#include <cstdio>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "system/modules.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: lota-module-closure MODULES_DIR [NAME...]\n");
    return 2;
  }
  std::string dir = argv[1];
  auto text = lota::read_file(dir + "/modules.dep");
  if (!text) {
    std::fprintf(stderr, "error: %s - run depmod on the kernel tree first\n", text.error().message.c_str());
    return 1;
  }
  auto index = lota::parse_modules_dep(*text);
  if (!index) {
    std::fprintf(stderr, "error: %s\n", index.error().message.c_str());
    return 1;
  }
  auto order = lota::resolve_load_order(*index, std::vector<std::string>(argv + 2, argv + argc));
  if (!order) {
    std::fprintf(stderr, "error: %s\n", order.error().message.c_str());
    return 1;
  }
  for (const auto& path : *order) std::printf("%s\n", path.c_str());
  return 0;
}
