#include "update/server_word.hpp"

#include <ctime>

#include "base/log.hpp"

namespace lota {

bool take_statement(UpdateContext& ctx, const Statement& statement) {
  auto fresh = accept_statement(ctx.state, statement);
  if (!fresh) {
    log::error("{}; booting the current version", fresh.error().message);
    ctx.state.add_event(fresh.error().message);
    (void)ctx.save_journal_making_room();
    return false;
  }
  if (*fresh)
    if (auto st = ctx.save_journal_making_room(); !st) log::warn("{}", st.error().message);
  if (auto expired = statement_expiry(*ctx.state.statement, std::time(nullptr)); !expired.empty())
    log::warn("{}", expired);
  return true;
}

void keep_tightened_keyring(UpdateContext& ctx, const Keyring& had, const Keyring& followed) {
  if (followed.serial <= ctx.state.keyring.serial || adds_keys(had, followed)) return;
  ctx.state.keyring = followed;
  if (auto st = ctx.save_journal_making_room(); !st) log::warn("{}", st.error().message);
}

}  // namespace lota
