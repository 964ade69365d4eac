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

Result<Statement> check_statement(const Config& config, const std::string& key, double timeout_s) {
  HttpOptions options{.timeout_s = timeout_s, .tls = config.tls, .max_bytes = kMaxStatementBytes};
  std::string url = statement_url(config.remote, config.branch);
  auto body = http_get(url, options);
  if (!body)
    return Error{fmt::format("{} - the server must publish a signed statement for the branch (scripts/publish)",
                             body.error().message),
                 body.error().kind};
  return parse_statement(*body, key, config.branch);
}

Result<RemoteOffer> network_and_check(const Config& config, const std::string& key) {
  const double deadline = monotonic_seconds() + config.check_timeout;
  auto ip = parse_ip_config(config.ip);
  if (!ip) return ip.error();
  if (ip->mode != IpConfig::Mode::off) {
    auto up = network_up(*ip, config.iface, config.check_timeout, "/etc/resolv.conf");
    if (!up) return make_error(ErrorKind::network, "network: {}", up.error().message);
    log::info("network: {} {} ({})", up->iface, up->address, up->how);
  }
  double left = std::max(0.5, deadline - monotonic_seconds());
  if (key.empty()) {
    auto commit = check_remote(config, left);
    if (!commit) return commit.error();
    return RemoteOffer{*commit, std::nullopt};
  }
  auto statement = check_statement(config, key, left);
  if (!statement) return statement.error();
  return RemoteOffer{statement->commit, *statement};
}

}  // namespace lota
