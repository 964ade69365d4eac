// The ed25519 public key commits must be signed with (lota.sign_key).
#pragma once

#include <string>

#include "base/result.hpp"
#include "system/config.hpp"

namespace lota {

// The key from lota.sign_key: base64 inline, or a file holding it; "" when none is set.
Result<std::string> load_sign_key(const std::string& setting);

// The key a remote's releases must be signed with. Signed by default: a remote without a key is an
// error unless allow_unsigned=1, and then "" (said on the console every boot).
Result<std::string> required_sign_key(const Config& config);

}  // namespace lota
