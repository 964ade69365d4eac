// One owner for every handle a C library hands out (CURL*, nl_sock*, blkid_probe, FILE*, DIR*):
// `CHandle<CURL, curl_easy_cleanup> curl(curl_easy_init());` frees it on every path out.
#pragma once

#include <memory>

namespace lota {

template <auto Free>
struct CFree {
  template <class T>
  void operator()(T* p) const {
    if (p) Free(p);
  }
};

template <class T, auto Free>
using CHandle = std::unique_ptr<T, CFree<Free>>;

}  // namespace lota
