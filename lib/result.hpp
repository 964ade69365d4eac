// Errors as values: every fallible lota function returns Result<T>. No exceptions cross the
// C boundary; an Error carries one line meant for a person on a serial console.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lota {

struct Error {
  std::string message;
};

template <class... A>
Error make_error(fmt::format_string<A...> f, A&&... a) {
  return Error{fmt::format(f, std::forward<A>(a)...)};
}

// "<what>: <strerror(errno)>", read errno at the call.
template <class... A>
Error errno_error(fmt::format_string<A...> f, A&&... a) {
  int saved = errno;
  return Error{fmt::format("{}: {}", fmt::format(f, std::forward<A>(a)...), std::strerror(saved))};
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
