// What the device keeps of a server's answer, at boot and in `lota fetch` alike: the floor of
// signed statements (nothing published before the newest one taken), and a key chain that only
// retired or revoked keys (it can only refuse more, so it is kept at once).
#pragma once

#include "update/keyring.hpp"
#include "update/statement.hpp"
#include "update/update_context.hpp"

namespace lota {

// The statement against the floor of those accepted before; a newer one raises it (journal).
// False, said on the console and journalled, when it is older than one taken before.
bool take_statement(UpdateContext& ctx, const Statement& statement);

// A chain that adds a key is kept with the release that verifies under it (fetch.cpp), not here.
void keep_tightened_keyring(UpdateContext& ctx, const Keyring& had, const Keyring& followed);

}  // namespace lota
