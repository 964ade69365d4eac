#include "handover.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/log.hpp"
#include "update/keyring.hpp"

namespace lota {
namespace {

// A file of the initramfs copied to `dir/name`; the copy's path ("" when there is none).
std::string copy_out(const std::string& from, const std::string& dir, const std::string& name, unsigned mode) {
  if (from.empty()) return "";
  auto text = read_file(from);
  if (!text) {
    log::warn("{}; lota fetch in the running system will lack it", text.error().message);
    return "";
  }
  std::string to = dir + "/" + name;
  if (auto st = write_file_atomic(to, *text, mode); !st) log::warn("{}", st.error().message);
  return to;
}

// Only the settings a fetch uses; the keys inline or as a copied file.
std::string settings_for_fetch(const Config& c, const std::string& dir) {
  std::string keys;
  if (auto k = load_sign_keys(c.sign_key); k && !k->empty()) {
    for (const auto& key : *k) keys += key + "\n";
    if (auto st = write_file_atomic(dir + "/sign_keys", keys); !st) log::warn("{}", st.error().message);
  }
  std::string out = fmt::format(
      "# written by lota-init at boot from its own /etc/lota.conf and the kernel command line: the settings\n"
      "# `lota fetch` uses (changes here last until the next boot, and the next boot checks what was staged)\n"
      "[lota]\nremote={}\nbranch={}\ncheck_timeout={:g}\npull_timeout={:g}\nstall_timeout={:g}\nsysroot={}\n"
      "allow_unsigned={}\nallow_downgrade={}\n",
      c.remote, c.branch, c.check_timeout, c.pull_timeout, c.stall_timeout, c.sysroot, c.allow_unsigned ? 1 : 0,
      c.allow_downgrade ? 1 : 0);
  if (!keys.empty()) out += fmt::format("sign_key={}/sign_keys\n", dir);
  if (auto p = copy_out(c.tls.ca, dir, "tls_ca", 0644); !p.empty()) out += "tls_ca=" + p + "\n";
  if (auto p = copy_out(c.tls.client_cert, dir, "tls_cert", 0644); !p.empty()) out += "tls_cert=" + p + "\n";
  if (auto p = copy_out(c.tls.client_key, dir, "tls_key", 0600); !p.empty()) out += "tls_key=" + p + "\n";
  return out;
}

}  // namespace

void hand_over(const Config& config, const UpdateOutcome& outcome, const std::string& dir) {
  if (auto st = make_dirs(dir); !st) {
    log::warn("{}", st.error().message);
    return;
  }
  nlohmann::json check{{"ending", to_string(outcome.ending)}, {"summary", outcome.summary}, {"uptime", log::uptime()}};
  if (auto st = write_file_atomic(dir + "/boot-check",
                                  check.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      !st)
    log::warn("{}", st.error().message);
  if (config.remote.empty()) return;
  if (auto st = write_file_atomic(dir + "/lota.conf", settings_for_fetch(config, dir)); !st)
    log::warn("{}", st.error().message);
}

}  // namespace lota
