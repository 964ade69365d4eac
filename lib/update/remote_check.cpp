#include "update/remote_check.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "net/http.hpp"
#include "net/ipconfig.hpp"
#include "net/network.hpp"

namespace lota {

Result<std::string> check_remote(const Config& config, double timeout_s) {
  HttpOptions options{.timeout_s = timeout_s, .tls = config.tls, .max_bytes = 4096};
  auto body = http_get(config.remote + "/refs/heads/" + config.branch, options);
  if (!body) return body.error();
  std::string commit = trim(*body);
  if (!is_checksum(commit))
    return make_error(ErrorKind::server, "{}/refs/heads/{} is not a commit checksum - is lota.remote= an OSTree repo?",
                      config.remote, config.branch);
  return commit;
}

namespace {

Result<std::string> fetch_text(const Config& config, const std::string& url, size_t max_bytes, double timeout_s) {
  HttpOptions options{.timeout_s = timeout_s, .tls = config.tls, .max_bytes = max_bytes};
  return http_get(url, options);
}

// The server's key chain followed from `ring`; nullopt when it has none or it does not verify
// (said on the console).
std::optional<Keyring> along_chain(const Config& config, const Keyring& ring, double timeout_s, std::string& text) {
  auto chain = fetch_text(config, config.remote + "/lota/keyring", kMaxChainBytes, timeout_s);
  if (!chain) return std::nullopt;
  text = *chain;
  auto next = follow_chain(ring, *chain);
  if (!next) {
    log::warn("{}; keeping the keys this device has", next.error().message);
    return std::nullopt;
  }
  if (next->serial > ring.serial)
    log::info("key chain: followed to entry {} ({} keys)", next->serial, next->keys.size());
  return *next;
}

}  // namespace

Result<RemoteOffer> check_statement(const Config& config, const Keyring& ring, double timeout_s) {
  const double deadline = monotonic_seconds() + timeout_s;
  auto body = fetch_text(config, statement_url(config.remote, config.branch), kMaxStatementBytes, timeout_s);
  if (!body)
    return Error{fmt::format("{} - the server must publish a signed statement for the branch (scripts/publish)",
                             body.error().message),
                 body.error().kind};
  auto statement = parse_statement(*body, ring, config.branch);
  // Signed by a key this device holds and no newer chain than it has followed: done. Else the
  // chain may lead to the key that signed it, or to a revocation of the one that did.
  if (statement) {
    if (statement->keyring <= ring.serial) return RemoteOffer{statement->commit, *statement, ring, ""};
  }
  std::string chain;
  auto next = along_chain(config, ring, std::max(0.5, deadline - monotonic_seconds()), chain);
  if (!next || next->serial == ring.serial) {
    if (statement) return RemoteOffer{statement->commit, *statement, ring, ""};
    return statement.error();
  }
  auto again = parse_statement(*body, *next, config.branch);
  if (!again) return again.error();
  return RemoteOffer{again->commit, *again, *next, chain};
}

Result<RemoteOffer> read_offer(const Config& config, const Keyring& ring, double timeout_s) {
  if (!ring.empty()) return check_statement(config, ring, timeout_s);
  auto commit = check_remote(config, timeout_s);
  if (!commit) return commit.error();
  return RemoteOffer{*commit, std::nullopt, ring, ""};
}

Result<RemoteOffer> network_and_check(const Config& config, const Keyring& ring) {
  const double deadline = monotonic_seconds() + config.check_timeout;
  auto ip = parse_ip_config(config.ip);
  if (!ip) return ip.error();
  if (ip->mode != IpConfig::Mode::off) {
    auto up = network_up(*ip, config.iface, config.check_timeout, "/etc/resolv.conf");
    if (!up) return make_error(ErrorKind::network, "network: {}", up.error().message);
    log::info("network: {} {} ({})", up->iface, up->address, up->how);
  }
  return read_offer(config, ring, std::max(0.5, deadline - monotonic_seconds()));
}

}  // namespace lota
