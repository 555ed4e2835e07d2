// RFC 8785 JSON Canonicalization Scheme (JCS) over Boost.JSON values.
//
// The canonical form is what Writ hashes and signs: object members sorted by the UTF-16 code
// units of their names, no whitespace, strings escaped as RFC 8785 §3.2.2.2 says (only `"`, `\`
// and control characters; everything else literal UTF-8), numbers serialised as ECMAScript's
// Number.prototype.toString does for an IEEE 754 double (RFC 8785 §3.2.2.3).
//
// Integers: Boost.JSON keeps integers as int64/uint64. RFC 8785 treats every number as a double
// (I-JSON, RFC 7493), so an integer is accepted only when a double holds it exactly (every
// integer up to 2^53 in magnitude, and larger ones that happen to be exact); any other integer
// is refused with invalid_argument rather than silently rounded — put such values in a string.
// NaN and infinities are refused too, and so is invalid UTF-8 in a string or a member name.
//
// Errors never leave partial output behind: on error the output string is unchanged.
// All functions are pure and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace writ {

// Nesting deeper than this is refused (protects the stack from hostile input).
inline constexpr int kMaxCanonicalJsonDepth = 128;

Result<std::string> CanonicalJson(const boost::json::value& value);
// The same for an object, without first copying it into a value (which a call with an object
// would otherwise do implicitly: a deep copy of the whole tree).
Result<std::string> CanonicalJson(const boost::json::object& object);

// Refuses (invalid_argument, naming its path, e.g. `input.amount`) the first number under
// `object` that the canonical form would refuse: an integer a double does not hold exactly,
// NaN or an infinity. Cheaper than the canonical form; for input checked before it is used.
Status CheckCanonicalNumbers(const boost::json::object& object);

// Appends the canonical form of `value` to `*out`.
Status AppendCanonicalJson(const boost::json::value& value, std::string* out);
Status AppendCanonicalJson(const boost::json::object& object, std::string* out);

// Parses JSON text (strict RFC 8259, depth-limited) into a value. Unlike boost::json::parse, a
// number with a fraction or an exponent becomes the double nearest to its decimal text (correct
// rounding), which canonical forms depend on; a number beyond the double range is refused.
Result<boost::json::value> ParseJson(std::string_view text);

// Parses JSON text (as ParseJson) and returns its canonical form.
Result<std::string> CanonicalizeJsonText(std::string_view text);

// ECMAScript Number::toString for a finite double ("1e+21", "0.000001", "5e-324", "-0" → "0").
Result<std::string> FormatJsonNumber(double value);

// Appends `s` as an RFC 8785 JSON string literal (with quotes); invalid UTF-8 is an error.
Status AppendJsonString(std::string_view s, std::string* out);

// True when `a` sorts before `b` by UTF-16 code units (both must be valid UTF-8).
bool Utf16Less(std::string_view a, std::string_view b);

}  // namespace writ
