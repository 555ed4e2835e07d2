// Obligations: how a permit narrows the call it allows.
//
// A permit policy carries them in its `@narrow("...")` annotation (grammar in
// docs/annotations.md). When several permits determine an allow, all their obligations apply
// and the most restrictive wins: caps take the minimum, floors the maximum, allowed sets
// intersect, prefixes must all hold, credential lifetimes take the minimum, scopes intersect,
// and two different pins of one argument are a conflict (the call is denied).
//
// Applying obligations to a call's arguments either narrows them (cap, floor, pin, drop,
// max_length) or finds that they cannot be met (prefix, oneof, a value of the wrong type), in
// which case the call is denied with the obligation named. Redactions apply to results.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace writ::authz {

enum class ObligationKind : uint8_t {
  kCap,        // cap(input.p, N): numbers above N become N
  kFloor,      // floor(input.p, N): numbers below N become N
  kPin,        // pin(input.p, value): the argument is set to value
  kDrop,       // drop(input.p): the argument is removed
  kMaxLength,  // max_length(input.p, N): strings longer than N characters are cut
  kPrefix,     // prefix(input.p, 'text'): the string must start with text
  kOneOf,      // oneof(input.p, ['a', 'b']): the value must be one of these
  kRedact,     // redact(result.p): the field of the result is replaced by "[REDACTED]"
  kTtl,        // ttl(30s): credentials minted for the call live at most this long
  kScopes,     // scopes('a', 'b'): credentials minted for the call carry at most these scopes
};

std::string_view ObligationKindName(ObligationKind kind);

struct Obligation {
  ObligationKind kind = ObligationKind::kCap;
  std::vector<std::string> path;           // after the root: input.a.b -> {"a", "b"}
  bool on_result = false;                  // the path's root is `result`
  int64_t number = 0;                      // cap, floor, max_length; ttl in milliseconds
  std::string text;                        // prefix
  boost::json::value value;                // pin
  std::vector<boost::json::value> values;  // oneof
  std::vector<std::string> scopes;         // scopes
  std::string policy_id;                   // the permit it came from

  // {"kind": "cap", "path": "input.limit", "value": 100, "policy": "..."}
  boost::json::object ToJson() const;
};

// Parses the text of a @narrow annotation. invalid_argument with the position and what is
// wrong.
Result<std::vector<Obligation>> ParseObligations(std::string_view text);

// The combined effect of all applicable obligations.
struct ObligationSet {
  std::vector<Obligation> all;  // every obligation, with its policy
  std::optional<int64_t> ttl_ms;
  std::optional<std::vector<std::string>> scopes;  // allowed scopes (intersection)
  std::vector<std::vector<std::string>> redactions;

  bool empty() const { return all.empty(); }
  void Add(const std::vector<Obligation>& obligations, const std::string& policy_id);
  boost::json::array ToJson() const;
};

// The outcome of applying obligations to arguments.
struct NarrowingResult {
  bool satisfiable = true;
  std::string violation;      // when not satisfiable: which obligation and why
  bool changed = false;       // whether any argument was rewritten
  boost::json::object input;  // the narrowed arguments
};

// Applies the input obligations (drop, pin, cap, floor, max_length, then the checks prefix and
// oneof) to `input`. Conflicting pins make the result unsatisfiable.
NarrowingResult ApplyToInput(const ObligationSet& set, const boost::json::object& input);

// Replaces each redacted field of `result` (searched recursively through arrays, so that
// `redact(result.email)` covers a list of records) with "[REDACTED]". Returns how many fields
// were redacted.
size_t ApplyRedactions(const ObligationSet& set, boost::json::value& result);

}  // namespace writ::authz
