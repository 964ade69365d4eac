// "Is there a newer commit?": the network brought up and the branch's ref read from the remote,
// inside lota.check_timeout in total, so that a dead link or server costs a bounded boot delay.
#pragma once

#include <optional>
#include <string>

#include "base/result.hpp"
#include "system/config.hpp"
#include "update/statement.hpp"

namespace lota {

// Asks the remote for the branch's commit (refs/heads/<branch>), bounded by timeout_s.
Result<std::string> check_remote(const Config& config, double timeout_s);

// What the remote offers: with a key, from its signed statement (lota/refs/<branch>), which is
// required; unsigned (allow_unsigned=1), from the ref.
struct RemoteOffer {
  std::string commit;
  std::optional<Statement> statement;
};

// Reads and verifies the branch's signed statement, bounded by timeout_s.
Result<Statement> check_statement(const Config& config, const std::string& key, double timeout_s);

// Network up (lota.ip=), then the statement (or the ref), inside lota.check_timeout in total.
Result<RemoteOffer> network_and_check(const Config& config, const std::string& key);

}  // namespace lota
