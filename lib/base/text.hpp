// Small text helpers for what servers and files hand lota: whitespace, checksums.
#pragma once

#include <cctype>
#include <string>

namespace lota {

// Without leading and trailing whitespace.
inline std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// An OSTree object checksum: 64 lower-case hex digits.
inline bool is_checksum(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

// The first 12 digits of a checksum, as the console shows commits.
inline std::string short_id(const std::string& checksum) {
  return checksum.substr(0, 12);
}

}  // namespace lota
