#include "base/result.hpp"

#include <array>
#include <utility>

namespace lota {
namespace {

constexpr std::array<std::pair<ErrorKind, const char*>, 8> kKindNames{{
    {ErrorKind::internal, "internal"},
    {ErrorKind::disk_full, "disk_full"},
    {ErrorKind::ram_full, "ram_full"},
    {ErrorKind::network, "network"},
    {ErrorKind::server, "server"},
    {ErrorKind::trust, "trust"},
    {ErrorKind::corrupt, "corrupt"},
    {ErrorKind::refused, "refused"},
}};

}  // namespace

const char* to_string(ErrorKind kind) {
  for (const auto& [k, name] : kKindNames)
    if (k == kind) return name;
  return "internal";
}

ErrorKind error_kind_from(std::string_view name) {
  for (const auto& [k, n] : kKindNames)
    if (name == n) return k;
  return ErrorKind::internal;
}

ErrorKind error_kind_of_errno(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return ErrorKind::disk_full;
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
      return ErrorKind::network;
    case EUCLEAN:  // EFSCORRUPTED: ext4 found its metadata damaged
    case EBADMSG:
      return ErrorKind::corrupt;
    default:
      return ErrorKind::internal;
  }
}

}  // namespace lota
