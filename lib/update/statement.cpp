#include "update/statement.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "update/keyring.hpp"

namespace lota {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxStatementSignatures = 8;

// Only after the signature: the JSON fields.
Result<Statement> statement_fields(const std::string& body) {
  try {
    json j = json::parse(body);
    if (j.value("format", 0) != 1) return make_error(ErrorKind::server, "unknown format");
    Statement s{j.at("branch").get<std::string>(),
                j.at("commit").get<std::string>(),
                j.at("version").get<std::string>(),
                j.at("published").get<int64_t>(),
                j.at("expires").get<int64_t>(),
                j.value("keyring", int64_t{0}),
                ""};
    if (!is_checksum(s.commit)) return make_error(ErrorKind::server, "'commit' is not a checksum");
    return s;
  } catch (const std::exception& e) {
    return make_error(ErrorKind::server, "malformed ({})", e.what());
  }
}

Result<Statement> parse_and_verify(const std::string& text, const Keyring& ring, const std::string& branch) {
  if (text.size() > kMaxStatementBytes)
    return make_error(ErrorKind::server, "larger than {} bytes", kMaxStatementBytes);
  auto lines = parse_signed_lines(text, 1, kMaxStatementSignatures);
  if (!lines) return lines.error();
  if (lines->empty()) return make_error(ErrorKind::server, "empty");
  const SignedLine& line = lines->front();
  auto signer = find_signer(ring, line.body, line.signatures, "the statement");
  if (!signer) return signer.error();
  auto s = statement_fields(line.body);
  if (!s) return s.error();
  if (auto why = ring.refusal(*signer, s->published); !why.empty()) return make_error(ErrorKind::trust, "{}", why);
  if (s->branch != branch)
    return make_error(ErrorKind::trust, "it is for branch {}, not {} (served in the wrong place)", s->branch, branch);
  s->signer = *signer;
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

Result<Statement> parse_statement(const std::string& text, const Keyring& ring, const std::string& branch) {
  auto s = parse_and_verify(text, ring, branch);
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
