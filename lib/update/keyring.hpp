// The keys a device trusts (docs/trust.md, "Keys that change"): those of sign_key in
// /etc/lota.conf (one base64 key inline, or a file with one per line), extended by the signed
// rotation chain the server publishes next to its statements (<remote>/lota/keyring). Each chain
// entry adds, retires (from a time on) or revokes a key and is signed by a key trusted at that
// point, so a device that missed releases still follows the chain. The device keeps the keyring
// it derived only when a release verified with it is deployed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "system/config.hpp"

namespace lota {

// Bounds on what unverified data can cost PID 1: at most entries x keys x signatures ed25519
// checks for a chain (64 x 8 x 2), keys x Repo::kMaxSignatures for a commit (8 x 4).
constexpr size_t kMaxChainBytes = 64u << 10;
constexpr size_t kMaxChainEntries = 64;
constexpr size_t kMaxChainEntrySignatures = 2;
constexpr size_t kMaxKeys = 8;

struct TrustedKey {
  std::string key;           // base64 ed25519 public key
  int64_t retired_from = 0;  // nothing dated from then on (commit timestamp, publication) is taken; 0: not retired
  bool revoked = false;      // nothing it signed is taken
  bool operator==(const TrustedKey&) const = default;
};

struct Keyring {
  std::vector<TrustedKey> keys;
  int64_t serial = 0;  // chain entries applied
  bool empty() const { return keys.empty(); }
  const TrustedKey* find(const std::string& key) const;
  // May `key` sign something dated `t`? (Why not, or "".)
  std::string refusal(const std::string& key, int64_t t) const;
  bool operator==(const Keyring&) const = default;
};

// The keys of a sign_key setting: base64 inline, or a file holding one per line ('#' comments).
Result<std::vector<std::string>> load_sign_keys(const std::string& setting);

// The keys releases must be signed with: the device's kept keyring (`kept`, may be empty) with
// the configured keys added (a revocation it holds stays). Signed by default: a remote without a
// key is an error unless allow_unsigned=1, and then an empty keyring (said every boot).
Result<Keyring> required_keyring(const Config& config, const Keyring& kept);

// Applies the chain's entries past base.serial, in order (serials without gaps, publication
// times that never go back), each signed by a key valid at its publication; an entry that would
// change nothing is passed over unverified. An entry that fails ends it: an error, and `base`
// stays what it was.
Result<Keyring> follow_chain(const Keyring& base, const std::string& chain_text);

// Whether `after` trusts a key `before` does not (a chain that only retires or revokes does not).
bool adds_keys(const Keyring& before, const Keyring& after);

// Which key of `ring` made one of `signatures` (raw, 64 bytes each) over `data`; a revoked one is
// an error naming it.
Result<std::string> find_signer(const Keyring& ring, const std::string& data,
                                const std::vector<std::string>& signatures, const std::string& what);

// "<JSON line>\n" then "ed25519 <base64>" lines: the JSON line and its raw signatures (at most
// `max`), for statements and chain entries alike.
struct SignedLine {
  std::string body;
  std::vector<std::string> signatures;
};
Result<std::vector<SignedLine>> parse_signed_lines(std::string_view text, size_t max_lines, size_t max_sigs);

}  // namespace lota
