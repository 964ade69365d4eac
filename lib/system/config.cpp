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

using ValueError = std::optional<std::string>;  // what is wrong with a value; nullopt: it was taken

// Any text, an empty one included.
Setter text(std::string Config::*field) {
  return [field](Config& config, const std::string& v) -> ValueError {
    config.*field = v;
    return std::nullopt;
  };
}

Setter path(std::string Config::*field) {
  return [field](Config& config, const std::string& v) { return set_path(config.*field, v); };
}

Setter seconds(double Config::*field, double max, double min = 0) {
  return [field, max, min](Config& config, const std::string& v) { return set_seconds(config.*field, v, max, min); };
}

// One of a fixed set of words, each the value it stands for.
template <class T>
Setter choice(T Config::*field, std::vector<std::pair<std::string, T>> words, const char* expected) {
  return [field, words = std::move(words), expected](Config& config, const std::string& v) -> ValueError {
    for (const auto& [word, value] : words)
      if (v == word) {
        config.*field = value;
        return std::nullopt;
      }
    return expected;
  };
}

ValueError set_sysroot(Config& config, const std::string& v) {
  if (v.empty() || v.find('/') != std::string::npos || v == "." || v == "..")
    return "expected a directory name on the root partition (no '/')";
  config.sysroot = v;
  return std::nullopt;
}

ValueError set_init(Config& config, const std::string& v) {
  if (v.empty() || v[0] != '/') return "expected an absolute path inside the rootfs";
  config.init = v;
  return std::nullopt;
}

ValueError set_remote(Config& config, const std::string& v) {
  if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://"))
    return "expected an http:// or https:// URL";
  config.remote = v;
  while (config.remote.ends_with('/')) config.remote.pop_back();
  return std::nullopt;
}

ValueError set_tries(Config& config, const std::string& v) {
  double d = 0;
  if (set_seconds(d, v, 100) || d < 1 || d != static_cast<int>(d)) return "expected a whole number from 1 to 100";
  config.tries = static_cast<int>(d);
  return std::nullopt;
}

ValueError set_watchdog(Config& config, const std::string& v) {
  if (v == "none" || v.empty()) return config.watchdog.clear(), std::nullopt;
  if (v[0] != '/') return "expected a device path such as /dev/watchdog, or none";
  config.watchdog = v;
  return std::nullopt;
}

ValueError set_modules(Config& config, const std::string& v) {
  config.modules = split_list(v);
  return std::nullopt;
}

ValueError set_tls_ca(Config& config, const std::string& v) {
  config.tls.ca = v;
  return std::nullopt;
}

ValueError set_tls_cert(Config& config, const std::string& v) {
  config.tls.client_cert = v;
  return std::nullopt;
}

ValueError set_tls_key(Config& config, const std::string& v) {
  config.tls.client_key = v;
  return std::nullopt;
}

ValueError informational(Config&, const std::string&) {
  return std::nullopt;
}

// Every key lota.conf and the kernel command line may set (docs/layout.md lists them).
const std::vector<std::pair<std::string_view, Setter>> kKeys = {
    {"root", path(&Config::root)},
    {"rootfstype", text(&Config::rootfstype)},
    {"rootflags", text(&Config::rootflags)},
    {"rootwait", seconds(&Config::rootwait, 3600)},
    {"sysroot", set_sysroot},
    {"init", set_init},
    {"onfail",
     choice<OnFail>(&Config::onfail, {{"reboot", OnFail::reboot}, {"halt", OnFail::halt}, {"shell", OnFail::shell}},
                    "expected reboot, halt or shell")},
    {"fail_delay", seconds(&Config::fail_delay, 86400)},
    {"modules", set_modules},
    {"remote", set_remote},
    {"boot", path(&Config::boot)},
    {"branch", path(&Config::branch)},
    {"check_timeout", seconds(&Config::check_timeout, 600, 0.1)},
    {"pull_timeout", seconds(&Config::pull_timeout, 86400, 0.1)},
    {"stall_timeout", seconds(&Config::stall_timeout, 3600, 0.1)},
    {"sign_key", text(&Config::sign_key)},
    {"allow_downgrade",
     choice<bool>(&Config::allow_downgrade,
                  {{"1", true}, {"true", true}, {"yes", true}, {"0", false}, {"false", false}, {"no", false}},
                  "expected 1 or 0")},
    {"tries", set_tries},
    {"bootset", choice<std::string>(&Config::booted_set, {{"boot.1", "boot.1"}, {"boot.2", "boot.2"}},
                                    "expected boot.1 or boot.2 (set by the boot script)")},
    {"bootcount", informational},
    {"watchdog", set_watchdog},
    {"watchdog_timeout", seconds(&Config::watchdog_timeout, 3600, 2)},
    {"watchdog_handover", seconds(&Config::watchdog_handover, 3600, 2)},
    {"verify", choice<bool>(&Config::verify_full, {{"full", true}, {"fast", false}}, "expected fast or full")},
    {"ip", path(&Config::ip)},
    {"iface", text(&Config::iface)},
    {"tls_ca", set_tls_ca},
    {"tls_cert", set_tls_cert},
    {"tls_key", set_tls_key},
};

// `shown`: the key as the user wrote it (lota.tries on the command line, tries in the file).
void apply(Config& config, std::vector<std::string>& warnings, std::string_view source, std::string_view key,
           std::string_view shown, const std::string& value) {
  for (const auto& [name, set] : kKeys) {
    if (name != key) continue;
    if (auto err = set(config, value))
      warnings.push_back(
          fmt::format("{}: bad value '{}' for {}: {}; previous value kept - fix it there", source, value, shown, *err));
    return;
  }
  warnings.push_back(fmt::format("{}: unknown key '{}' ignored - check its spelling", source, shown));
}

void apply_keyfile(Config& config, std::vector<std::string>& warnings, std::string_view text) {
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
    apply(config, warnings, "/etc/lota.conf", names[i], names[i], v ? v : "");
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
