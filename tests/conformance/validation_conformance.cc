// Checks Writ's validator against the reference engine's answers (validation_oracle.js): for
// every case, the verdict, the set of error codes and the list of warning codes must be the
// same. One line per difference; exit status 1 when there is any.
//
// Usage: validation_conformance ORACLE.jsonl
#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "cedar/json.h"
#include "cedar/policy.h"
#include "cedar/schema.h"
#include "cedar/validator.h"

namespace json = boost::json;

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return "[" + out + "]";
}

std::vector<std::string> Strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& x : v->get_array()) out.emplace_back(x.as_string());
  return out;
}

const cedar::EntityUID* Uid(cedar::Arena& arena, const json::value* v) {
  if (v == nullptr || !v->is_object()) return nullptr;
  const json::object& o = v->get_object();
  return cedar::EntityUID::Make(arena, std::string(o.at("type").as_string()),
                                std::string(o.at("id").as_string()));
}

// Builds the case's policy set: static policies (positional ids), templates, links.
cedar::Result<cedar::PolicySet> Policies(const json::object& c, cedar::Arena& arena) {
  const json::value* text = c.if_contains("policies");
  auto set = cedar::PolicySet::Parse(text && text->is_string() ? text->as_string().c_str() : "");
  if (!set.ok()) return set;
  if (const json::value* ts = c.if_contains("templates")) {
    for (const auto& t : ts->as_array()) {
      auto ast = cedar::ParsePolicy(std::string(t.at("text").as_string()));
      if (!ast.ok()) return ast.take_error();
      cedar::Status st = set->AddTemplate(std::string(t.at("id").as_string()), std::move(*ast));
      if (!st.ok()) return st.error();
    }
  }
  if (const json::value* ls = c.if_contains("links")) {
    for (const auto& l : ls->as_array()) {
      const json::object& o = l.as_object();
      cedar::Status st =
          set->Link(std::string(o.at("template").as_string()), std::string(o.at("id").as_string()),
                    Uid(arena, o.if_contains("principal")), Uid(arena, o.if_contains("resource")));
      if (!st.ok()) return st.error();
    }
  }
  return set;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: validation_conformance ORACLE.jsonl\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 2;
  }
  size_t cases = 0, differ = 0, valid = 0, warned = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto parsed = cedar::ParseJsonText(line);
    if (!parsed.ok() || !parsed->is_object()) {
      std::cerr << "bad oracle line\n";
      return 2;
    }
    const json::object& c = parsed->get_object();
    std::string name(c.at("name").as_string());
    ++cases;
    auto schema = cedar::Schema::FromCedar(std::string(c.at("schema").as_string()));
    cedar::Arena arena;
    auto policies =
        schema.ok() ? Policies(c, arena) : cedar::Result<cedar::PolicySet>(schema.error());
    if (!policies.ok()) {
      std::cout << name << ": Writ cannot read the case: " << policies.error().ToString() << "\n";
      ++differ;
      continue;
    }
    cedar::ValidationResult r = cedar::Validate(*schema, *policies);
    std::set<std::string> error_codes;
    for (const auto& e : r.errors) error_codes.insert(cedar::ValidationCodeName(e.code));
    std::vector<std::string> errors(error_codes.begin(), error_codes.end());
    std::vector<std::string> warnings;
    for (const auto& w : r.warnings) warnings.emplace_back(cedar::ValidationCodeName(w.code));
    std::sort(warnings.begin(), warnings.end());
    bool want_valid = c.at("valid").as_bool();
    std::vector<std::string> want_errors = Strings(c.if_contains("errors"));
    std::vector<std::string> want_warnings = Strings(c.if_contains("warnings"));
    valid += want_valid;
    warned += !want_warnings.empty();
    if (r.ok() != want_valid || errors != want_errors || warnings != want_warnings) {
      ++differ;
      std::cout << name << ": cedar-wasm " << (want_valid ? "valid" : "invalid") << " errors "
                << Join(want_errors) << " warnings " << Join(want_warnings) << "; Writ "
                << (r.ok() ? "valid" : "invalid") << " errors " << Join(errors) << " warnings "
                << Join(warnings) << "\n";
      for (const auto& e : r.errors) std::cout << "    " << e.ToString() << "\n";
      for (const auto& w : r.warnings) std::cout << "    " << w.ToString() << "\n";
    }
  }
  std::cout << cases << " cases (" << valid << " valid, " << warned << " with warnings): " << differ
            << " differ from cedar-wasm\n";
  return differ == 0 && cases > 0 ? 0 : 1;
}
