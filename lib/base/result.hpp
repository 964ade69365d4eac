// Errors as values: every fallible lota function returns Result<T>. No exceptions cross the
// C boundary; an Error carries one line meant for a person on a serial console and a kind
// meant for the code that decides what to do about it.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lota {

// What went wrong, for the code that decides what to do next (reclaim space, refuse a release
// for good, retry at the next boot); the message is for people and is never parsed.
enum class ErrorKind : unsigned char {
  internal,   // a bug, or a failure nothing more specific was said about
  disk_full,  // the filesystem written to (the root partition) has no room or no inodes
  ram_full,   // /var/tmp, RAM in the initramfs, ran out while unpacking
  network,    // no link, no address, no route, a timeout, a refused connection
  server,     // the server answered, but not with what a repository serves
  trust,      // a signature, a key or TLS: the answer cannot be trusted
  corrupt,    // local state on disk is damaged (journal, repository objects, a filesystem)
  refused,    // a release that can never be installed here (its boot set, a downgrade)
};

// "disk_full", ...: the pull job's pipe carries kinds by name.
const char* to_string(ErrorKind kind);
ErrorKind error_kind_from(std::string_view name);  // internal for a name it does not know

struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::internal;

  bool is(ErrorKind k) const { return kind == k; }
  // "<what>: <message>", the kind kept: `return st.error().with_context("boot set {}", name);`
  template <class... A>
  Error with_context(fmt::format_string<A...> f, A&&... a) const {
    return Error{fmt::format("{}: {}", fmt::format(f, std::forward<A>(a)...), message), kind};
  }
};

template <class... A>
Error make_error(fmt::format_string<A...> f, A&&... a) {
  return Error{fmt::format(f, std::forward<A>(a)...)};
}

template <class... A>
Error make_error(ErrorKind kind, fmt::format_string<A...> f, A&&... a) {
  return Error{fmt::format(f, std::forward<A>(a)...), kind};
}

// The kind an errno says (ENOSPC: disk_full, ...), internal for the rest.
ErrorKind error_kind_of_errno(int err);

// "<what>: <strerror(errno)>", read errno at the call; the kind follows errno.
template <class... A>
Error errno_error(fmt::format_string<A...> f, A&&... a) {
  int saved = errno;
  return Error{fmt::format("{}: {}", fmt::format(f, std::forward<A>(a)...), std::strerror(saved)),
               error_kind_of_errno(saved)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}

  bool ok() const { return !e_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *e_; }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

// Propagate an error: `LOTA_TRY(do_thing());`
#define LOTA_TRY(expr)                                                            \
  do {                                                                            \
    if (auto lota_try_r_ = (expr); !lota_try_r_.ok()) return lota_try_r_.error(); \
  } while (0)

}  // namespace lota
