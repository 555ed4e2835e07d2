#include "authz/policy_tests.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "authz/bundle.h"
#include "cedar/authorizer.h"
#include "cedar/json.h"

namespace writ::authz {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

Result<std::string> Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return NotFound("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

// YAML to JSON: plain scalars that read as integers or booleans become them; quoted scalars
// stay strings.
Result<json::value> YamlToJson(const YAML::Node& n, int depth = 0) {
  if (depth > 128) return InvalidArgument("YAML nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json::value(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "?") {
        if (s == "true" || s == "false") return json::value(s == "true");
        if (s == "null" || s == "~") return json::value(nullptr);
        if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
          try {
            size_t used = 0;
            long long v = std::stoll(s, &used);
            if (used == s.size()) return json::value(static_cast<int64_t>(v));
          } catch (...) {
          }
        }
      }
      return json::value(json::string(s));
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& x : n) {
        WRIT_ASSIGN_OR_RETURN(json::value v, YamlToJson(x, depth + 1));
        a.push_back(std::move(v));
      }
      return json::value(std::move(a));
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) {
        WRIT_ASSIGN_OR_RETURN(json::value v, YamlToJson(kv.second, depth + 1));
        o[kv.first.as<std::string>()] = std::move(v);
      }
      return json::value(std::move(o));
    }
  }
  return InvalidArgument("unsupported YAML node");
}

Result<json::value> LoadDocument(const fs::path& p) {
  WRIT_ASSIGN_OR_RETURN(std::string text, Slurp(p));
  if (p.extension() == ".json") {
    auto v = cedar::ParseJsonText(text);
    if (!v.ok()) return InvalidArgument(p.string() + ": " + v.error().message);
    return std::move(v).value();
  }
  try {
    return YamlToJson(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(p.string() + ": " + e.what());
  }
}

// Entities given by a test: an inline array, or a file name relative to the test file.
Result<json::array> TestEntities(const json::value* v, const fs::path& test_file) {
  if (v == nullptr) return json::array{};
  if (v->is_array()) return v->get_array();
  if (v->is_string()) {
    WRIT_ASSIGN_OR_RETURN(json::value doc,
                          LoadDocument(test_file.parent_path() / std::string(v->get_string())));
    if (!doc.is_array()) return InvalidArgument("entities file must hold an array");
    return doc.get_array();
  }
  return InvalidArgument("`entities` must be an array or a file name");
}

// Layers test entities over the bundle's: a test entity keeps the bundle's attributes and
// parents for the same uid.
Result<cedar::Entities> Layer(const Bundle& bundle, const json::array& extra) {
  json::array merged;
  for (const auto& e : extra) {
    if (!e.is_object() || !e.get_object().contains("uid")) {
      return InvalidArgument("each test entity needs a `uid`");
    }
    json::object o = e.get_object();
    cedar::Arena a;
    auto uid = cedar::EntityUIDFromJson(o.at("uid"), a);
    if (!uid.ok()) return InvalidArgument(uid.error().message);
    if (const cedar::Entity* base = bundle.entities.Find(**uid)) {
      json::object attrs = cedar::ValueToJson(cedar::Value::Record(base->attrs)).as_object();
      if (const json::value* own = o.if_contains("attrs"); own && own->is_object()) {
        for (const auto& kv : own->get_object()) attrs[kv.key()] = kv.value();
      }
      o["attrs"] = std::move(attrs);
      json::array parents;
      if (const json::value* own = o.if_contains("parents"); own && own->is_array())
        parents = own->get_array();
      for (const cedar::EntityUID* anc : base->ancestors)
        parents.push_back(cedar::EntityUIDToJson(*anc));
      o["parents"] = std::move(parents);
    }
    merged.push_back(std::move(o));
  }
  // The layer is parsed without the schema's action entities (the base has them) but checked
  // against the schema's entity types.
  cedar::EntitiesBuilder b;
  b.SetBase(&bundle.entities);
  auto parsed = cedar::EntitiesFromJson(merged, nullptr);
  if (!parsed.ok()) return InvalidArgument(parsed.error().message);
  for (const cedar::Entity& e : parsed->all()) {
    cedar::Arena& ba = b.arena();
    std::vector<const cedar::EntityUID*> parents;
    for (const cedar::EntityUID* p : e.ancestors)
      parents.push_back(cedar::EntityUID::Make(ba, p->type, p->id));
    cedar::Value attrs = cedar::CopyValue(ba, cedar::Value::Record(e.attrs));
    cedar::Value tags = cedar::CopyValue(ba, cedar::Value::Record(e.tags));
    cedar::Status st = b.Add(cedar::EntityUID::Make(ba, e.uid->type, e.uid->id), &attrs.AsRecord(),
                             &tags.AsRecord(), std::move(parents));
    if (!st.ok()) return InvalidArgument(st.error().message);
  }
  auto built = std::move(b).Build();
  if (!built.ok()) return InvalidArgument(built.error().message);
  return std::move(built).value();
}

std::string Join(const std::set<std::string>& s) {
  std::string out = "[";
  for (const auto& x : s) out += (out.size() > 1 ? ", " : "") + x;
  return out + "]";
}

}  // namespace

Result<PolicyTestReport> RunPolicyTests(const fs::path& dir) {
  WRIT_ASSIGN_OR_RETURN(std::shared_ptr<const Bundle> bundle, LoadBundle(dir));
  const cedar::Schema* schema = bundle->schema ? &*bundle->schema : nullptr;
  fs::path tests_dir = fs::is_directory(dir / "tests") ? dir / "tests" : dir;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(tests_dir)) {
    std::string ext = e.path().extension().string();
    std::string name = e.path().filename().string();
    if (!e.is_regular_file()) continue;
    if (ext == ".yaml" || ext == ".yml" || name.ends_with(".test.json")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  PolicyTestReport report;
  for (const auto& file : files) {
    ++report.files;
    WRIT_ASSIGN_OR_RETURN(json::value doc, LoadDocument(file));
    const json::object* o = doc.if_object();
    const json::value* cases = o ? o->if_contains("cases") : nullptr;
    if (cases == nullptr || !cases->is_array()) {
      return InvalidArgument(file.string() + ": a test file needs a `cases` list");
    }
    WRIT_ASSIGN_OR_RETURN(json::array file_entities,
                          TestEntities(o->if_contains("entities"), file));
    size_t n = 0;
    for (const auto& c : cases->get_array()) {
      ++n;
      const json::object* co = c.if_object();
      std::string name = co && co->contains("name") && co->at("name").is_string()
                             ? std::string(co->at("name").get_string())
                             : "case " + std::to_string(n);
      auto fail = [&](std::string msg) {
        report.failures.push_back({file.filename().string(), name, std::move(msg)});
      };
      if (co == nullptr || !co->contains("request") || !co->contains("expect")) {
        fail("a case needs `request` and `expect`");
        continue;
      }
      std::string expect =
          co->at("expect").is_string() ? std::string(co->at("expect").get_string()) : "";
      if (expect != "allow" && expect != "deny") {
        fail("`expect` must be allow or deny");
        continue;
      }
      auto case_entities = TestEntities(co->if_contains("entities"), file);
      if (!case_entities.ok()) {
        fail(case_entities.status().message());
        continue;
      }
      json::array all = file_entities;
      for (auto& e : *case_entities) all.push_back(e);
      auto entities = Layer(*bundle, all);
      if (!entities.ok()) {
        fail("entities: " + entities.status().message());
        continue;
      }
      auto request = cedar::RequestFromJson(co->at("request"), schema, schema != nullptr);
      if (!request.ok()) {
        fail("request: " + request.error().message);
        continue;
      }
      cedar::Response r = cedar::Authorize(bundle->policies, *entities, request->request);
      std::string got = r.decision == cedar::Decision::kAllow ? "allow" : "deny";
      std::set<std::string> reasons;
      for (const auto* p : r.reasons) reasons.insert(p->id());
      std::string errors;
      for (const auto& e : r.errors)
        errors += "; policy " + e.policy->id() + " errored: " + e.message;
      if (got != expect) {
        fail("expected " + expect + ", got " + got + " (decided by " + Join(reasons) + errors +
             ")");
        continue;
      }
      if (const json::value* want = co->if_contains("reasons")) {
        std::set<std::string> want_set;
        if (want->is_array()) {
          for (const auto& x : want->get_array()) {
            if (x.is_string()) want_set.insert(std::string(x.get_string()));
          }
        }
        if (want_set != reasons) {
          fail("expected " + expect + " by " + Join(want_set) + ", decided by " + Join(reasons) +
               errors);
          continue;
        }
      }
      ++report.passed;
    }
  }
  return report;
}

}  // namespace writ::authz
