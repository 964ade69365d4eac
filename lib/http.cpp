#include "http.hpp"

#include <curl/curl.h>

#include <memory>

namespace lota {
namespace {

struct Sink {
  std::string data;
  size_t max;
  bool overflow = false;
};

size_t on_data(char* ptr, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->data.size() + len > sink->max) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->data.append(ptr, len);
  return len;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

}  // namespace

Result<std::string> http_get(const std::string& url, const HttpOptions& o) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return make_error("libcurl failed to initialise");
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return make_error("libcurl: out of memory");
  Sink sink{{}, o.max_bytes};
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.client_cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, o.client_cert.c_str());
  if (!o.client_key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, o.client_key.c_str());
  CURLcode rc = curl_easy_perform(c);
  if (sink.overflow) return make_error("{}: answer larger than {} bytes - not an OSTree ref", url, o.max_bytes);
  if (rc != CURLE_OK)
    return make_error("{}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) return make_error("{}: HTTP status {}", url, status);
  return std::move(sink.data);
}

}  // namespace lota
