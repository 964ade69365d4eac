// The signed statement a server publishes next to each branch (scripts/publish writes it to
// <repo>/lota/refs/<branch>; docs/trust.md defines it): the branch, its commit and version, when
// it was published and when it expires, signed with the release key. The ref itself
// (refs/heads/<branch>) is unsigned and never expires: anyone on the path could hold a device on
// an old version forever. A device requires the statement, refuses one older than the newest it
// has accepted (a floor kept in its trust record, no clock needed), and says when the one it is
// served has expired (a frozen or stale server it can see, when it has a clock).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

#include "base/result.hpp"
#include "update/keyring.hpp"
#include "update/state.hpp"

namespace lota {

constexpr size_t kMaxStatementBytes = 4096;

struct Statement {
  std::string branch, commit, version;
  int64_t published = 0;  // seconds since the epoch, as the publishing host's clock said
  int64_t expires = 0;
  int64_t keyring = 0;  // entries in the server's key chain when it was signed
  std::string signer;   // the key whose signature verified
};

// "<remote>/lota/refs/<branch>".
std::string statement_url(const std::string& remote, const std::string& branch);

// Parses and verifies a statement: one JSON line, then "ed25519 <base64 signature>" lines (at
// most 8), one by a key of `ring` valid at its publication, over the JSON line's bytes.
Result<Statement> parse_statement(const std::string& text, const Keyring& ring, const std::string& branch);

// The statement against the device's floor for its branch: an older one is refused (a replay),
// so is another one published at the same second. A newer one raises the floor in `state` (returns true: save).
Result<bool> accept_statement(State& state, const Statement& s);

// "" while the statement is fresh or the clock cannot tell (a board without an RTC at 1970: a
// clock a day or more before the publication proves nothing); else one line saying since when it
// expired.
std::string statement_expiry(const StatementSeen& s, std::time_t now);

// "2026-12-02 16:40 UTC".
std::string utc_time(int64_t t);

}  // namespace lota
