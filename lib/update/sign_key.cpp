#include "update/sign_key.hpp"

#include "base/file.hpp"
#include "base/log.hpp"
#include "base/text.hpp"

namespace lota {
namespace {

// 32 bytes in base64: 43 characters of the alphabet and one '='.
bool looks_like_key(const std::string& s) {
  if (s.size() != 44 || s.back() != '=') return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(s[i])) && s[i] != '+' && s[i] != '/') return false;
  return true;
}

}  // namespace

Result<std::string> load_sign_key(const std::string& setting) {
  if (setting.empty()) return std::string();
  std::string key = setting;
  // A key may start with '/' too (base64): only what is not a key is taken for a file.
  if (setting[0] == '/' && !looks_like_key(setting)) {
    auto text = read_file(setting);
    if (!text) return text.error().with_context("lota.sign_key");
    key = trim(*text);
  }
  if (!looks_like_key(key))
    return make_error(ErrorKind::trust,
                      "lota.sign_key: not a base64 ed25519 public key (44 characters, from scripts/keygen)");
  return key;
}

Result<std::string> required_sign_key(const Config& config) {
  auto key = load_sign_key(config.sign_key);
  if (!key || !key->empty()) return key;
  if (!config.allow_unsigned)
    return make_error(ErrorKind::trust,
                      "lota.remote is set but no sign_key: updates are off - put sign_key= (the ed25519.pub of "
                      "scripts/keygen) in the initramfs's /etc/lota.conf, or allow_unsigned=1 there to run unsigned");
  log::warn("signatures are not checked (allow_unsigned=1): whoever answers for {} can install anything",
            config.remote);
  return key;
}

}  // namespace lota
