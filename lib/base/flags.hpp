// "--name value" flags, as lota's commands and the pull job take them: each flag a table names,
// each with a value. Anything else is an error naming it, so a typo is never silently ignored.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace lota {

struct Flag {
  std::string_view name;  // "--remote"
  std::function<Status(const std::string& value)> set;
};

// A flag that stores its value in `target`.
inline Flag string_flag(std::string_view name, std::string& target) {
  return {name, [&target](const std::string& value) -> Status {
            target = value;
            return {};
          }};
}

Status parse_flags(const std::vector<std::string>& args, const std::vector<Flag>& flags);

}  // namespace lota
