// Small HTTP(S) reads with libcurl, bounded in time: the update check must never hang a boot.
#pragma once

#include <string>

#include "result.hpp"

namespace lota {

struct HttpOptions {
  double timeout_s = 5.0;       // whole transfer, connect included
  std::string ca_file;          // TLS trust anchors; empty: the system bundle
  std::string client_cert;      // mTLS (PEM), optional
  std::string client_key;
  size_t max_bytes = 1 << 20;   // larger answers are refused, not buffered
};

// GET url; any non-2xx status is an error naming the URL and the status.
Result<std::string> http_get(const std::string& url, const HttpOptions& options);

}  // namespace lota
