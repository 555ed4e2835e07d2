// ApiError: an HTTP error answer (status, machine code, human message), and ApiResult<T>, a T
// or an ApiError.
//
// Every error Writ's HTTP service sends has the body
//   {"error": {"code": "<machine_code>", "message": "<human message>"}}
// The code is stable snake_case, meant for scripts and metrics labels; the message is for a
// person and never contains a secret (a key, a token, a password).
//
// Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/status.h"

namespace writ::server {

struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
};

// The error for a Status from another part of Writ. The HTTP status follows the StatusCode:
// invalid_argument and out_of_range 400, permission_denied 403, not_found 404,
// already_exists and failed_precondition 409, resource_exhausted and unavailable 503,
// unimplemented 501, anything else 500. The code is the snake_case word with at least one '_'
// that starts the message when the message has the form "word_x: ..." (the convention of
// identity/errors.h), otherwise the StatusCode's name ("store: ..." gives the StatusCode's).
// Internal errors keep their message out of the answer. Precondition: !status.ok().
ApiError ApiErrorFromStatus(const Status& status);

// The standard error body for `code` and `message`.
std::string ErrorBody(std::string_view code, std::string_view message);

// Either a T or an ApiError.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}         // NOLINT
  ApiResult(ApiError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Precondition for the value accessors: ok(). For error(): !ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace writ::server
