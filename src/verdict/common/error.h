// One error vocabulary for every module boundary: a code that maps to an HTTP status or exit
// code in exactly one place, and a full-sentence message with the values found.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace verdict {

enum class ErrorCode {
  kInvalidArgument,   // the caller's input is wrong (4xx)
  kNotFound,          // a file, model or route does not exist
  kUnsupported,       // valid, but not something Verdict does (e.g. unknown model_type)
  kCorruptModel,      // a model file lies about itself
  kOverloaded,        // admission control refused work
  kDeadlineExceeded,  // the request ran out of time
  kUnavailable,       // not ready / shutting down
  kCancelled,         // the caller went away before the work started
  kInternal,          // a bug or an environment failure
};

std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

// A value or an Error. Small by design: ok(), value(), error(), and -> / *.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace verdict
