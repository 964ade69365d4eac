// "Is there a newer commit?": the network brought up and the branch's ref read from the remote,
// inside lota.check_timeout in total, so that a dead link or server costs a bounded boot delay.
#pragma once

#include <optional>
#include <string>

#include "base/result.hpp"
#include "system/config.hpp"
#include "update/keyring.hpp"
#include "update/statement.hpp"

namespace lota {

// Asks the remote for the branch's commit (refs/heads/<branch>), bounded by timeout_s.
Result<std::string> check_remote(const Config& config, double timeout_s);

// What the remote offers: with a key, from its signed statement (lota/refs/<branch>), which is
// required; unsigned (allow_unsigned=1), from the ref.
struct RemoteOffer {
  std::string commit;
  std::optional<Statement> statement;
  Keyring keyring;    // the device's, followed along the server's key chain when that was needed
  std::string chain;  // the chain's text when it was followed ("" otherwise): kept with a staged
                      // release, whose next boot follows it again from the device's own keys
};

// Reads and verifies the branch's signed statement, bounded by timeout_s. When no key of `ring`
// verifies it, the server's key chain (lota/keyring) is followed and it is tried once more.
Result<RemoteOffer> check_statement(const Config& config, const Keyring& ring, double timeout_s);

// The statement (or, with an empty `ring`, the unsigned ref) on a network that is up already:
// the running system's (lota fetch).
Result<RemoteOffer> read_offer(const Config& config, const Keyring& ring, double timeout_s);

// Network up (lota.ip=), then the statement (or the ref), inside lota.check_timeout in total.
// An empty `ring`: unsigned (allow_unsigned=1).
Result<RemoteOffer> network_and_check(const Config& config, const Keyring& ring);

}  // namespace lota
