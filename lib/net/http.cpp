#include "net/http.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "base/c_handle.hpp"
#include "base/crash_point.hpp"

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

using Curl = CHandle<CURL, curl_easy_cleanup>;
using File = CHandle<FILE, std::fclose>;

// What a failed transfer says about where the fault is: the path to the server, the server's
// TLS identity, or the server itself.
ErrorKind kind_of(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return ErrorKind::network;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return ErrorKind::trust;
    default:
      return ErrorKind::server;
  }
}

Error transfer_error(const std::string& url, CURLcode rc, const char* errbuf) {
  return make_error(kind_of(rc), "{}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

void common_options(CURL* c, const std::string& url, const HttpOptions& o, char* errbuf) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  // An https remote is never led to plain http by a redirect (what TLS protects would be gone).
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, url.starts_with("https://") ? "https" : "http,https");
  if (!o.tls.ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.tls.ca.c_str());
  if (!o.tls.client_cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, o.tls.client_cert.c_str());
  if (!o.tls.client_key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, o.tls.client_key.c_str());
}

struct FileSink {
  FILE* f = nullptr;
  CURL* curl = nullptr;
  uint64_t fetched = 0;
  bool decided = false;  // the status has been looked at
  bool discard = false;  // an error page: not part of the file
  uint64_t resume_from = 0;
  uint64_t max_size = 0;
  bool overflow = false;
  int write_errno = 0;  // a write to the file failed (ENOSPC: the disk, not the server)
  const std::function<void(uint64_t)>* on_bytes = nullptr;
};

size_t on_file_data(char* ptr, size_t size, size_t n, void* user) {
  auto* s = static_cast<FileSink*>(user);
  size_t len = size * n;
  if (!s->decided) {
    s->decided = true;
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    // 200 to a ranged request: the server sends everything, start the file over.
    s->discard = status >= 300;
    if (status == 200 && s->resume_from > 0) {
      if (std::fflush(s->f) != 0 || ::ftruncate(::fileno(s->f), 0) != 0 || std::fseek(s->f, 0, SEEK_SET) != 0) return 0;
    }
  }
  if (s->discard) return len;
  if (s->resume_from + s->fetched + len > s->max_size) {
    s->overflow = true;
    return 0;  // aborts the transfer
  }
  if (std::fwrite(ptr, 1, len, s->f) != len) {
    s->write_errno = errno ? errno : EIO;
    return 0;
  }
  s->fetched += len;
  if (s->on_bytes && *s->on_bytes) (*s->on_bytes)(len);
  return len;
}

}  // namespace

Result<std::string> http_get(const std::string& url, const HttpOptions& o) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return make_error("libcurl failed to initialise");
  Curl curl(curl_easy_init());
  if (!curl) return make_error("libcurl: out of memory");
  Sink sink{{}, o.max_bytes};
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  common_options(c, url, o, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
  CURLcode rc = curl_easy_perform(c);
  if (sink.overflow)
    return make_error(ErrorKind::server, "{}: answer larger than {} bytes - refused (a broken or hostile server)", url,
                      o.max_bytes);
  if (rc != CURLE_OK) return transfer_error(url, rc, errbuf);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) return make_error(ErrorKind::server, "{}: HTTP status {}", url, status);
  return std::move(sink.data);
}

}  // namespace lota

namespace lota {

namespace {

// A download's transfer: resumed from the bytes already in the file, aborted when less than a
// byte a second arrives for stall_s.
void configure_download(CURL* c, const std::string& url, const HttpOptions& o, double stall_s, FileSink& sink,
                        char* errbuf) {
  common_options(c, url, o, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_file_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout_s * 1000));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(stall_s < 1 ? 1 : stall_s));
  if (o.max_recv_speed > 0)
    curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(o.max_recv_speed));
  if (sink.resume_from > 0) curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(sink.resume_from));
}

}  // namespace

Result<Download> http_download(const std::string& url, const std::string& path, const HttpOptions& o, double stall_s,
                               uint64_t max_size, const std::function<void(uint64_t)>& on_bytes) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) return make_error("libcurl failed to initialise");
  Curl curl(curl_easy_init());
  if (!curl) return make_error("libcurl: out of memory");
  File f(std::fopen(path.c_str(), "ab"));
  if (!f) return errno_error("opening {}", path);
  std::fseek(f.get(), 0, SEEK_END);
  long have = std::ftell(f.get());
  FileSink sink{.f = f.get(),
                .curl = curl.get(),
                .resume_from = static_cast<uint64_t>(have > 0 ? have : 0),
                .max_size = max_size,
                .on_bytes = &on_bytes};
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  configure_download(c, url, o, stall_s, sink, errbuf);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (std::fflush(f.get()) != 0 || ::fsync(::fileno(f.get())) != 0) return errno_error("writing {}", path);
  crash_point("downloaded " + path);
  if (sink.overflow) {
    f.reset();
    ::unlink(path.c_str());
    return make_error(ErrorKind::server, "{}: larger than the {} bytes it may be (broken or hostile server); discarded",
                      url, max_size);
  }
  if (status == 404) return Download{0, true};
  if (rc == CURLE_RANGE_ERROR && sink.resume_from > 0) {
    // The server cannot resume: start this file over.
    f.reset();
    if (::truncate(path.c_str(), 0) != 0) return errno_error("truncating {}", path);
    return http_download(url, path, o, stall_s, max_size, on_bytes);
  }
  if (status == 416) return Download{0, false};  // range past the end: the file is complete
  if (sink.write_errno) {
    errno = sink.write_errno;
    return errno_error("writing {}", path);
  }
  if (rc != CURLE_OK) return transfer_error(url, rc, errbuf);
  if (status != 200 && status != 206) return make_error(ErrorKind::server, "{}: HTTP status {}", url, status);
  return Download{sink.fetched, false};
}

}  // namespace lota
