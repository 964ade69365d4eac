// The kernel command line, split as the kernel splits it: on spaces, with double quotes
// grouping a value that contains spaces ("lota.x=\"a b\"").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lota {

struct CmdlineParam {
  std::string key;
  std::optional<std::string> value;  // absent for a bare flag such as "quiet"
};

std::vector<CmdlineParam> parse_cmdline(std::string_view text);

}  // namespace lota
