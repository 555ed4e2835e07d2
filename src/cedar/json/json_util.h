// Internal helpers shared by the JSON readers and writers.
#pragma once

#include <boost/json.hpp>
#include <span>
#include <string>

#include "cedar/ast.h"
#include "cedar/error.h"
#include "cedar/schema.h"
#include "cedar/value.h"

namespace cedar {

inline constexpr size_t kMaxJsonDepth = 128;

// "an integer", "a string", ... for messages.
std::string JsonKindName(const boost::json::value& v);

// Calls an extension function on already-built values (used by `__extn` and implicit forms).
Result<Value> CallExtension(Arena& arena, ExtFn fn, std::span<const Value> args);

// Error when `uid` is of an enumerated entity type and its id is not one of the declared ids.
Status CheckEnumEntity(const Schema* schema, const EntityUID& uid);

// Evaluates an expression that reads no variables and no entities.
bool EvaluateStandalone(const Expr& e, Arena& arena, Value& out, std::string& error);

inline std::string_view Sv(boost::json::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace cedar
