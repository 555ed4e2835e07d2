// Errors and results of the Cedar library.
//
// The library does not throw across its public API: every fallible call returns a Result<T>
// whose error carries a machine-readable code, a message written for a policy author, and,
// where the error comes from source text, the position it points at.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace cedar {

enum class ErrorCode : uint8_t {
  kParse,       // policy, schema or template text does not parse
  kJson,        // a JSON document is malformed or of the wrong shape
  kEntity,      // entity data is inconsistent (duplicates, cycles, schema mismatch)
  kSchema,      // a schema is malformed or inconsistent
  kRequest,     // a request does not conform to the schema
  kEvaluation,  // evaluating an expression failed (type error, overflow, missing data)
  kLink,        // a template link is invalid
  kValidation,  // a policy does not validate against a schema
  kPolicySet,   // duplicate or unknown policy ids
  kIo,          // a file could not be read
};

const char* ErrorCodeName(ErrorCode code);

// A position in source text; line and column are 1-based, 0 when unknown.
struct SourcePos {
  uint32_t offset = 0;
  uint32_t line = 0;
  uint32_t column = 0;
};

struct Error {
  ErrorCode code = ErrorCode::kParse;
  std::string message;
  SourcePos pos;

  // "line:col: message" when a position is known, otherwise the message.
  std::string ToString() const;
};

inline Error MakeError(ErrorCode code, std::string message, SourcePos pos = {}) {
  return Error{code, std::move(message), pos};
}

// Either a value or an Error. Small on purpose: the only operations are the ones the library
// uses.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that produces nothing but may fail.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace cedar
