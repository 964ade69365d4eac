#include "system/modules.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <set>

#include "base/unique_fd.hpp"

namespace lota {

std::string module_name(std::string_view p) {
  if (auto slash = p.rfind('/'); slash != std::string_view::npos) p.remove_prefix(slash + 1);
  if (auto ko = p.find(".ko"); ko != std::string_view::npos) p = p.substr(0, ko);
  std::string name(p);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

Result<ModuleIndex> parse_modules_dep(std::string_view text) {
  ModuleIndex index;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return make_error("modules.dep line {}: expected 'path.ko: deps...' - regenerate it with depmod", line_no);
    ModuleIndex::Entry entry{std::string(line.substr(0, colon)), {}};
    std::string_view rest = line.substr(colon + 1);
    while (!rest.empty()) {
      auto sp = rest.find(' ');
      std::string_view word = rest.substr(0, sp);
      rest.remove_prefix(sp == std::string_view::npos ? rest.size() : sp + 1);
      if (!word.empty()) entry.deps.push_back(module_name(word));
    }
    index.modules[module_name(entry.path)] = std::move(entry);
  }
  return index;
}

namespace {

struct Resolver {
  const ModuleIndex& index;
  std::vector<std::string> order;
  std::set<std::string> done, active;

  Status visit(const std::string& name, const std::string& wanted_by) {
    if (done.count(name)) return {};
    auto it = index.modules.find(name);
    if (it == index.modules.end())
      return wanted_by.empty()
                 ? make_error(
                       "kernel module '{}' is not in modules.dep - add it to the initramfs or drop it "
                       "from the board's module list",
                       name)
                 : make_error("kernel module '{}' (needed by '{}') is not in modules.dep - rebuild the initramfs", name,
                              wanted_by);
    if (!active.insert(name).second)
      return make_error("modules.dep has a dependency cycle through '{}' - regenerate it with depmod", name);
    for (const auto& dep : it->second.deps) LOTA_TRY(visit(dep, name));
    active.erase(name);
    done.insert(name);
    order.push_back(it->second.path);
    return {};
  }
};

}  // namespace

Result<std::vector<std::string>> resolve_load_order(const ModuleIndex& index, const std::vector<std::string>& wanted) {
  Resolver r{index, {}, {}, {}};
  for (const auto& w : wanted) LOTA_TRY(r.visit(module_name(w), ""));
  return std::move(r.order);
}

Status load_module_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("kernel module {}", path);
  // Compressed modules need the kernel to decompress them (CONFIG_MODULE_DECOMPRESS).
  constexpr int kCompressedFile = 4;  // MODULE_INIT_COMPRESSED_FILE, absent from older headers
  bool compressed = path.ends_with(".xz") || path.ends_with(".zst") || path.ends_with(".gz");
  if (syscall(SYS_finit_module, fd.get(), "", compressed ? kCompressedFile : 0) != 0 && errno != EEXIST)
    return errno_error("loading kernel module {}", path);
  return {};
}

}  // namespace lota
