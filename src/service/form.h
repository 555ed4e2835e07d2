// Reading an application/x-www-form-urlencoded request body (the OAuth endpoints: RFC 6749
// §3.2, RFC 7662 §2.1, RFC 7009 §2.1, RFC 8693 §2.1).
//
// The body is `name=value` pairs separated by '&', each percent-encoded with '+' for a space
// (the WHATWG URL Standard's application/x-www-form-urlencoded parser). Refused, with the
// message naming what is wrong:
//   - a Content-Type other than application/x-www-form-urlencoded (an optional charset=utf-8
//     parameter is allowed);
//   - a bad percent escape, or a name or value that is not UTF-8 once decoded;
//   - a parameter given twice (RFC 6749 §3.2: "parameters MUST NOT be included more than
//     once"), or more than `max_fields` parameters.
// Empty pairs ("a=1&&b=2") are skipped; a pair without '=' is a name with an empty value.
//
// Thread-safety: pure functions; a FormFields is a value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace writ::service {

class FormFields {
 public:
  // The value of `name`, or std::nullopt when absent.
  std::optional<std::string_view> Get(std::string_view name) const;
  // The value of `name`, or "" when absent.
  std::string_view GetOr(std::string_view name) const { return Get(name).value_or(""); }
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  size_t size() const { return fields_.size(); }

  // Adds a field; false when `name` is already present.
  bool Add(std::string name, std::string value);

 private:
  std::map<std::string, std::string, std::less<>> fields_;
};

// True for application/x-www-form-urlencoded with at most a charset=utf-8 parameter
// (case-insensitive).
bool IsFormContentType(std::string_view content_type);

// Parses a form body. invalid_argument as described above.
Result<FormFields> ParseForm(std::string_view body, size_t max_fields = 64);

// The body a client sends: `name=value` pairs in the given order, joined by '&', every byte
// other than ALPHA / DIGIT / "-" / "." / "_" / "~" percent-encoded (ParseForm reads it back).
std::string EncodeForm(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace writ::service
