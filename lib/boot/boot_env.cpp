#include "boot/boot_env.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

#include "base/crash_point.hpp"
#include "base/file.hpp"
#include "base/unique_fd.hpp"

namespace lota {
namespace {

const char* const kCopies[] = {kBootEnvCopyA, kBootEnvCopyB};

uint32_t crc_of(const std::string& s) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

bool valid_set_name(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return s != "." && s != "..";
}

}  // namespace

std::string format_boot_env(const BootEnv& e) {
  std::string body = fmt::format("lota_seq={}\nlota_bootset={}\nlota_fallback={}\nlota_trial={}\n", e.seq, e.bootset,
                                 e.fallback, e.trial ? 1 : 0);
  // A comment line pads the body so that the CRC line ends the record: the record is always
  // kBootRecordSize bytes, written over itself in place (no cluster or size ever changes).
  constexpr size_t kCrcLine = 18;  // "lota_crc=" + 8 hex digits + "\n"
  // Set names are at most 32 bytes (valid_set_name), so the body always fits; never wrap if not.
  size_t used = body.size() + kCrcLine + 2;
  body += "#" + std::string(used < kBootRecordSize ? kBootRecordSize - used : 0, ' ') + "\n";
  return body + fmt::format("lota_crc={:08x}\n", crc_of(body));
}

Result<BootEnv> parse_boot_env(const std::string& text) {
  auto crc_pos = text.rfind("lota_crc=");
  if (crc_pos == std::string::npos) return make_error("no lota_crc line");
  std::string body = text.substr(0, crc_pos);
  std::string crc_text = text.substr(crc_pos + 9);
  while (!crc_text.empty() && (crc_text.back() == '\n' || crc_text.back() == '\0')) crc_text.pop_back();
  char* end = nullptr;
  unsigned long crc = std::strtoul(crc_text.c_str(), &end, 16);
  if (crc_text.size() != 8 || *end != '\0') return make_error("malformed lota_crc");
  if (crc != crc_of(body)) return make_error("CRC mismatch (torn write?)");
  std::map<std::string, std::string> kv;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string::npos) return make_error("unterminated line");
    std::string line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;  // padding (U-Boot's env import skips it too)
    auto eq = line.find('=');
    if (eq == std::string::npos) return make_error("line without '='");
    kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  BootEnv e;
  const std::string& seq = kv["lota_seq"];
  e.seq = std::strtoull(seq.c_str(), &end, 10);
  if (seq.empty() || *end != '\0') return make_error("malformed lota_seq");
  e.bootset = kv["lota_bootset"];
  e.fallback = kv["lota_fallback"];
  if (!valid_set_name(e.bootset)) return make_error("bad lota_bootset '{}'", e.bootset);
  if (!e.fallback.empty() && !valid_set_name(e.fallback)) return make_error("bad lota_fallback '{}'", e.fallback);
  const std::string& trial = kv["lota_trial"];  // absent in envs written before trials existed
  if (!trial.empty() && trial != "0" && trial != "1") return make_error("bad lota_trial '{}'", trial);
  e.trial = trial == "1";
  return e;
}

namespace {

struct Copy {
  int index;
  std::optional<BootEnv> env;
};

Copy read_copy(const std::string& dir, int i) {
  auto text = read_file(dir + "/" + kCopies[i]);
  if (!text) return {i, std::nullopt};
  auto env = parse_boot_env(*text);
  return {i, env ? std::optional<BootEnv>(*env) : std::nullopt};
}

}  // namespace

Status write_boot_record(const std::string& dir, const std::string& name, const std::string& text) {
  // Every record lives in a directory of its own: name is "<dir>/<file>".
  if (name.find('/') == std::string::npos) return make_error("boot record {} has no directory of its own", name);
  std::string path = dir + "/" + name;
  std::string parent = path.substr(0, path.rfind('/'));
  bool created = false;
  if (::mkdir(parent.c_str(), 0755) == 0) {
    LOTA_TRY(fsync_dir(dir));
    created = true;
  } else if (errno != EEXIST) {
    return errno_error("creating {}", parent);
  }
  // No O_TRUNC: truncating frees the record's cluster and allocates one again, which rewrites
  // FAT-table sectors every file on the partition depends on. Overwritten in place, a record of
  // unchanged size touches only its own data sector and its own directory entry.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error("opening {}", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("examining {}", path);
  created = created || st.st_size == 0;
  crash_point("opened " + path);
  ssize_t n = ::pwrite(fd.get(), text.data(), text.size(), 0);
  if (n < 0) return errno_error("writing {}", path);
  if (n != static_cast<ssize_t>(text.size())) return make_error("writing {}: short write (boot partition full?)", path);
  // A record of another size (damaged, or written by an older lota) is cut to its size once.
  if (st.st_size > static_cast<off_t>(text.size()) && ::ftruncate(fd.get(), static_cast<off_t>(text.size())) != 0)
    return errno_error("writing {}", path);
  if (::fsync(fd.get()) != 0) return errno_error("writing {}", path);
  crash_point("wrote " + path);
  if (created) LOTA_TRY(fsync_dir(parent));
  return {};
}

std::optional<BootEnv> read_boot_env(const std::string& dir) {
  Copy a = read_copy(dir, 0), b = read_copy(dir, 1);
  if (a.env && b.env) return a.env->seq >= b.env->seq ? a.env : b.env;
  return a.env ? a.env : b.env;
}

Status write_boot_env(const std::string& dir, BootEnv env) {
  Copy a = read_copy(dir, 0), b = read_copy(dir, 1);
  // Overwrite the copy that is not the newest valid one.
  int target = 0;
  uint64_t newest = 0;
  if (a.env && b.env) {
    target = a.env->seq >= b.env->seq ? 1 : 0;
    newest = std::max(a.env->seq, b.env->seq);
  } else if (a.env) {
    target = 1;
    newest = a.env->seq;
  } else if (b.env) {
    target = 0;
    newest = b.env->seq;
  }
  env.seq = newest + 1;
  // In place, not write-temp/rename: FAT renames are not atomic, and the other copy is the
  // safety net while this one is being written.
  return write_boot_record(dir, kCopies[target], format_boot_env(env));
}

namespace {

// U-Boot's `env export -t -s 0x200` of a count that matches no set (NUL padded).
Status reset_count(const std::string& dir) {
  std::string text = "lota_count=0\nlota_count_set=\n";
  text.resize(kBootRecordSize, '\0');
  return write_boot_record(dir, kBootCountFile, text);
}

}  // namespace

Status activate_boot_set(const std::string& dir, const std::string& set, const std::string& fallback, bool trial) {
  // A new trial starts from no count. Without a trial the count is left alone: it remembers
  // the attempts of a set that failed, should a torn env copy ever bring that trial back.
  if (trial) LOTA_TRY(reset_count(dir));
  return write_boot_env(dir, BootEnv{.bootset = set, .fallback = fallback, .trial = trial});
}

Status close_trial(const std::string& dir, const std::string& set, const std::string& fallback) {
  // The count stays: without a trial the boot script ignores it, and the next trial resets it.
  // One write, one unit touched.
  return write_boot_env(dir, BootEnv{.bootset = set, .fallback = fallback});
}

}  // namespace lota
