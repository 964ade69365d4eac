// The files of an https remote, one spelling for the config (lota.tls_*), the remote libostree
// pulls from and each request lota makes itself.
#pragma once

#include <string>

namespace lota {

struct TlsFiles {
  std::string ca;           // trust anchors (PEM bundle); empty: the system bundle
  std::string client_cert;  // mTLS (PEM), optional
  std::string client_key;
};

}  // namespace lota
