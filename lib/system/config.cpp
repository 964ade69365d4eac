#include "system/config.hpp"

#include <fmt/format.h>
#include <glib.h>

#include <cmath>
#include <cstdlib>
#include <optional>

namespace lota {
namespace {

// What is wrong with a value; nullopt: it was taken.
using ValueError = std::optional<std::string>;
// A setter returns an error text when the value is unusable.
using Setter = ValueError (*)(Config&, const std::string&);

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

// The table is built at compile time (plain function pointers, no allocation): it is read in
// PID 1 before anything could report a failure to build it.
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

ValueError set_onfail(Config& config, const std::string& v) {
  if (v == "reboot")
    config.onfail = OnFail::reboot;
  else if (v == "halt")
    config.onfail = OnFail::halt;
  else if (v == "shell")
    config.onfail = OnFail::shell;
  else
    return "expected reboot, halt or shell";
  return std::nullopt;
}

ValueError set_remote(Config& config, const std::string& v) {
  if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://"))
    return "expected an http:// or https:// URL";
  config.remote = v;
  while (config.remote.ends_with('/')) config.remote.pop_back();
  return std::nullopt;
}

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  return std::nullopt;
}

template <bool Config::*Field>
ValueError flag(Config& config, const std::string& v) {
  auto b = parse_bool(v);
  if (!b) return "expected 1 or 0";
  config.*Field = *b;
  return std::nullopt;
}

ValueError set_tries(Config& config, const std::string& v) {
  double d = 0;
  if (set_seconds(d, v, 100) || d < 1 || d != static_cast<int>(d)) return "expected a whole number from 1 to 100";
  config.tries = static_cast<int>(d);
  return std::nullopt;
}

ValueError set_bootset(Config& config, const std::string& v) {
  if (v != "boot.1" && v != "boot.2") return "expected boot.1 or boot.2 (set by the boot script)";
  config.booted_set = v;
  return std::nullopt;
}

ValueError set_watchdog(Config& config, const std::string& v) {
  if (v == "none" || v.empty()) return config.watchdog.clear(), std::nullopt;
  if (v[0] != '/') return "expected a device path such as /dev/watchdog, or none";
  config.watchdog = v;
  return std::nullopt;
}

ValueError set_verify(Config& config, const std::string& v) {
  if (v != "full" && v != "fast") return "expected fast or full";
  config.verify_full = v == "full";
  return std::nullopt;
}

ValueError set_modules(Config& config, const std::string& v) {
  config.modules = split_list(v);
  return std::nullopt;
}

// A bundle is checked like a network update, so where it comes from is no trust setting.
ValueError set_bundle_media(Config& config, const std::string& v) {
  config.bundle_media = split_list(v);
  return std::nullopt;
}

// Any text, an empty one included.
template <std::string Config::*Field>
ValueError text(Config& config, const std::string& v) {
  config.*Field = v;
  return std::nullopt;
}

template <std::string TlsFiles::*Field>
ValueError tls(Config& config, const std::string& v) {
  config.tls.*Field = v;
  return std::nullopt;
}

template <std::string Config::*Field>
ValueError path(Config& config, const std::string& v) {
  return set_path(config.*Field, v);
}

template <double Config::*Field, int Max, int MinTenths = 0>
ValueError seconds(Config& config, const std::string& v) {
  return set_seconds(config.*Field, v, Max, MinTenths / 10.0);
}

ValueError informational(Config&, const std::string&) {
  return std::nullopt;
}

// The kernel command line comes from the boot partition, which nothing signs: it may not lower
// trust. A setting that decides what code runs or what release is accepted comes from
// /etc/lota.conf in the initramfs (what a secure-boot chain signs); the command line may only
// tighten one (docs/trust.md has the table).
enum class Trust {
  any,           // the command line may set it
  file_only,     // /etc/lota.conf only
  tighten_only,  // the command line may set it only to a value `tightens` accepts
};

bool is_false(const std::string& v) {
  return parse_bool(v) == false;
}

bool not_shell(const std::string& v) {
  return v != "shell";  // a root shell on the console for whoever edits the FAT partition
}

struct Key {
  std::string_view name;
  Setter set;
  Trust trust = Trust::any;
  bool (*tightens)(const std::string&) = nullptr;
};

// Every key lota.conf and the kernel command line may set (README's settings table).
constexpr Key kKeys[] = {
    {"root", path<&Config::root>, Trust::file_only},
    {"rootfstype", text<&Config::rootfstype>},
    {"rootflags", text<&Config::rootflags>},
    {"rootwait", seconds<&Config::rootwait, 3600>},
    {"sysroot", set_sysroot, Trust::file_only},
    {"init", set_init, Trust::file_only},
    {"onfail", set_onfail, Trust::tighten_only, not_shell},
    {"fail_delay", seconds<&Config::fail_delay, 86400>},
    {"modules", set_modules},
    {"bundle_media", set_bundle_media},
    {"remote", set_remote, Trust::file_only},
    {"boot", path<&Config::boot>},
    {"branch", path<&Config::branch>, Trust::file_only},
    {"check_timeout", seconds<&Config::check_timeout, 600, 1>},
    {"pull_timeout", seconds<&Config::pull_timeout, 86400, 1>},
    {"stall_timeout", seconds<&Config::stall_timeout, 3600, 1>},
    {"sign_key", text<&Config::sign_key>, Trust::file_only},
    {"allow_unsigned", flag<&Config::allow_unsigned>, Trust::tighten_only, is_false},
    {"allow_downgrade", flag<&Config::allow_downgrade>, Trust::tighten_only, is_false},
    {"tries", set_tries},
    {"bootset", set_bootset},
    {"bootcount", informational},
    {"watchdog", set_watchdog},
    {"watchdog_timeout", seconds<&Config::watchdog_timeout, 3600, 20>},
    {"watchdog_handover", seconds<&Config::watchdog_handover, 3600, 20>},
    {"verify", set_verify},
    {"ip", path<&Config::ip>},
    {"iface", text<&Config::iface>},
    {"tls_ca", tls<&TlsFiles::ca>, Trust::file_only},
    {"tls_cert", tls<&TlsFiles::client_cert>, Trust::file_only},
    {"tls_key", tls<&TlsFiles::client_key>, Trust::file_only},
};

constexpr std::string_view kCmdline = "the kernel command line";

// Why the command line may not set `key` to `value` ("" when it may).
std::string trust_refusal(const Key& key, const std::string& value) {
  if (key.trust == Trust::file_only)
    return "it is a trust setting, read from /etc/lota.conf in the initramfs only - set it there";
  if (key.trust == Trust::tighten_only && !key.tightens(value))
    return "the kernel command line may only tighten it - set it in /etc/lota.conf in the initramfs";
  return "";
}

// `shown`: the key as the user wrote it (lota.tries on the command line, tries in the file).
void apply(Config& config, std::vector<std::string>& warnings, std::string_view source, std::string_view key,
           std::string_view shown, const std::string& value) {
  for (const Key& k : kKeys) {
    if (k.name != key) continue;
    if (source == kCmdline)
      if (std::string why = trust_refusal(k, value); !why.empty()) {
        warnings.push_back(fmt::format("{}: {}={} ignored: {}", source, shown, value, why));
        return;
      }
    if (auto err = k.set(config, value))
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
    apply(out.config, out.warnings, kCmdline, std::string_view(p.key).substr(5), p.key, p.value.value_or(""));
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
