#pragma once
// The one error idiom for expected failures (CONTRIBUTING.md): a call that can fail for reasons
// outside this program (a peer refusing, a broker away, bad bytes) returns Result<T>: a value, or
// an Error saying what failed and why. Both are [[nodiscard]]: dropping one is a compiler warning,
// so a failure is handled or ignored on purpose (`static_cast<void>(...)` with a comment saying why).
// Set-up failures that end a command are exceptions; bugs are assertions.
#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace lpbf {

// What failed and why, as one line a user can act on: "create: HTTP 403: Invalid token."
struct [[nodiscard]] Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Error error) : error_(std::move(error.message)) {}

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only when ok().
  T& value() & { return assert(ok()), *value_; }
  const T& value() const& { return assert(ok()), *value_; }
  T&& value() && { return assert(ok()), std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Only when !ok().
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

// Success with no value, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : failed_(true), error_(std::move(error.message)) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_; }

 private:
  bool failed_ = false;
  std::string error_;
};

using Status = Result<void>;

}  // namespace lpbf
