// `writ validate`: Cedar policies against a schema (strict mode, optional level validation).
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cedar/policy.h"
#include "cedar/schema.h"
#include "cedar/validator.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace writ::cli {

namespace {

struct ValidateOptions {
  std::string schema_path;
  std::string policies_path;
  std::optional<uint32_t> level;
  bool json = false;
};

void AppendIssues(std::string& out, const std::vector<cedar::ValidationIssue>& issues) {
  out += '[';
  for (size_t i = 0; i < issues.size(); ++i) {
    const cedar::ValidationIssue& v = issues[i];
    if (i) out += ',';
    out += "{\"policy\":";
    AppendJsonString(out, v.policy_id);
    out += ",\"code\":";
    AppendJsonString(out, cedar::ValidationCodeName(v.code));
    out += ",\"message\":";
    AppendJsonString(out, v.message);
    if (v.pos.line != 0) {
      out += ",\"line\":" + std::to_string(v.pos.line) +
             ",\"column\":" + std::to_string(v.pos.column) +
             ",\"offset\":" + std::to_string(v.span.begin) +
             ",\"length\":" + std::to_string(v.span.end - v.span.begin);
    }
    out += '}';
  }
  out += ']';
}

int RunValidate(const ValidateOptions& opts) {
  std::string error;
  auto schema_text = ReadFile(opts.schema_path, &error);
  if (!schema_text) {
    PrintError(error);
    return kExitInputError;
  }
  const std::string& sp = opts.schema_path;
  bool is_json = sp.size() >= 5 && sp.substr(sp.size() - 5) == ".json";
  auto schema =
      is_json ? cedar::Schema::FromJson(*schema_text) : cedar::Schema::FromCedar(*schema_text);
  if (!schema.ok()) {
    PrintError("schema `" + sp + "`: " + schema.error().ToString());
    return kExitInputError;
  }
  auto policy_text = ReadFile(opts.policies_path, &error);
  if (!policy_text) {
    PrintError(error);
    return kExitInputError;
  }
  auto policies = cedar::PolicySet::Parse(*policy_text);
  if (!policies.ok()) {
    PrintError("policies `" + opts.policies_path + "`: " + policies.error().ToString());
    return kExitInputError;
  }
  cedar::ValidationOptions options;
  options.max_deref_level = opts.level;
  cedar::ValidationResult result = cedar::Validate(*schema, *policies, options);
  if (opts.json) {
    std::string out = "{\"valid\":";
    out += result.ok() ? "true" : "false";
    out += ",\"errors\":";
    AppendIssues(out, result.errors);
    out += ",\"warnings\":";
    AppendIssues(out, result.warnings);
    out += "}";
    std::cout << out << "\n";
  } else {
    for (const auto& v : result.errors) std::cout << v.ToString() << "\n";
    for (const auto& v : result.warnings) std::cout << v.ToString() << "\n";
    std::cout << (result.ok() ? "valid" : "invalid") << ": " << result.errors.size()
              << (result.errors.size() == 1 ? " error, " : " errors, ") << result.warnings.size()
              << (result.warnings.size() == 1 ? " warning" : " warnings") << "\n";
  }
  return result.ok() ? kExitOk : kExitInvalid;
}

}  // namespace

void AddValidateCommands(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "validate", "Validate Cedar policies against a schema (strict mode); exit 3 when invalid");
  auto opts = std::make_shared<ValidateOptions>();
  cmd->add_option("--schema", opts->schema_path, "Schema (.cedarschema, or .json)")->required();
  cmd->add_option("--policies", opts->policies_path, "Cedar policy file")->required();
  cmd->add_option("--level", opts->level,
                  "Level validation: the deepest chain of entity dereferences allowed");
  cmd->add_flag("--json", opts->json, "Print the result as one JSON object");
  cmd->callback([opts] {
    int rc = RunValidate(*opts);
    if (rc != kExitOk) Exit(rc);
  });
}

}  // namespace writ::cli
