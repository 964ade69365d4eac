// "Is there a newer commit?": the network brought up and the branch's ref read from the remote,
// inside lota.check_timeout in total, so that a dead link or server costs a bounded boot delay.
#pragma once

#include <string>

#include "base/result.hpp"
#include "system/config.hpp"

namespace lota {

// Asks the remote for the branch's commit (refs/heads/<branch>), bounded by timeout_s.
Result<std::string> check_remote(const Config& config, double timeout_s);

// Network up (lota.ip=), then check_remote, inside lota.check_timeout in total.
Result<std::string> network_and_check(const Config& config);

}  // namespace lota
