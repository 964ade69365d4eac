#include "update/statement.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "base/text.hpp"
#include "update/repo.hpp"

namespace lota {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxStatementSignatures = 8;

// "ed25519 <base64>" lines: the raw 64-byte signatures.
Result<std::vector<std::string>> signature_lines(std::string_view rest) {
  std::vector<std::string> sigs;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string line(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty()) continue;
    if (!line.starts_with("ed25519 ") || sigs.size() == kMaxStatementSignatures)
      return make_error(ErrorKind::server, "unexpected line '{}'", line.substr(0, 40));
    gsize n = 0;
    g_autofree guchar* raw = g_base64_decode(line.c_str() + 8, &n);
    if (n != 64) return make_error(ErrorKind::server, "a signature is not 64 bytes");
    sigs.emplace_back(reinterpret_cast<const char*>(raw), n);
  }
  if (sigs.empty()) return make_error(ErrorKind::trust, "it carries no ed25519 signature");
  return sigs;
}

// Only after the signature: the JSON fields.
Result<Statement> statement_fields(const std::string& body) {
  try {
    json j = json::parse(body);
    if (j.value("format", 0) != 1) return make_error(ErrorKind::server, "unknown format");
    Statement s{j.at("branch").get<std::string>(), j.at("commit").get<std::string>(),
                j.at("version").get<std::string>(), j.at("published").get<int64_t>(), j.at("expires").get<int64_t>()};
    if (!is_checksum(s.commit)) return make_error(ErrorKind::server, "'commit' is not a checksum");
    return s;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::server, "malformed ({})", e.what());
  }
}

Result<Statement> parse_and_verify(const std::string& text, const std::string& key, const std::string& branch) {
  if (text.size() > kMaxStatementBytes)
    return make_error(ErrorKind::server, "larger than {} bytes", kMaxStatementBytes);
  auto nl = text.find('\n');
  if (nl == std::string::npos) return make_error(ErrorKind::trust, "it carries no ed25519 signature");
  std::string body = text.substr(0, nl);
  auto sigs = signature_lines(std::string_view(text).substr(nl + 1));
  if (!sigs) return sigs.error();
  LOTA_TRY(Repo::verify_raw_signatures(body, *sigs, key, "the statement"));
  auto s = statement_fields(body);
  if (!s) return s.error();
  if (s->branch != branch)
    return make_error(ErrorKind::trust, "it is for branch {}, not {} (served in the wrong place)", s->branch, branch);
  return s;
}

}  // namespace

std::string utc_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!::gmtime_r(&tt, &tm)) return std::to_string(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string statement_url(const std::string& remote, const std::string& branch) {
  return remote + "/lota/refs/" + branch;
}

Result<Statement> parse_statement(const std::string& text, const std::string& key, const std::string& branch) {
  auto s = parse_and_verify(text, key, branch);
  if (!s) return s.error().with_context("the signed statement for {}", branch);
  return s;
}

Result<bool> accept_statement(State& state, const Statement& s) {
  // The floor is the branch's: a device moved to another branch (a new initramfs) starts its own.
  auto seen = state.statement && state.statement->branch == s.branch ? state.statement : std::nullopt;
  if (seen && s.published < seen->published)
    return make_error(ErrorKind::trust,
                      "the server's statement for {} ({}, published {}) is older than one accepted here before ({}, "
                      "published {}): a replay - refused",
                      s.branch, s.version, utc_time(s.published), seen->version, utc_time(seen->published));
  if (seen && s.published == seen->published && s.commit != seen->commit)
    return make_error(ErrorKind::trust,
                      "the server's statement for {} names {} and was published at the same second as the one "
                      "accepted here ({}) - refused",
                      s.branch, short_id(s.commit), short_id(seen->commit));
  if (seen && s.published == seen->published) return false;
  state.statement = StatementSeen{s.branch, s.published, s.expires, s.version, s.commit};
  return true;
}

std::string statement_expiry(const StatementSeen& s, std::time_t now) {
  // A clock a day or more before the publication is not set (no RTC, 1970): it proves nothing.
  if (now + 86400 < s.published || now <= s.expires) return "";
  return fmt::format(
      "the server's statement ({}, published {}) expired {} and was still the newest it served: "
      "a stale mirror or a freeze - check the server",
      s.version, utc_time(s.published), utc_time(s.expires));
}

}  // namespace lota
