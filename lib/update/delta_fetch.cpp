#include "update/delta_fetch.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/crash_point.hpp"
#include "base/dir_tree.hpp"
#include "update/disk_space.hpp"
#include "base/file.hpp"
#include "base/unique_fd.hpp"

namespace lota {
namespace {

std::string b64(const std::string& checksum) {
  g_autofree guchar* bytes = ostree_checksum_to_bytes(checksum.c_str());
  g_autofree char* s = ostree_checksum_b64_from_bytes(bytes);
  return s;
}

struct Part {
  std::string checksum;
  uint64_t size = 0;   // as downloaded
  uint64_t usize = 0;  // uncompressed: about what its objects take in the repo
};

// A part is at most max-chunk-size (32 MiB by default) compressed; what unpacks far larger than
// any rootfs file is not a part.
constexpr uint64_t kMaxPartSize = 256ull << 20;
constexpr uint64_t kMaxPartUsize = 4ull << 30;

struct Superblock {
  std::vector<Part> parts;
  bool has_fallbacks = false;
};

// The commit carried in the superblock must be `to` and, with a key, carry a valid signature
// (from the detached metadata the superblock also carries): checked before any part is fetched.
Status verify_commit(GVariant* sb, const std::string& path, const std::string& to, const std::string& key) {
  g_autoptr(GVariant) commit = g_variant_get_child_value(sb, 4);
  g_autofree char* sum = g_compute_checksum_for_data(
      G_CHECKSUM_SHA256, static_cast<const guchar*>(g_variant_get_data(commit)), g_variant_get_size(commit));
  if (to != sum) return make_error("the static delta carries commit {}, not {} (corrupt or hostile server)", sum, to);
  if (key.empty()) return {};
  g_autoptr(GVariant) meta = g_variant_get_child_value(sb, 0);
  g_autoptr(GVariant) detached = g_variant_lookup_value(meta, (path + "/commitmeta").c_str(), G_VARIANT_TYPE("a{sv}"));
  g_autoptr(GVariant) sigs =
      detached ? g_variant_lookup_value(detached, "ostree.sign.ed25519", G_VARIANT_TYPE("aay")) : nullptr;
  if (!sigs) return make_error("commit {} carries no ed25519 signature - refused", to.substr(0, 12));
  g_autoptr(GError) error = nullptr;
  g_autoptr(OstreeSign) sign = ostree_sign_get_by_name("ed25519", &error);
  if (!sign) return gerror("ed25519 signatures", error);
  g_autoptr(GVariant) pk = g_variant_ref_sink(g_variant_new_string(key.c_str()));
  if (!ostree_sign_add_pk(sign, pk, &error)) return gerror("the configured public key is unusable", error);
  g_autoptr(GBytes) data = g_variant_get_data_as_bytes(commit);
  g_autofree char* message = nullptr;
  if (!ostree_sign_data_verify(sign, data, sigs, &message, &error))
    return gerror(fmt::format("signature of commit {}", to.substr(0, 12)), error);
  return {};
}

// Reads an (unsigned) superblock: (a{sv}tayay<commit>aya(uayttay)a(yaytt)).
Result<Superblock> read_superblock(const std::string& superblock, const std::string& rel_path, const std::string& to,
                                   const std::string& key) {
  auto data = read_file(superblock);
  if (!data) return data.error();
  g_autoptr(GBytes) bytes = g_bytes_new(data->data(), data->size());
  g_autoptr(GVariant) sb = g_variant_ref_sink(
      g_variant_new_from_bytes(G_VARIANT_TYPE("(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))"), bytes, FALSE));
  if (!g_variant_is_normal_form(sb)) return make_error("static delta superblock is malformed");
  g_autoptr(GVariant) to_v = g_variant_get_child_value(sb, 3);
  if (g_variant_n_children(to_v) != 32) return make_error("static delta superblock is malformed");
  g_autofree char* to_sum = ostree_checksum_from_bytes_v(to_v);
  if (to != to_sum) return make_error("static delta superblock is for {}, not {}", to_sum, to);
  LOTA_TRY(verify_commit(sb, rel_path, to, key));
  Superblock out;
  g_autoptr(GVariant) fallbacks = g_variant_get_child_value(sb, 7);
  out.has_fallbacks = g_variant_n_children(fallbacks) > 0;
  g_autoptr(GVariant) headers = g_variant_get_child_value(sb, 6);
  std::vector<Part>& parts = out.parts;
  for (gsize i = 0; i < g_variant_n_children(headers); ++i) {
    g_autoptr(GVariant) h = g_variant_get_child_value(headers, i);
    g_autoptr(GVariant) csum = g_variant_get_child_value(h, 1);
    if (g_variant_n_children(csum) != 32) return make_error("static delta part {} has a malformed checksum", i);
    g_autofree char* c = ostree_checksum_from_bytes_v(csum);
    guint64 size = 0, usize = 0;
    g_variant_get_child(h, 2, "t", &size);
    g_variant_get_child(h, 3, "t", &usize);
    // Sizes are in the generator's byte order; deltas published by lota come from little-endian
    // hosts for little-endian boards (see ostree.endianness in the superblock metadata).
    // The superblock is not signed: its sizes are bounds to check, not facts.
    if (size == 0) return make_error("static delta superblock declares an empty part {}: corrupt or hostile server", i);
    parts.push_back({c, size, usize});
  }
  return out;
}

uint64_t file_size(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Hashed in blocks: a part is megabytes, never held in memory whole.
bool part_ok(const std::string& path, const Part& part) {
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

Status apply_offline(Repo& repo, const std::string& dir, const std::string& to) {
  g_autoptr(GError) error = nullptr;
  // The superblock writes the commit object before the parts' objects: mark it partial so
  // that an interruption leaves a commit libostree's pull knows to complete.
  if (!ostree_repo_mark_commit_partial(repo.get(), to.c_str(), TRUE, &error))
    return gerror("marking the commit partial", error);
  crash_point("marked the commit partial");
  if (!ostree_repo_prepare_transaction(repo.get(), nullptr, nullptr, &error))
    return gerror("starting a repository transaction", error);
  g_autoptr(GFile) file = g_file_new_for_path(dir.c_str());
  if (!ostree_repo_static_delta_execute_offline(repo.get(), file, FALSE, nullptr, &error)) {
    ostree_repo_abort_transaction(repo.get(), nullptr, nullptr);
    return gerror("applying the static delta", error);
  }
  if (!ostree_repo_commit_transaction(repo.get(), nullptr, nullptr, &error))
    return gerror("committing the repository transaction", error);
  crash_point("committed the static delta's objects");
  return {};
}

// Before any part is fetched: the parts still to download and their objects once applied
// must fit above the floor the running system keeps. When only the objects fit, an object
// pull (which needs no parts) is the way: returns false. An update too big either way is an
// error.
Result<bool> delta_fits(const std::string& workdir, const std::vector<Part>& parts, const std::string& dir) {
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
  g_autoptr(GDir) d = g_dir_open(workdir.c_str(), 0, nullptr);
  if (!d) return {};
  while (const char* name = g_dir_read_name(d))
    if (keep != name) LOTA_TRY(remove_tree(workdir + "/" + name));
  return {};
}

}  // namespace

std::string static_delta_path(const std::string& from, const std::string& to) {
  std::string f = b64(from);
  return fmt::format("deltas/{}/{}-{}", f.substr(0, 2), f.substr(2), b64(to));
}

Result<DeltaResult> fetch_and_apply_delta(Repo& repo, const std::string& base_url, const HttpOptions& http,
                                          const std::string& from, const std::string& to, const std::string& sign_key,
                                          const std::string& workdir, double stall_s,
                                          const std::function<void(uint64_t, int, int)>& on_progress) {
  DeltaResult r;
  std::string name = from.substr(0, 12) + "-" + to.substr(0, 12);
  std::string dir = workdir + "/" + name;
  LOTA_TRY(remove_others(workdir, name));  // parts of an update the server no longer offers
  LOTA_TRY(make_dirs(dir));
  std::string rel = static_delta_path(from, to);
  std::string url = base_url + "/" + rel;
  uint64_t bytes = 0;
  auto count = [&](uint64_t n) {
    bytes += n;
    if (on_progress) on_progress(bytes, 0, 0);
  };
  // The superblock is small and may have changed on the server: always fetched whole.
  ::unlink((dir + "/superblock").c_str());
  auto sb = http_download(url + "/superblock", dir + "/superblock", http, stall_s, kMaxSuperblock, count);
  if (!sb) return sb.error();
  if (sb->not_found) {
    r.why_not = "no static delta on the server for this update";
    LOTA_TRY(remove_tree(dir));
    return r;
  }
  auto superblock = read_superblock(dir + "/superblock", rel, to, sign_key);
  if (!superblock) return superblock.error();
  auto* parts = &superblock->parts;
  if (superblock->has_fallbacks) {
    r.why_not = "the static delta has fallback objects (publish with --min-fallback-size=0)";
    return r;
  }
  // Parts beyond any real one (a release with one huge file may make one; a hostile server
  // certainly) are not downloaded: objects are the way then. libostree unpacks each part into
  // an anonymous file in /var/tmp, which in the initramfs is RAM: at most half of what is free.
  uint64_t ram = available_memory();
  for (size_t i = 0; i < parts->size(); ++i) {
    const Part& p = (*parts)[i];
    if (p.size > kMaxPartSize || p.usize > kMaxPartUsize) {
      r.why_not = fmt::format("static delta part {} declares {} bytes ({} unpacked), beyond the {} MiB ({} MiB "
                              "unpacked) a part may have",
                              i, p.size, p.usize, kMaxPartSize >> 20, kMaxPartUsize >> 20);
      LOTA_TRY(remove_tree(dir));
      return r;
    }
    if (ram && p.usize > ram / 2) {
      r.why_not = fmt::format("static delta part {} unpacks to {} MiB, more than half the free memory ({} MiB)", i,
                              p.usize >> 20, ram >> 20);
      LOTA_TRY(remove_tree(dir));
      return r;
    }
  }
  auto fits = delta_fits(workdir, *parts, dir);
  if (!fits) return fits.error();
  if (!*fits) {
    r.why_not = "no room for the static delta's parts next to their objects";
    LOTA_TRY(remove_tree(dir));
    return r;
  }
  for (size_t i = 0; i < parts->size(); ++i) {
    const Part& part = (*parts)[i];
    std::string path = fmt::format("{}/{}", dir, i);
    if (part_ok(path, part)) continue;  // fetched by an earlier boot
    if (file_size(path) > part.size) ::unlink(path.c_str());
    auto got = http_download(fmt::format("{}/{}", url, i), path, http, stall_s, part.size, [&](uint64_t n) {
      bytes += n;
      if (on_progress) on_progress(bytes, static_cast<int>(i), static_cast<int>(parts->size()));
    });
    if (!got) return got.error();
    if (got->not_found) return make_error("static delta part {} is missing on the server", i);
    if (!part_ok(path, part)) {
      ::unlink(path.c_str());
      return make_error(
          "static delta part {} does not match its checksum in the superblock (corrupt or hostile "
          "server); discarded",
          i);
    }
    if (on_progress) on_progress(bytes, static_cast<int>(i + 1), static_cast<int>(parts->size()));
  }
  if (on_progress) on_progress(bytes, -1, -1);  // applying: no network traffic for a while
  LOTA_TRY(apply_offline(repo, dir, to));
  LOTA_TRY(remove_tree(dir));
  r.applied = true;
  r.bytes = bytes;
  return r;
}

}  // namespace lota
