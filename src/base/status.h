// Status and Result<T>: how every Writ part outside the Cedar library reports failure.
//
// A Status is either ok or an error made of a machine-readable code (stable, snake_case, meant
// for scripts, HTTP bodies and metrics labels) and a human message (meant for an operator; it
// never contains a secret). Nothing in Writ throws across a module boundary: fallible calls
// return Status or Result<T>.
//
// Thread-safety: Status and Result are values; distinct objects may be used from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace writ {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the input is malformed or out of its domain; nothing was changed
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // a create collided with something that exists
  kPermissionDenied,    // the caller may not do this
  kFailedPrecondition,  // the system is not in a state where this can be done
  kOutOfRange,          // a position or size beyond what exists
  kResourceExhausted,   // a limit was hit: disk full, file-size limit, queue full
  kUnavailable,         // a dependency (the store, the disk) cannot do the work now; retry later
  kDataLoss,            // stored data is damaged or was tampered with
  kIoError,             // the operating system reported an I/O error
  kInternal,            // a bug: an invariant does not hold
  kUnimplemented,       // the operation is not supported by this implementation
};

// "ok", "invalid_argument", ...: the stable machine name of a code.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "code: message", or "ok".
  std::string ToString() const;

  // The same code with `context` put in front of the message ("context: message").
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status DataLoss(std::string m) {
  return {StatusCode::kDataLoss, std::move(m)};
}
inline Status Internal(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status IoError(std::string m) {
  return {StatusCode::kIoError, std::move(m)};
}

// Either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}        // NOLINT
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(v_).ok()) {
      std::get<1>(v_) = Status(StatusCode::kInternal, "Result built from an ok Status");
    }
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition for value(): ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  // Ok when a value is held.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace writ

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define WRIT_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::writ::Status writ_status_ = (expr);        \
    if (!writ_status_.ok()) return writ_status_; \
  } while (0)

#define WRIT_CONCAT_INNER_(a, b) a##b
#define WRIT_CONCAT_(a, b) WRIT_CONCAT_INNER_(a, b)
// `WRIT_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value or returns its Status.
#define WRIT_ASSIGN_OR_RETURN(lhs, expr) \
  WRIT_ASSIGN_OR_RETURN_IMPL_(WRIT_CONCAT_(writ_result_, __LINE__), lhs, expr)
#define WRIT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
