// Cedar's JSON formats: values, entities, context and requests (with or without a schema),
// and the policy JSON format (EST), in both directions.
//
// Parsing without a schema accepts the explicit escapes (`{"__entity": {...}}`,
// `{"__extn": {"fn": ..., "arg" | "args": ...}}`). With a schema, values are parsed against
// their declared types: entity references and extension values may be written implicitly
// (`{"type": ..., "id": ...}`, `"10.0.0.1"` for an ipaddr), attribute sets and types are
// checked, enumerated entity ids are checked, and the schema's action entities (with their
// hierarchy) are added to the entity data.
//
// Integers are i64 end to end: JSON numbers outside i64, fractions, exponents and `null` are
// errors.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "cedar/authorizer.h"
#include "cedar/entities.h"
#include "cedar/policy.h"
#include "cedar/schema.h"
#include "cedar/value.h"

namespace cedar {

// Parses JSON text with Writ's limits (depth 128, no comments, valid UTF-8, no duplicate keys).
Result<boost::json::value> ParseJsonText(std::string_view text);

// A value, without a schema (`expected` null) or checked against `expected`.
Result<Value> ValueFromJson(const boost::json::value& json, Arena& arena,
                            const Schema* schema = nullptr, const SchemaType* expected = nullptr);
// An entity reference in either form: {"type","id"} or {"__entity": {"type","id"}}.
Result<const EntityUID*> EntityUIDFromJson(const boost::json::value& json, Arena& arena);

// An entities array. With a schema, entities are checked against it and the schema's action
// entities are added.
Result<Entities> EntitiesFromJson(const boost::json::value& json, const Schema* schema = nullptr);
Result<Entities> EntitiesFromJsonText(std::string_view text, const Schema* schema = nullptr);

// A context object. With a schema, `action` must be declared and the context must conform to
// the action's context type.
Result<Value> ContextFromJson(const boost::json::value& json, Arena& arena,
                              const Schema* schema = nullptr, const EntityUID* action = nullptr);

// A request object {"principal", "action", "resource", "context"}. With a schema the context
// is parsed against the action's context type and, when `validate` is set, the request is
// validated (ValidateRequest).
Result<OwnedRequest> RequestFromJson(const boost::json::value& json, const Schema* schema = nullptr,
                                     bool validate = true);
// The same, with the request's uids and context allocated in `arena` (for callers that reuse
// one arena across many requests).
Result<Request> RequestFromJson(const boost::json::value& json, Arena& arena,
                                const Schema* schema = nullptr, bool validate = true);

// Reads request lines (one JSON request object per line, no schema) straight into values,
// without building a JSON document: the hot path of batch authorization. Accepts and rejects
// exactly what RequestFromJson does without a schema. Strings of the request may point into
// `line`, which must outlive the request. Reuse one parser across lines.
class RequestLineParser {
 public:
  Result<Request> Parse(std::string_view line, Arena& arena);

 private:
  std::vector<Value> values_;
  std::vector<RecordField> fields_;
};

// Checks that the action is declared, the principal and resource types are allowed for it
// (and are valid ids of enumerated types), and that the context conforms.
Status ValidateRequest(const Request& request, const Schema& schema);

// Output: the explicit (escaped) forms.
boost::json::value ValueToJson(const Value& value);
boost::json::value EntityUIDToJson(const EntityUID& uid);
boost::json::value EntitiesToJson(const Entities& entities);

// Policy JSON (EST).
boost::json::value PolicyToJson(const PolicyAst& policy);
Result<std::shared_ptr<PolicyAst>> PolicyFromJson(const boost::json::value& json);
// {"staticPolicies": {id: EST}, "templates": {id: EST}, "templateLinks": [...]}
boost::json::value PolicySetToJson(const PolicySet& set);
Result<PolicySet> PolicySetFromJson(const boost::json::value& json);

}  // namespace cedar
