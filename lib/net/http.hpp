// Small HTTP(S) reads with libcurl, bounded in time: the update check must never hang a boot.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.hpp"
#include "net/tls_files.hpp"

namespace lota {

struct HttpOptions {
  double timeout_s = 5.0;  // whole transfer, connect included
  TlsFiles tls;
  size_t max_bytes = 1 << 20;   // larger answers are refused, not buffered
  uint64_t max_recv_speed = 0;  // bytes/s for downloads (lota fetch --rate-limit); 0: no limit
};

// GET url; any non-2xx status is an error naming the URL and the status.
Result<std::string> http_get(const std::string& url, const HttpOptions& options);

struct Download {
  uint64_t fetched = 0;  // bytes received over the network by this call
  bool not_found = false;
};

// GET url into the file at path, resuming after the bytes already in it (HTTP Range; a server
// that ignores Range sends it all again and the file is rewritten). on_bytes(n) is called as
// data arrives. A 404 is not an error: Download.not_found says so. stall_s: abort when less
// than 1 byte/s arrives for that long. max_size: the file may not grow past it (a hostile or
// broken server's endless answer); past it the file is deleted and the download fails.
Result<Download> http_download(const std::string& url, const std::string& path, const HttpOptions& options,
                               double stall_s, uint64_t max_size, const std::function<void(uint64_t)>& on_bytes);

}  // namespace lota
