// `writ authorize` and `writ test-cedar`.
#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "cedar/authorizer.h"
#include "cedar/json.h"
#include "cedar/policy.h"
#include "cedar/schema.h"
#include "cedar/validator.h"
#include "cli/commands.h"
#include "cli/io.h"

namespace writ::cli {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

struct Inputs {
  cedar::PolicySet policies;
  std::optional<cedar::Schema> schema;
  cedar::Entities entities;
};

// Loads policies, schema and entities; prints the error and returns false on failure.
bool LoadSchema(const std::string& path, std::optional<cedar::Schema>& out, std::string& error) {
  auto text = ReadFile(path, &error);
  if (!text) return false;
  bool is_json = path.size() >= 5 && path.substr(path.size() - 5) == ".json";
  auto schema = is_json ? cedar::Schema::FromJson(*text) : cedar::Schema::FromCedar(*text);
  if (!schema.ok()) {
    error = "schema `" + path + "`: " + schema.error().ToString();
    return false;
  }
  out = std::move(schema).value();
  return true;
}

bool LoadPolicies(const std::string& path, cedar::PolicySet& out, std::string& error) {
  auto text = ReadFile(path, &error);
  if (!text) return false;
  auto set = cedar::PolicySet::Parse(*text);
  if (!set.ok()) {
    error = "policies `" + path + "`: " + set.error().ToString();
    return false;
  }
  out = std::move(set).value();
  return true;
}

bool LoadEntities(const std::string& path, const cedar::Schema* schema, cedar::Entities& out,
                  std::string& error) {
  if (path.empty()) {
    auto empty = cedar::EntitiesFromJson(json::array{}, schema);
    if (!empty.ok()) {
      error = empty.error().ToString();
      return false;
    }
    out = std::move(empty).value();
    return true;
  }
  auto text = ReadFile(path, &error);
  if (!text) return false;
  auto ents = cedar::EntitiesFromJsonText(*text, schema);
  if (!ents.ok()) {
    error = "entities `" + path + "`: " + ents.error().ToString();
    return false;
  }
  out = std::move(ents).value();
  return true;
}

void AppendDecision(std::string& out, const cedar::Response& r) {
  out += "{\"decision\":";
  out += r.decision == cedar::Decision::kAllow ? "\"allow\"" : "\"deny\"";
  out += ",\"reasons\":[";
  for (size_t i = 0; i < r.reasons.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, r.reasons[i]->id());
  }
  out += "],\"errors\":[";
  for (size_t i = 0; i < r.errors.size(); ++i) {
    if (i) out += ',';
    out += "{\"policy\":";
    AppendJsonString(out, r.errors[i].policy->id());
    out += ",\"message\":";
    AppendJsonString(out, r.errors[i].message);
    out += '}';
  }
  out += "]}";
}

void AppendInputError(std::string& out, const cedar::Error& e) {
  out += "{\"error\":{\"code\":";
  AppendJsonString(out, cedar::ErrorCodeName(e.code));
  out += ",\"message\":";
  AppendJsonString(out, e.ToString());
  out += "}}";
}

int RunAuthorize(const std::string& policies_path, const std::string& entities_path,
                 const std::string& schema_path, const std::string& request_path,
                 const std::string& requests_path) {
  Inputs in;
  std::string error;
  if (!schema_path.empty() && !LoadSchema(schema_path, in.schema, error)) {
    PrintError(error);
    return kExitInputError;
  }
  const cedar::Schema* schema = in.schema ? &*in.schema : nullptr;
  if (!LoadPolicies(policies_path, in.policies, error) ||
      !LoadEntities(entities_path, schema, in.entities, error)) {
    PrintError(error);
    return kExitInputError;
  }
  if (!request_path.empty()) {
    auto text = ReadFile(request_path, &error);
    if (!text) {
      PrintError(error);
      return kExitInputError;
    }
    auto jv = cedar::ParseJsonText(*text);
    if (!jv.ok()) {
      PrintError("request `" + request_path + "`: " + jv.error().message);
      return kExitInputError;
    }
    auto req = cedar::RequestFromJson(*jv, schema, schema != nullptr);
    if (!req.ok()) {
      PrintError("request `" + request_path + "`: " + req.error().message);
      return kExitInputError;
    }
    cedar::Response r = cedar::Authorize(in.policies, in.entities, req->request);
    std::string out;
    AppendDecision(out, r);
    std::cout << out << "\n";
    return r.decision == cedar::Decision::kAllow ? kExitOk : kExitDeny;
  }
  // Batch: one request a line in, one decision a line out. The parser, the request arena and
  // the response are reused from line to line.
  std::FILE* f = requests_path == "-" ? stdin : std::fopen(requests_path.c_str(), "rb");
  if (f == nullptr) {
    PrintError("cannot read `" + requests_path + "`");
    return kExitInputError;
  }
  // Without a schema, lines are read straight into values (RequestLineParser); with one, the
  // context is parsed against the action's declared type.
  cedar::RequestLineParser line_parser;
  cedar::Arena arena;
  cedar::Response response;
  std::string out;
  out.reserve(1 << 16);
  LineSource lines(f);
  std::string_view text;
  bool any_error = false;
  while (lines.Next(text)) {
    while (!text.empty() && text.back() == '\r') text.remove_suffix(1);  // CRLF line ends
    if (text.empty()) continue;
    arena.Reset();
    cedar::Result<cedar::Request> req = cedar::MakeError(cedar::ErrorCode::kJson, "");
    if (schema == nullptr) {
      req = line_parser.Parse(text, arena);
    } else {
      auto jv = cedar::ParseJsonText(text);
      req = jv.ok() ? cedar::RequestFromJson(*jv, arena, schema, true)
                    : cedar::Result<cedar::Request>(jv.take_error());
    }
    if (!req.ok()) {
      AppendInputError(out, req.error());
      any_error = true;
    } else {
      cedar::Authorize(in.policies, in.entities, *req, response);
      AppendDecision(out, response);
    }
    out += '\n';
    if (out.size() > (1 << 16) - 4096) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  if (lines.failed()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    PrintError("cannot read `" + requests_path + "`: read error");
    if (f != stdin) std::fclose(f);
    return kExitInputError;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (f != stdin) std::fclose(f);
  return any_error ? kExitInputError : kExitOk;
}

// ---- test-cedar: the official integration-test format ----

struct TestCounts {
  size_t passed = 0;
  size_t failed = 0;
};

std::string SetText(const std::set<std::string>& s) {
  std::string out = "[";
  for (const auto& x : s) {
    if (out.size() > 1) out += ", ";
    out += x;
  }
  return out + "]";
}

std::set<std::string> StringSet(const json::value* v) {
  std::set<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& x : v->get_array()) {
    if (x.is_string()) out.insert(std::string(x.get_string()));
  }
  return out;
}

// --validate: the validator's verdict must be the test's `shouldValidate`, inverted for the
// tests listed in `exceptions` (where the reference engine's verdict has changed since).
void CheckValidation(const std::string& file, const json::object& test, const cedar::Schema* schema,
                     const cedar::PolicySet& policies, const std::set<std::string>& exceptions,
                     TestCounts& counts) {
  const json::value* want = test.if_contains("shouldValidate");
  if (schema == nullptr || want == nullptr || !want->is_bool()) return;
  bool expected = want->get_bool() != (exceptions.count(fs::path(file).filename().string()) > 0);
  cedar::ValidationResult r = cedar::Validate(*schema, policies);
  if (r.ok() == expected) {
    ++counts.passed;
    return;
  }
  ++counts.failed;
  std::cout << file << ": validation: expected " << (expected ? "valid" : "invalid") << ", got "
            << (r.ok() ? "valid" : "invalid: " + r.errors[0].ToString()) << "\n";
}

void RunTestFile(const std::string& file, const fs::path& root, TestCounts& counts,
                 const std::set<std::string>* validate) {
  std::string error;
  auto fail_all = [&](size_t n, const std::string& why) {
    std::cout << file << ": " << why << "\n";
    counts.failed += n == 0 ? 1 : n;
  };
  auto text = ReadFile(file, &error);
  if (!text) return fail_all(0, error);
  auto parsed = cedar::ParseJsonText(*text);
  if (!parsed.ok() || !parsed->is_object()) return fail_all(0, "not a test object");
  const json::object& test = parsed->get_object();
  const json::value* requests = test.if_contains("requests");
  size_t nreq = requests && requests->is_array() ? requests->get_array().size() : 0;
  auto field = [&](const char* name) -> std::string {
    const json::value* v = test.if_contains(name);
    return v && v->is_string() ? (root / std::string(v->get_string())).string() : std::string();
  };
  Inputs in;
  std::string schema_path = field("schema");
  if (!schema_path.empty() && !LoadSchema(schema_path, in.schema, error))
    return fail_all(nreq, error);
  const cedar::Schema* schema = in.schema ? &*in.schema : nullptr;
  if (!LoadPolicies(field("policies"), in.policies, error)) return fail_all(nreq, error);
  if (validate) CheckValidation(file, test, schema, in.policies, *validate, counts);
  if (!LoadEntities(field("entities"), schema, in.entities, error)) return fail_all(nreq, error);
  if (requests == nullptr) return;
  size_t n = 0;
  for (const auto& rj : requests->get_array()) {
    ++n;
    const json::object* ro = rj.if_object();
    std::string desc = ro && ro->contains("description") && ro->at("description").is_string()
                           ? std::string(ro->at("description").get_string())
                           : "request " + std::to_string(n);
    std::string where = file + ": " + desc + ": ";
    if (ro == nullptr) {
      std::cout << where << "not an object\n";
      ++counts.failed;
      continue;
    }
    bool validate = !ro->contains("validateRequest") ||
                    (ro->at("validateRequest").is_bool() && ro->at("validateRequest").get_bool());
    auto req = cedar::RequestFromJson(rj, schema, validate);
    if (!req.ok()) {
      std::cout << where << "request rejected: " << req.error().ToString() << "\n";
      ++counts.failed;
      continue;
    }
    cedar::Response r = cedar::Authorize(in.policies, in.entities, req->request);
    std::string want_decision = ro->contains("decision") && ro->at("decision").is_string()
                                    ? std::string(ro->at("decision").get_string())
                                    : "";
    std::transform(want_decision.begin(), want_decision.end(), want_decision.begin(), ::tolower);
    std::string got_decision = r.decision == cedar::Decision::kAllow ? "allow" : "deny";
    std::set<std::string> want_reasons = StringSet(ro->if_contains("reason"));
    std::set<std::string> want_errors = StringSet(ro->if_contains("errors"));
    std::set<std::string> got_reasons, got_errors;
    for (const auto* p : r.reasons) got_reasons.insert(p->id());
    std::string messages;
    for (const auto& e : r.errors) {
      got_errors.insert(e.policy->id());
      messages += " [" + e.policy->id() + ": " + e.message + "]";
    }
    bool ok =
        want_decision == got_decision && want_reasons == got_reasons && want_errors == got_errors;
    if (ok) {
      ++counts.passed;
    } else {
      ++counts.failed;
      std::cout << where << "expected " << want_decision << " reasons " << SetText(want_reasons)
                << " errors " << SetText(want_errors) << "; got " << got_decision << " reasons "
                << SetText(got_reasons) << " errors " << SetText(got_errors) << messages << "\n";
    }
  }
}

int RunTestCedar(const std::string& root, const std::vector<std::string>& inputs,
                 const std::set<std::string>* validate) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      for (const auto& e : fs::directory_iterator(in)) {
        std::string p = e.path().string();
        if (p.size() > 5 && p.substr(p.size() - 5) == ".json" &&
            p.find(".entities.json") == std::string::npos) {
          files.push_back(p);
        }
      }
    } else {
      files.push_back(in);
    }
  }
  std::sort(files.begin(), files.end());
  TestCounts counts;
  for (const auto& f : files)
    RunTestFile(f, root.empty() ? fs::path(".") : fs::path(root), counts, validate);
  std::cout << counts.passed << " passed, " << counts.failed << " failed\n";
  return counts.failed == 0 ? kExitOk : kExitInputError;
}

}  // namespace

void AddCedarCommands(CLI::App& app) {
  auto* authorize = app.add_subcommand("authorize", "Decide one request (or a file of requests)");
  auto opts = std::make_shared<std::array<std::string, 5>>();
  authorize->add_option("--policies", (*opts)[0], "Cedar policy file")->required();
  authorize->add_option("--entities", (*opts)[1], "Entities JSON file");
  authorize->add_option("--schema", (*opts)[2], "Schema (.cedarschema or .json)");
  auto* one = authorize->add_option("--request", (*opts)[3], "Request JSON file");
  auto* many =
      authorize->add_option("--requests", (*opts)[4], "JSON Lines file of requests, `-` for stdin");
  one->excludes(many);
  authorize->callback([opts, one, many] {
    if (one->count() == 0 && many->count() == 0) {
      PrintError("one of --request or --requests is needed");
      Exit(kExitInputError);
    }
    int rc = RunAuthorize((*opts)[0], (*opts)[1], (*opts)[2], (*opts)[3], (*opts)[4]);
    if (rc != kExitOk) Exit(rc);
  });

  auto* test = app.add_subcommand("test-cedar", "Run tests in Cedar's integration-test format");
  auto root = std::make_shared<std::string>();
  auto files = std::make_shared<std::vector<std::string>>();
  test->add_option("--root", *root, "Directory the paths inside the tests are relative to");
  test->add_option("files", *files, "Test files or directories")->required();
  auto validate = std::make_shared<bool>(false);
  auto exceptions_path = std::make_shared<std::string>();
  test->add_flag("--validate", *validate, "Also compare the validator's verdict to shouldValidate");
  test->add_option("--validate-exceptions", *exceptions_path,
                   "File of test names (one a line) whose expected verdict is the opposite");
  test->callback([root, files, validate, exceptions_path] {
    std::set<std::string> exceptions;
    if (!exceptions_path->empty()) {
      std::string error;
      auto text = ReadFile(*exceptions_path, &error);
      if (!text) {
        PrintError(error);
        Exit(kExitInputError);
      }
      std::istringstream lines(*text);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != '#') exceptions.insert(line);
      }
    }
    int rc = RunTestCedar(*root, *files, *validate ? &exceptions : nullptr);
    if (rc != kExitOk) Exit(rc);
  });
}

}  // namespace writ::cli
