// Kernel modules without kmod: libkmod cannot be linked statically, so lota reads
// modules.dep itself, orders a module's dependencies first and loads each file with
// finit_module(2).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace lota {

struct ModuleIndex {
  // Normalised module name ("sdhci_esdhc_imx") -> path relative to the modules directory,
  // and the names it depends on as modules.dep lists them.
  struct Entry {
    std::string path;
    std::vector<std::string> deps;
  };
  std::map<std::string, Entry> modules;
};

// "kernel/drivers/mmc/host/sdhci-esdhc-imx.ko.xz" -> "sdhci_esdhc_imx"; "armmmci" -> "armmmci".
std::string module_name(std::string_view path_or_name);

Result<ModuleIndex> parse_modules_dep(std::string_view text);

// The paths to load, dependencies before dependents, each once, in the order asked.
Result<std::vector<std::string>> resolve_load_order(const ModuleIndex& index, const std::vector<std::string>& wanted);

// Loads one module file; a module that is already loaded or built in counts as loaded.
Status load_module_file(const std::string& path);

}  // namespace lota
