// How MCP meets Cedar: the names of a server's tools as Cedar actions, and the Cedar schema of
// a server's tools generated from its `tools/list` (`writ schema from-mcp`), following the
// convention of Cedar's own MCP schema generator (cedar-policy/cedar-for-agents): one action
// per tool, the server as the resource, the tool's typed arguments under `context.input`.
//
// JSON Schema to Cedar: string (any format, enums) -> String; integer and number -> Long (Cedar
// has no floating point: a fractional argument does not fit and the call is refused as invalid
// params); boolean -> Bool; array -> Set of its items' type; object with properties -> a record
// whose attributes are optional unless listed in `required`. Properties of any other shape
// (free-form objects, unions, arrays without item types) are left out, and a call that sends
// one does not fit the schema.
//
// The context of every generated action also declares what Writ fills in (docs/entity-model.md):
// intent, task, time, approval, trace, delegation_depth and the optional user.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace writ::gateway {

// The Cedar uid of the action for `tool`: Action::"<tool>", or <ns>::Action::"<tool>".
std::string ActionUid(std::string_view action_namespace, std::string_view tool);

struct SchemaOptions {
  std::string resource_type = "McpServer";
  std::string principal_type = "Agent";
  // Also declare Writ's base types (Agent, Team, User, UserGroup, Task, the resource type,
  // Approval, Trace) and its own action "task/start", so that the output is a complete schema;
  // otherwise only the tools' actions, to be added to a schema that has them.
  bool standalone = true;
  std::string source;  // named in the header comment
  // Also the actions of resources/read (input {"uri": String}) and prompts/get (input
  // {"name": String}; a prompt's arguments are not part of the Cedar request).
  bool resources_and_prompts = false;
};

// The Cedar schema (text) for the tools of one or more tools/list results (each either the
// result object {"tools": [...]} or a whole JSON-RPC response carrying it). A tool name seen
// twice keeps its first definition. invalid_argument when an input has no tools array or a
// tool has no name.
Result<std::string> SchemaFromTools(const std::vector<boost::json::value>& tool_lists,
                                    const SchemaOptions& options);

// The Cedar type of one JSON Schema, or "" when it has no Cedar counterpart (see above).
std::string CedarType(const boost::json::value& json_schema, int indent);

}  // namespace writ::gateway
