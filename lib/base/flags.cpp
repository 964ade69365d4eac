#include "base/flags.hpp"

namespace lota {

Status parse_flags(const std::vector<std::string>& args, const std::vector<Flag>& flags) {
  for (size_t i = 0; i < args.size(); i += 2) {
    const Flag* flag = nullptr;
    for (const auto& f : flags)
      if (args[i] == f.name) flag = &f;
    if (!flag) return make_error("unknown option {}", args[i]);
    if (i + 1 >= args.size()) return make_error("option {} needs a value", args[i]);
    if (auto st = flag->set(args[i + 1]); !st) return st.error().with_context("{}", args[i]);
  }
  return {};
}

}  // namespace lota
