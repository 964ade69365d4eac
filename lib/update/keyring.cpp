#include "update/keyring.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <stdexcept>

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

// An integer field of an entry not yet verified: a float or an out-of-range number is refused
// (nlohmann would cast it, undefined behaviour).
int64_t whole(const json& e, const char* field) {
  const json& v = e.at(field);
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX))
    throw std::invalid_argument(fmt::format("'{}' is not a whole number", field));
  return v.get<int64_t>();
}

// Whether an entry would change nothing here (it adds a key held already, or retires or revokes
// one this device never had): applied without its signature, so that a device made after a
// rotation, which never had the key that signed its first entries, still follows the chain.
bool changes_nothing(const Keyring& ring, const json& e) {
  for (const char* field : {"add", "retire", "revoke"})
    if (e.contains(field)) {
      const TrustedKey* k = ring.find(e.at(field).get<std::string>());
      return field == std::string_view("add") ? k != nullptr : k == nullptr;
    }
  return false;
}

// One chain entry, once its signature verified: what it does to `ring`.
Status apply_entry(Keyring& ring, const json& e) {
  auto key_of = [&e](const char* field) { return e.at(field).get<std::string>(); };
  if (e.contains("add")) {
    std::string k = key_of("add");
    if (!looks_like_key(k)) return make_error(ErrorKind::server, "entry {} adds no key", ring.serial + 1);
    if (ring.keys.size() >= kMaxKeys)
      return make_error(ErrorKind::trust, "entry {} would make more than {} keys", ring.serial + 1, kMaxKeys);
    ring.keys.push_back({k, 0, false});
  } else if (e.contains("retire") || e.contains("revoke")) {
    bool revoke = e.contains("revoke");
    std::string k = key_of(revoke ? "revoke" : "retire");
    auto it = std::find_if(ring.keys.begin(), ring.keys.end(), [&k](const TrustedKey& t) { return t.key == k; });
    if (revoke) it->revoked = true;
    // A retirement takes effect no later than its own publication: the retired key can sign no
    // later entry (entries are published in order), however it dates it.
    int64_t from = revoke ? 0 : whole(e, "from");
    if (!revoke && (from <= 0 || from > whole(e, "published")))
      return make_error(ErrorKind::server, "entry {} retires a key from {}, not by its publication", ring.serial + 1,
                        from);
    if (!revoke && (it->retired_from == 0 || from < it->retired_from)) it->retired_from = from;
  } else {
    return make_error(ErrorKind::server, "entry {} neither adds, retires nor revokes a key", ring.serial + 1);
  }
  return {};
}

Status follow_entry(Keyring& ring, const SignedLine& line, int64_t& last_published) {
  json e = json::parse(line.body);  // the caller catches
  int64_t serial = whole(e, "serial"), published = whole(e, "published");
  if (serial <= ring.serial) return {};  // applied before
  if (serial != ring.serial + 1)
    return make_error(ErrorKind::server, "entry {} follows entry {}: the chain has a gap", serial, ring.serial);
  if (published < last_published)
    return make_error(ErrorKind::server, "entry {} is dated before the entry it follows", serial);
  last_published = published;
  if (!changes_nothing(ring, e)) {
    auto signer = find_signer(ring, line.body, line.signatures, fmt::format("key chain entry {}", serial));
    if (!signer) return signer.error();
    if (auto why = ring.refusal(*signer, published); !why.empty())
      return make_error(ErrorKind::trust, "key chain entry {}: {}", serial, why);
    LOTA_TRY(apply_entry(ring, e));
  }
  ring.serial++;
  return {};
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

bool adds_keys(const Keyring& before, const Keyring& after) {
  for (const auto& k : after.keys)
    if (!before.find(k.key)) return true;
  return false;
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
  // Each key once (a check hashes all of `data`): at most kMaxKeys x the signatures allowed.
  for (const auto& k : ring.keys) {
    if (!Repo::verify_raw_signatures(data, signatures, k.key, what).ok()) continue;
    if (k.revoked)
      return make_error(ErrorKind::trust, "{} is signed by the revoked key {} - refused", what, k.key.substr(0, 8));
    return k.key;
  }
  return make_error(ErrorKind::trust, "no signature of {} verifies with the {} trusted key(s)", what, ring.keys.size());
}

Result<Keyring> follow_chain(const Keyring& base, const std::string& chain_text) {
  if (chain_text.size() > kMaxChainBytes)
    return make_error(ErrorKind::server, "the key chain is larger than {} bytes", kMaxChainBytes);
  auto lines = parse_signed_lines(chain_text, kMaxChainEntries, kMaxChainEntrySignatures);
  if (!lines) return lines.error().with_context("the key chain");
  Keyring ring = base;
  int64_t last_published = INT64_MIN;
  try {
    for (const auto& line : *lines)
      if (auto st = follow_entry(ring, line, last_published); !st) return st.error().with_context("the key chain");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::server, "the key chain: entry {} is malformed ({})", ring.serial + 1, e.what());
  }
  return ring;
}

}  // namespace lota
