#include "update/delta_fetch.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "base/dir_tree.hpp"
#include "base/file.hpp"
#include "base/unique_fd.hpp"
#include "update/disk_space.hpp"

namespace lota {
namespace {

// A part is at most max-chunk-size (32 MiB by default) compressed; what unpacks far larger than
// any rootfs file is not a part.
constexpr uint64_t kMaxPartSize = 256ull << 20;
constexpr uint64_t kMaxPartUsize = 4ull << 30;

uint64_t file_size(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Hashed in blocks: a part is megabytes, never held in memory whole.
bool part_ok(const std::string& path, const DeltaPart& part) {
  if (file_size(path) != part.size) return false;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    g_checksum_update(sum, reinterpret_cast<const guchar*>(buf), static_cast<gssize>(n));
  }
  return part.checksum == g_checksum_get_string(sum);
}

// MemAvailable in bytes (0 when unknown).
uint64_t available_memory() {
  auto text = read_file("/proc/meminfo");
  if (!text) return 0;
  auto at = text->find("MemAvailable:");
  return at == std::string::npos ? 0 : std::strtoull(text->c_str() + at + 13, nullptr, 10) << 10;
}

// Before any part is fetched: the parts still to download and their objects once applied
// must fit above the floor the running system keeps. When only the objects fit, an object
// pull (which needs no parts) is the way: returns false. An update too big either way is an
// error.
Result<bool> delta_fits(const std::string& workdir, const std::vector<DeltaPart>& parts, const std::string& dir) {
  uint64_t objects = 0, download = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    uint64_t left = parts[i].size - std::min(parts[i].size, file_size(fmt::format("{}/{}", dir, i)));
    if (__builtin_add_overflow(objects, parts[i].usize, &objects) || __builtin_add_overflow(download, left, &download))
      return make_error("static delta superblock declares sizes that overflow: corrupt or hostile server");
  }
  auto space = disk_space(workdir);
  if (!space) return space.error();
  uint64_t free_bytes = space->free_bytes;
  if (free_bytes >= kMinFreeBytes + objects + download) return true;
  if (free_bytes >= kMinFreeBytes + objects) return false;
  return make_error(
      "the update needs {} MiB on the root partition and {} MiB are free - not downloaded; free space "
      "(e.g. in /var) or grow the partition",
      (kMinFreeBytes + objects + (1 << 20) - 1) >> 20, free_bytes >> 20);
}

// A superblock lists each part's size, checksum and objects: some hundred KB for a rootfs of
// ten thousand files. Anything far larger is not a superblock.
constexpr uint64_t kMaxSuperblock = 16ull << 20;

Status remove_others(const std::string& workdir, const std::string& keep) {
  for (const std::string& name : list_dir(workdir))
    if (keep != name) LOTA_TRY(remove_tree(workdir + "/" + name));
  return {};
}

// Why the superblock's parts are no way to this update ("" when they are): parts beyond any real
// one (a release with one huge file may make one; a hostile server certainly) are not downloaded,
// objects are the way then. libostree unpacks each part into an anonymous file in /var/tmp, which
// in the initramfs is RAM: at most half of what is free.
std::string parts_refusal(const DeltaSuperblock& superblock) {
  if (superblock.not_signed) return "the static delta superblock is not signed (publish it again with scripts/publish)";
  if (superblock.has_fallbacks) return "the static delta has fallback objects (publish with --min-fallback-size=0)";
  uint64_t ram = available_memory();
  for (size_t i = 0; i < superblock.parts.size(); ++i) {
    const DeltaPart& p = superblock.parts[i];
    if (p.size > kMaxPartSize || p.usize > kMaxPartUsize)
      return fmt::format(
          "static delta part {} declares {} bytes ({} unpacked), beyond the {} MiB ({} MiB "
          "unpacked) a part may have",
          i, p.size, p.usize, kMaxPartSize >> 20, kMaxPartUsize >> 20);
    if (ram && p.usize > ram / 2)
      return fmt::format("static delta part {} unpacks to {} MiB, more than half the free memory ({} MiB)", i,
                         p.usize >> 20, ram >> 20);
  }
  return "";
}

// One delta's download: where it goes, where from, and the bytes so far.
struct DeltaDownload {
  const HttpOptions& http;
  double stall_s;
  std::string dir;  // workdir/<from>-<to>: kept across boots until applied
  std::string url;  // <remote>/deltas/...
  const std::function<void(uint64_t, int, int, uint64_t)>& on_progress;
  uint64_t bytes = 0;
  uint64_t total_bytes = 0;  // the superblock's and its parts', once the superblock is read

  void report(int done, int total) {
    if (on_progress) on_progress(bytes, done, total, total_bytes);
  }
};

// Each part resumed where an earlier boot left it, and checked against the superblock.
Status download_part(DeltaDownload& d, const DeltaPart& part, size_t i, int total) {
  std::string path = fmt::format("{}/{}", d.dir, i);
  if (part_ok(path, part)) return {};  // fetched by an earlier boot
  if (file_size(path) > part.size) ::unlink(path.c_str());
  auto got = http_download(fmt::format("{}/{}", d.url, i), path, d.http, d.stall_s, part.size, [&](uint64_t n) {
    d.bytes += n;
    d.report(static_cast<int>(i), total);
  });
  if (!got) return got.error();
  if (got->not_found) return make_error(ErrorKind::server, "static delta part {} is missing on the server", i);
  if (!part_ok(path, part)) {
    ::unlink(path.c_str());
    return make_error(ErrorKind::server,
                      "static delta part {} does not match its checksum in the superblock (corrupt or hostile "
                      "server); discarded",
                      i);
  }
  d.report(static_cast<int>(i + 1), total);
  return {};
}

// The superblock is small and may have changed on the server: always fetched whole.
Result<std::optional<DeltaSuperblock>> fetch_superblock(DeltaDownload& d, const std::string& rel, const std::string& to,
                                                        const std::string& key) {
  std::string file = d.dir + "/superblock";
  ::unlink(file.c_str());
  auto got = http_download(d.url + "/superblock", file, d.http, d.stall_s, kMaxSuperblock, [&d](uint64_t n) {
    d.bytes += n;
    d.report(0, 0);
  });
  if (!got) return got.error();
  if (got->not_found) return std::optional<DeltaSuperblock>();
  auto superblock = Repo::read_delta_superblock(file, rel, to, key);
  if (!superblock) return superblock.error();
  return std::optional<DeltaSuperblock>(std::move(*superblock));
}

DeltaResult declined(std::string why) {
  return DeltaResult{.applied = false, .bytes = 0, .why_not = std::move(why)};
}

}  // namespace

Result<DeltaResult> fetch_and_apply_delta(Repo& repo, const std::string& base_url, const HttpOptions& http,
                                          const std::string& from, const std::string& to, const std::string& sign_key,
                                          const std::string& workdir, double stall_s,
                                          const std::function<void(uint64_t, int, int, uint64_t)>& on_progress) {
  std::string name = from.substr(0, 12) + "-" + to.substr(0, 12);
  std::string rel = Repo::static_delta_path(from, to);
  DeltaDownload d{http, stall_s, workdir + "/" + name, base_url + "/" + rel, on_progress};
  LOTA_TRY(remove_others(workdir, name));  // parts of an update the server no longer offers
  LOTA_TRY(make_dirs(d.dir));
  auto superblock = fetch_superblock(d, rel, to, sign_key);
  if (!superblock) return superblock.error();
  std::string why_not = *superblock ? parts_refusal(**superblock) : "no static delta on the server for this update";
  if (why_not.empty()) {
    auto fits = delta_fits(workdir, (*superblock)->parts, d.dir);
    if (!fits) return fits.error();
    if (!*fits) why_not = "no room for the static delta's parts next to their objects";
  }
  if (!why_not.empty()) {
    LOTA_TRY(remove_tree(d.dir));  // nothing of a declined delta is kept (its superblock is fetched anew)
    return declined(why_not);
  }
  const auto& parts = (*superblock)->parts;
  d.total_bytes = d.bytes;
  for (const auto& p : parts) d.total_bytes += p.size;
  for (size_t i = 0; i < parts.size(); ++i) LOTA_TRY(download_part(d, parts[i], i, static_cast<int>(parts.size())));
  d.report(-1, -1);  // applying: no network traffic for a while
  LOTA_TRY(repo.apply_static_delta(d.dir, to));
  LOTA_TRY(remove_tree(d.dir));
  return DeltaResult{.applied = true, .bytes = d.bytes, .why_not = ""};
}

}  // namespace lota
