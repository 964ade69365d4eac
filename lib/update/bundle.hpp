// Offline updates: a bundle (scripts/make-bundle) put on the root partition by `lota install`,
// or found on removable media as lota-update.bundle, is checked as a network update is (its
// superblock's signature, then the commit's signature, ref binding and downgrade floor, before it
// is applied), imported into the device's repository and staged (stage.hpp): the same boot
// deploys it.
#pragma once

#include <string>

#include "update/keyring.hpp"
#include "update/update_context.hpp"

namespace lota {

// The fixed names on a medium's top directory: the bundle, and optionally the publisher's key
// chain (scripts/keygen's DIR/chain) for devices that trust only a key rotated out since.
constexpr const char* kBundleName = "lota-update.bundle";
constexpr const char* kChainName = "lota-update.keyring";

// Where `lota install` puts a bundle on the root partition.
std::string installed_bundle(const Layout& layout);

// Looks at the installed bundle (deleted once it is taken or refused) and at each medium of
// lota.bundle_media (devices mounted read-only, or directories), and stages the first that passes.
// Every refusal is one console line. True when one was staged.
bool take_bundles(UpdateContext& ctx, const Keyring& ring);

// `lota install FILE`: copied onto the root partition (write temp, fsync, rename) for the next boot.
Status install_bundle(const Layout& layout, const std::string& file);

}  // namespace lota
