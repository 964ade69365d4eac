// The ed25519 public key commits must be signed with (lota.sign_key).
#pragma once

#include <string>

#include "base/result.hpp"

namespace lota {

// The key from lota.sign_key: base64 inline, or a file holding it; "" when none is set.
Result<std::string> load_sign_key(const std::string& setting);

}  // namespace lota
