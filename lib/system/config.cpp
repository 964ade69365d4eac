#include "system/config.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>

namespace lota {
namespace {

// A setter returns an error text when the value is unusable.
using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;

// min 0 for waits that may be skipped; a timeout of 0 would abort at once (or, to libcurl,
// mean none at all), so timeouts take min 0.1.
std::optional<std::string> set_seconds(double& out, const std::string& v, double max, double min = 0) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d) || d < min || d > max)
    return fmt::format("expected seconds between {:g} and {:g}", min, max);
  out = d;
  return std::nullopt;
}

std::optional<std::string> set_path(std::string& out, const std::string& v) {
  if (v.empty()) return "expected a non-empty value";
  out = v;
  return std::nullopt;
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> items;
  std::string cur;
  for (char c : v) {
    if (c == ',' || c == ';' || c == ' ') {
      if (!cur.empty()) items.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) items.push_back(std::move(cur));
  return items;
}

const std::vector<std::pair<std::string_view, Setter>>& keys() {
  static const std::vector<std::pair<std::string_view, Setter>> table = {
      {"root", [](Config& c, const std::string& v) { return set_path(c.root, v); }},
      {"rootfstype", [](Config& c, const std::string& v) { c.rootfstype = v; return std::optional<std::string>{}; }},
      {"rootflags", [](Config& c, const std::string& v) { c.rootflags = v; return std::optional<std::string>{}; }},
      {"rootwait", [](Config& c, const std::string& v) { return set_seconds(c.rootwait, v, 3600); }},
      {"sysroot",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty() || v.find('/') != std::string::npos || v == "." || v == "..")
           return "expected a directory name on the root partition (no '/')";
         c.sysroot = v;
         return std::nullopt;
       }},
      {"init",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty() || v[0] != '/') return "expected an absolute path inside the rootfs";
         c.init = v;
         return std::nullopt;
       }},
      {"onfail",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v == "reboot") c.onfail = OnFail::reboot;
         else if (v == "halt") c.onfail = OnFail::halt;
         else if (v == "shell") c.onfail = OnFail::shell;
         else return "expected reboot, halt or shell";
         return std::nullopt;
       }},
      {"fail_delay", [](Config& c, const std::string& v) { return set_seconds(c.fail_delay, v, 86400); }},
      {"modules", [](Config& c, const std::string& v) { c.modules = split_list(v); return std::optional<std::string>{}; }},
      {"remote",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://"))
           return "expected an http:// or https:// URL";
         c.remote = v;
         while (c.remote.ends_with('/')) c.remote.pop_back();
         return std::nullopt;
       }},
      {"boot", [](Config& c, const std::string& v) { return set_path(c.boot, v); }},
      {"branch", [](Config& c, const std::string& v) { return set_path(c.branch, v); }},
      {"check_timeout", [](Config& c, const std::string& v) { return set_seconds(c.check_timeout, v, 600, 0.1); }},
      {"pull_timeout", [](Config& c, const std::string& v) { return set_seconds(c.pull_timeout, v, 86400, 0.1); }},
      {"stall_timeout", [](Config& c, const std::string& v) { return set_seconds(c.stall_timeout, v, 3600, 0.1); }},
      {"sign_key", [](Config& c, const std::string& v) { c.sign_key = v; return std::optional<std::string>{}; }},
      {"allow_downgrade",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v == "1" || v == "true" || v == "yes") c.allow_downgrade = true;
         else if (v == "0" || v == "false" || v == "no") c.allow_downgrade = false;
         else return "expected 1 or 0";
         return std::nullopt;
       }},
      {"tries",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         double d = 0;
         if (auto e = set_seconds(d, v, 100)) return "expected a whole number from 1 to 100";
         if (d < 1 || d != static_cast<int>(d)) return "expected a whole number from 1 to 100";
         c.tries = static_cast<int>(d);
         return std::nullopt;
       }},
      {"bootset",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "boot.1" && v != "boot.2") return "expected boot.1 or boot.2 (set by the boot script)";
         c.booted_set = v;
         return std::nullopt;
       }},
      {"bootcount", [](Config&, const std::string&) { return std::optional<std::string>{}; }},  // informational
      {"watchdog",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v == "none" || v.empty()) return c.watchdog.clear(), std::nullopt;
         if (v[0] != '/') return "expected a device path such as /dev/watchdog, or none";
         c.watchdog = v;
         return std::nullopt;
       }},
      {"watchdog_timeout", [](Config& c, const std::string& v) { return set_seconds(c.watchdog_timeout, v, 3600, 2); }},
      {"watchdog_handover", [](Config& c, const std::string& v) { return set_seconds(c.watchdog_handover, v, 3600, 2); }},
      {"verify",
       [](Config& c, const std::string& v) -> std::optional<std::string> {
         if (v != "full" && v != "fast") return "expected fast or full";
         c.verify_full = v == "full";
         return std::nullopt;
       }},
      {"ip", [](Config& c, const std::string& v) { return set_path(c.ip, v); }},
      {"iface", [](Config& c, const std::string& v) { c.iface = v; return std::optional<std::string>{}; }},
      {"tls_ca", [](Config& c, const std::string& v) { c.tls.ca = v; return std::optional<std::string>{}; }},
      {"tls_cert", [](Config& c, const std::string& v) { c.tls.client_cert = v; return std::optional<std::string>{}; }},
      {"tls_key", [](Config& c, const std::string& v) { c.tls.client_key = v; return std::optional<std::string>{}; }},
  };
  return table;
}

// `shown`: the key as the user wrote it (lota.tries on the command line, tries in the file).
void apply(Config& c, std::vector<std::string>& warnings, std::string_view source, std::string_view key,
           std::string_view shown, const std::string& value) {
  for (const auto& [name, set] : keys()) {
    if (name != key) continue;
    if (auto err = set(c, value))
      warnings.push_back(
          fmt::format("{}: bad value '{}' for {}: {}; previous value kept - fix it there", source, value, shown, *err));
    return;
  }
  warnings.push_back(fmt::format("{}: unknown key '{}' ignored - check its spelling", source, shown));
}

void apply_keyfile(Config& c, std::vector<std::string>& warnings, std::string_view text) {
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) err = nullptr;
  if (!g_key_file_load_from_data(kf, text.data(), text.size(), G_KEY_FILE_NONE, &err)) {
    warnings.push_back(
        fmt::format("/etc/lota.conf: unreadable ({}); using defaults and the kernel command line", err->message));
    return;
  }
  gsize n = 0;
  g_auto(GStrv) names = g_key_file_get_keys(kf, "lota", &n, nullptr);
  for (gsize i = 0; names && i < n; ++i) {
    g_autofree char* v = g_key_file_get_string(kf, "lota", names[i], nullptr);
    apply(c, warnings, "/etc/lota.conf", names[i], names[i], v ? v : "");
  }
}

}  // namespace

ConfigLoad load_config(std::string_view keyfile_text, const std::vector<CmdlineParam>& cmdline) {
  ConfigLoad out;
  if (!keyfile_text.empty()) apply_keyfile(out.config, out.warnings, keyfile_text);
  for (const auto& p : cmdline) {
    if (!p.key.starts_with("lota.")) continue;
    apply(out.config, out.warnings, "the kernel command line", std::string_view(p.key).substr(5), p.key,
          p.value.value_or(""));
  }
  return out;
}

const char* to_string(OnFail f) {
  switch (f) {
    case OnFail::halt:
      return "halt";
    case OnFail::shell:
      return "shell";
    default:
      return "reboot";
  }
}

}  // namespace lota
