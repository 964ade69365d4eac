#include "update/keyring.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "update/repo.hpp"

namespace lota {
namespace {

using json = nlohmann::json;

// 32 bytes in base64: 43 characters of the alphabet and one '='.
bool looks_like_key(const std::string& s) {
  if (s.size() != 44 || s.back() != '=') return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(s[i])) && s[i] != '+' && s[i] != '/') return false;
  return true;
}

std::vector<std::string> key_lines(const std::string& text) {
  std::vector<std::string> keys;
  size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (!line.empty() && line[0] != '#') keys.push_back(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return keys;
}

// One chain entry, once its signature verified: what it does to `ring`.
Status apply_entry(Keyring& ring, const json& e) {
  auto key_of = [&e](const char* field) { return e.at(field).get<std::string>(); };
  if (e.contains("add")) {
    std::string k = key_of("add");
    if (!looks_like_key(k)) return make_error(ErrorKind::server, "entry {} adds no key", ring.serial + 1);
    if (!ring.find(k) && ring.keys.size() < kMaxKeys) ring.keys.push_back({k, 0, false});
  } else if (e.contains("retire") || e.contains("revoke")) {
    bool revoke = e.contains("revoke");
    std::string k = key_of(revoke ? "revoke" : "retire");
    auto it = std::find_if(ring.keys.begin(), ring.keys.end(), [&k](const TrustedKey& t) { return t.key == k; });
    if (it == ring.keys.end()) return {};  // a key this device never trusted
    if (revoke) it->revoked = true;
    int64_t from = revoke ? 0 : e.at("from").get<int64_t>();
    if (!revoke && (it->retired_from == 0 || from < it->retired_from)) it->retired_from = from;
  } else {
    return make_error(ErrorKind::server, "entry {} neither adds, retires nor revokes a key", ring.serial + 1);
  }
  ring.serial++;
  return {};
}

Status follow_entry(Keyring& ring, const SignedLine& line) {
  json e = json::parse(line.body);  // the caller catches
  int64_t serial = e.at("serial").get<int64_t>();
  if (serial <= ring.serial) return {};  // applied before
  if (serial != ring.serial + 1)
    return make_error(ErrorKind::server, "entry {} follows entry {}: the chain has a gap", serial, ring.serial);
  auto signer = find_signer(ring, line.body, line.signatures, fmt::format("key chain entry {}", serial));
  if (!signer) return signer.error();
  if (auto why = ring.refusal(*signer, e.at("published").get<int64_t>()); !why.empty())
    return make_error(ErrorKind::trust, "key chain entry {}: {}", serial, why);
  return apply_entry(ring, e);
}

}  // namespace

const TrustedKey* Keyring::find(const std::string& key) const {
  for (const auto& k : keys)
    if (k.key == key) return &k;
  return nullptr;
}

std::string Keyring::refusal(const std::string& key, int64_t t) const {
  const TrustedKey* k = find(key);
  if (!k) return "signed by a key this device does not trust";
  if (k->revoked) return fmt::format("signed by the revoked key {}", key.substr(0, 8));
  if (k->retired_from != 0 && t >= k->retired_from)
    return fmt::format("signed only by the key {}, retired from {} on (this is dated {})", key.substr(0, 8),
                       k->retired_from, t);
  return "";
}

Result<std::vector<std::string>> load_sign_keys(const std::string& setting) {
  if (setting.empty()) return std::vector<std::string>{};
  std::vector<std::string> keys{setting};
  // A key may start with '/' too (base64): only what is not a key is taken for a file.
  if (setting[0] == '/' && !looks_like_key(setting)) {
    auto text = read_file(setting);
    if (!text) return text.error().with_context("lota.sign_key");
    keys = key_lines(*text);
  }
  if (keys.empty() || keys.size() > kMaxKeys)
    return make_error(ErrorKind::trust, "lota.sign_key: expected 1 to {} keys (from scripts/keygen)", kMaxKeys);
  for (const auto& k : keys)
    if (!looks_like_key(k))
      return make_error(ErrorKind::trust,
                        "lota.sign_key: not a base64 ed25519 public key (44 characters, from scripts/keygen)");
  return keys;
}

Result<Keyring> required_keyring(const Config& config, const Keyring& kept) {
  auto keys = load_sign_keys(config.sign_key);
  if (!keys) return keys.error();
  if (keys->empty() && !config.allow_unsigned)
    return make_error(ErrorKind::trust,
                      "lota.remote is set but no sign_key: updates are off - put sign_key= (the ed25519.pub of "
                      "scripts/keygen) in the initramfs's /etc/lota.conf, or allow_unsigned=1 there to run unsigned");
  if (keys->empty()) {
    log::warn("signatures are not checked (allow_unsigned=1): whoever answers for {} can install anything",
              config.remote);
    return Keyring{};
  }
  Keyring ring = kept;
  for (const auto& k : *keys)
    if (!ring.find(k) && ring.keys.size() < kMaxKeys) ring.keys.push_back({k, 0, false});
  return ring;
}

Result<std::vector<SignedLine>> parse_signed_lines(std::string_view text, size_t max_lines, size_t max_sigs) {
  std::vector<SignedLine> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    if (!line.starts_with("ed25519 ")) {
      if (lines.size() == max_lines) return make_error(ErrorKind::server, "more than {} entries", max_lines);
      lines.push_back({line, {}});
      continue;
    }
    if (lines.empty() || lines.back().signatures.size() == max_sigs)
      return make_error(ErrorKind::server, "a signature line out of place");
    gsize n = 0;
    g_autofree guchar* raw = g_base64_decode(line.c_str() + 8, &n);
    if (n != 64) return make_error(ErrorKind::server, "a signature is not 64 bytes");
    lines.back().signatures.emplace_back(reinterpret_cast<const char*>(raw), n);
  }
  return lines;
}

Result<std::string> find_signer(const Keyring& ring, const std::string& data,
                                const std::vector<std::string>& signatures, const std::string& what) {
  if (signatures.empty()) return make_error(ErrorKind::trust, "{} carries no ed25519 signature", what);
  for (const auto& k : ring.keys)
    if (!k.revoked && Repo::verify_raw_signatures(data, signatures, k.key, what).ok()) return k.key;
  for (const auto& k : ring.keys)
    if (k.revoked && Repo::verify_raw_signatures(data, signatures, k.key, what).ok())
      return make_error(ErrorKind::trust, "{} is signed by the revoked key {} - refused", what, k.key.substr(0, 8));
  return make_error(ErrorKind::trust, "no signature of {} verifies with the {} trusted key(s)", what, ring.keys.size());
}

Result<Keyring> follow_chain(const Keyring& base, const std::string& chain_text) {
  if (chain_text.size() > kMaxChainBytes)
    return make_error(ErrorKind::server, "the key chain is larger than {} bytes", kMaxChainBytes);
  auto lines = parse_signed_lines(chain_text, kMaxChainEntries, Repo::kMaxSignatures);
  if (!lines) return lines.error().with_context("the key chain");
  Keyring ring = base;
  try {
    for (const auto& line : *lines)
      if (auto st = follow_entry(ring, line); !st) return st.error().with_context("the key chain");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::server, "the key chain: entry {} is malformed ({})", ring.serial + 1, e.what());
  }
  return ring;
}

}  // namespace lota
