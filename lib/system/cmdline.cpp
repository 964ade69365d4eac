#include "system/cmdline.hpp"

namespace lota {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// One word, honouring double quotes anywhere in it; the quotes themselves are dropped.
std::string next_word(std::string_view text, size_t& pos) {
  std::string word;
  bool quoted = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && is_space(c)) {
      break;
    } else {
      word += c;
    }
  }
  return word;
}

}  // namespace

std::vector<CmdlineParam> parse_cmdline(std::string_view text) {
  std::vector<CmdlineParam> params;
  size_t pos = 0;
  while (pos < text.size()) {
    if (is_space(text[pos])) {
      ++pos;
      continue;
    }
    std::string word = next_word(text, pos);
    if (word.empty()) continue;
    auto eq = word.find('=');
    if (eq == std::string::npos) {
      params.push_back({word, std::nullopt});
    } else {
      params.push_back({word.substr(0, eq), word.substr(eq + 1)});
    }
  }
  return params;
}

}  // namespace lota
