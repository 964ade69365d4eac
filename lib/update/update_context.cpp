#include "update/update_context.hpp"

#include "base/log.hpp"
#include "update/reclaim.hpp"

namespace lota {

void UpdateContext::say_and_journal(const std::string& text) {
  log::info("{}", text);
  state.add_event(text);
  if (auto st = save_state(layout.state(), state); !st) log::warn("{}", st.error().message);
}

Status UpdateContext::save_journal_making_room() {
  auto st = save_state(layout.state(), state);
  if (st) return st;
  log::warn("{}; {}; trying again", st.error().message, reclaim_space(*this));
  return save_state(layout.state(), state);
}

}  // namespace lota
