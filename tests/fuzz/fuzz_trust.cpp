// libFuzzer: what the server says about trust, parsed in PID 1 before anything of it is believed:
// the signed statement (lota/refs/<branch>), the key chain (lota/keyring) and a commit's detached
// metadata (.commitmeta). The corpus holds real ones (scripts/statement, keygen --rotate/--revoke,
// publish) signed with the key below, so that inputs reach past the signature check.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/text.hpp"
#include "update/keyring.hpp"
#include "update/repo.hpp"
#include "update/statement.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  lota::Keyring ring{{{"NYYw9s4C93yaVG66tOlr39bRxbO5B3Z4CMjcgh+nOAc=", 0, false}}, 0};
  auto chained = lota::follow_chain(ring, text);
  if (chained && (chained->serial < ring.serial || chained->keys.size() > lota::kMaxKeys)) __builtin_trap();
  const lota::Keyring& use = chained ? *chained : ring;
  auto s = lota::parse_statement(text, use, "fuzz/stable");
  if (s && (!lota::is_checksum(s->commit) || s->branch != "fuzz/stable" || !use.find(s->signer))) __builtin_trap();
  auto sigs = lota::Repo::commit_signatures(text, std::string(64, 'a'));
  if (sigs && sigs->size() > lota::Repo::kMaxSignatures) __builtin_trap();
  return 0;
}
