// Compares Writ's schema parsing and resolution with the reference engine's, file by file.
//
// Input: the JSON lines written by schema_oracle.js (one per Cedar-format schema file, with
// the engine's verdict and its resolved schema). For every file this program
//  1. parses and resolves the same file with Schema::FromCedar, and checks that it accepts
//     exactly the files the engine accepts and resolves them to the same entity types
//     (parents, shape, tags, enumerated ids, annotations) and actions (parents, principal and
//     resource types, context, annotations);
//  2. checks the round trips through the writers: Cedar text -> JSON -> Cedar text, and JSON
//     -> Cedar text -> JSON, each resolving to the same schema as the original, and the Cedar
//     writer's output parsing back to the same fragment.
// Prints the agreement figures and the first disagreements; exits 1 when anything disagrees.
//
// Lines with a "text" member carry the schema itself (a case of a cases file), in the format
// given by "format"; the others name a Cedar-format file.
//
// With --emit DIR, the schemas are also written back by Writ's writers into DIR, for a second
// pass in which the engine reads Writ's output (see schema_conformance.sh).
//
// Usage: schema_conformance [--emit DIR] ORACLE.jsonl
#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cedar/schema.h"
#include "cedar/schema_fragment.h"

namespace json = boost::json;

namespace {

json::value AnnotationsJson(const cedar::Annotations& annotations) {
  json::object o;
  for (const auto& [k, v] : annotations) o[k] = v;
  return o;
}

json::value TypeJson(const cedar::SchemaType& t) {
  using Kind = cedar::SchemaType::Kind;
  json::object o;
  switch (t.kind) {
    case Kind::kBool:
      o["type"] = "Bool";
      break;
    case Kind::kLong:
      o["type"] = "Long";
      break;
    case Kind::kString:
      o["type"] = "String";
      break;
    case Kind::kEntity:
      o["type"] = "Entity";
      o["name"] = t.name;
      break;
    case Kind::kExtension:
      o["type"] = "Extension";
      o["name"] = t.name;
      break;
    case Kind::kSet:
      o["type"] = "Set";
      o["element"] = TypeJson(*t.element);
      break;
    case Kind::kRecord: {
      o["type"] = "Record";
      json::object attrs;
      for (const auto& [name, a] : t.attributes) {
        attrs[name] = json::object{{"type", TypeJson(*a.type)},
                                   {"required", a.required},
                                   {"annotations", AnnotationsJson(a.annotations)}};
      }
      o["attributes"] = std::move(attrs);
      break;
    }
  }
  return o;
}

json::value StringList(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Writ's resolved schema in the oracle's form.
json::value SchemaJson(const cedar::Schema& schema) {
  json::array entities;
  for (const auto& [name, e] : schema.entity_types()) {
    json::value en = json::value(nullptr);
    if (e.enum_ids) en = StringList(*e.enum_ids);
    entities.push_back(json::object{{"name", name},
                                    {"memberOf", StringList(e.member_of)},
                                    {"shape", TypeJson(*e.shape)},
                                    {"tags", e.tags ? TypeJson(*e.tags) : json::value(nullptr)},
                                    {"enum", en},
                                    {"annotations", AnnotationsJson(e.annotations)}});
  }
  json::array actions;
  for (const auto& [uid, a] : schema.actions()) {
    json::array parents;
    for (const auto& p : a.member_of)
      parents.push_back(json::object{{"type", p.type}, {"id", p.id}});
    json::value applies = nullptr;
    if (a.has_applies_to && !a.principal_types.empty() && !a.resource_types.empty()) {
      applies = json::object{{"principalTypes", StringList(a.principal_types)},
                             {"resourceTypes", StringList(a.resource_types)},
                             {"context", TypeJson(*a.context)}};
    }
    actions.push_back(json::object{{"type", uid.type},
                                   {"id", uid.id},
                                   {"memberOf", std::move(parents)},
                                   {"appliesTo", std::move(applies)},
                                   {"annotations", AnnotationsJson(a.annotations)}});
  }
  return json::object{{"entityTypes", std::move(entities)}, {"actions", std::move(actions)}};
}

// Sorts the lists whose order carries no meaning and drops repeats in them, so both sides
// compare as sets.
void SortUnique(json::array& a) {
  std::vector<std::pair<std::string, json::value>> keyed;
  for (auto& v : a) keyed.emplace_back(json::serialize(v), std::move(v));
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  keyed.erase(std::unique(keyed.begin(), keyed.end(),
                          [](const auto& x, const auto& y) { return x.first == y.first; }),
              keyed.end());
  a.clear();
  for (auto& [k, v] : keyed) a.push_back(std::move(v));
}

void Canonicalize(json::value& schema) {
  json::object& o = schema.as_object();
  for (auto& e : o["entityTypes"].as_array()) {
    json::object& eo = e.as_object();
    SortUnique(eo["memberOf"].as_array());
    if (eo["enum"].is_array()) SortUnique(eo["enum"].as_array());
  }
  for (auto& a : o["actions"].as_array()) {
    json::object& ao = a.as_object();
    SortUnique(ao["memberOf"].as_array());
    if (ao["appliesTo"].is_object()) {
      SortUnique(ao["appliesTo"].as_object()["principalTypes"].as_array());
      SortUnique(ao["appliesTo"].as_object()["resourceTypes"].as_array());
    }
  }
  SortUnique(o["entityTypes"].as_array());
  SortUnique(o["actions"].as_array());
}

// The first entity type or action on which two canonical schemas differ, for the report.
std::string FirstDifference(const json::value& mine, const json::value& theirs) {
  for (const char* part : {"entityTypes", "actions"}) {
    const json::array& a = mine.at(part).as_array();
    const json::array& b = theirs.at(part).as_array();
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      if (i >= a.size() || i >= b.size() || a[i] != b[i]) {
        std::string out = std::string(part) + ":\n    writ:   ";
        out += i < a.size() ? json::serialize(a[i]) : "(none)";
        out += "\n    engine: ";
        out += i < b.size() ? json::serialize(b[i]) : "(none)";
        return out;
      }
    }
  }
  return "(no difference found)";
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  *ok = static_cast<bool>(in);
  return ss.str();
}

// The round trips of one schema, given as text in `format`; returns a description of the first
// failure, or "".
std::string RoundTrips(const std::string& text, bool json_format, const cedar::Schema& resolved) {
  auto fragment =
      json_format ? cedar::SchemaFragment::FromJson(text) : cedar::SchemaFragment::FromCedar(text);
  if (!fragment.ok()) return "reparse: " + fragment.error().ToString();

  // Cedar text: the writer's output parses back to the same fragment.
  if (!json_format) {
    auto written = fragment->ToCedar();
    if (!written.ok()) return "ToCedar: " + written.error().ToString();
    auto reparsed = cedar::SchemaFragment::FromCedar(*written);
    if (!reparsed.ok()) return "ToCedar output does not parse: " + reparsed.error().ToString();
    if (!(*reparsed == *fragment)) return "ToCedar output parses to a different fragment";
  }

  // Cedar text -> JSON -> Cedar text (for a JSON schema: JSON -> JSON -> Cedar text).
  auto from_json = cedar::SchemaFragment::FromJson(fragment->ToJsonText());
  if (!from_json.ok()) return "ToJsonText output does not parse: " + from_json.error().ToString();
  if (!(*from_json == *fragment)) return "ToJsonText output parses to a different fragment";
  auto json_schema = cedar::Schema::FromFragment(*from_json);
  if (!json_schema.ok()) return "JSON form does not resolve: " + json_schema.error().ToString();
  if (!(*json_schema == resolved)) return "JSON form resolves to a different schema";
  auto text_again = from_json->ToCedar();
  if (!text_again.ok()) return "JSON -> ToCedar: " + text_again.error().ToString();
  auto text_schema = cedar::Schema::FromCedar(*text_again);
  if (!text_schema.ok()) {
    return "text -> JSON -> text does not resolve: " + text_schema.error().ToString();
  }
  if (!(*text_schema == resolved)) return "text -> JSON -> text resolves to a different schema";

  // JSON -> Cedar text -> JSON.
  auto fragment_again = cedar::SchemaFragment::FromCedar(*text_again);
  if (!fragment_again.ok()) return "reparse of JSON -> text: " + fragment_again.error().ToString();
  auto json_again = cedar::SchemaFragment::FromJson(fragment_again->ToJsonText());
  if (!json_again.ok()) {
    return "JSON -> text -> JSON does not parse: " + json_again.error().ToString();
  }
  auto json_again_schema = cedar::Schema::FromFragment(*json_again);
  if (!json_again_schema.ok()) {
    return "JSON -> text -> JSON does not resolve: " + json_again_schema.error().ToString();
  }
  if (!(*json_again_schema == resolved)) {
    return "JSON -> text -> JSON resolves to a different schema";
  }
  // From Cedar text, the JSON written after a trip through text is the same JSON.
  if (!json_format && json_again->ToJson() != from_json->ToJson()) {
    return "JSON -> text -> JSON changes the JSON";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  std::string emit_dir;
  if (argc == 4 && std::string(argv[1]) == "--emit") {
    emit_dir = argv[2];
    argv += 2;
    argc -= 2;
  }
  if (argc != 2) {
    std::cerr << "usage: schema_conformance [--emit DIR] ORACLE.jsonl\n";
    return 2;
  }
  std::ifstream oracle(argv[1]);
  if (!oracle) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 2;
  }
  // With --emit, every schema Writ accepts is written back by Writ's writers, so that the
  // engine can be asked about Writ's output too: DIR/<n>.cedarschema holds the Cedar text
  // written from the JSON form, DIR/written.json an array of the JSON forms.
  json::array written_json;
  size_t emitted = 0;
  auto emit = [&](const std::string& text, bool json_format) {
    if (emit_dir.empty()) return;
    auto fragment = json_format ? cedar::SchemaFragment::FromJson(text)
                                : cedar::SchemaFragment::FromCedar(text);
    if (!fragment.ok()) return;
    written_json.push_back(fragment->ToJson());
    auto via_json = cedar::SchemaFragment::FromJson(fragment->ToJsonText());
    if (!via_json.ok()) return;
    auto cedar_text = via_json->ToCedar();
    if (!cedar_text.ok()) return;
    char name[32];
    std::snprintf(name, sizeof(name), "/%06zu.cedarschema", emitted++);
    std::ofstream(emit_dir + name, std::ios::binary) << *cedar_text;
  };
  size_t files = 0, engine_accepts = 0, engine_rejects = 0, unreadable = 0;
  size_t agree = 0, verdict_mismatch = 0, schema_mismatch = 0, verdict_only = 0;
  size_t round_trips = 0, round_trip_failures = 0;
  size_t reported = 0;
  auto report = [&](const std::string& file, const std::string& what) {
    if (reported++ < 20) std::cout << "DISAGREE " << file << "\n  " << what << "\n";
  };
  std::string line;
  while (std::getline(oracle, line)) {
    if (line.empty()) continue;
    ++files;
    json::value entry = json::parse(line);
    const json::object& e = entry.as_object();
    std::string file(e.at("file").as_string());
    if (e.at("ok").is_null()) {
      ++unreadable;
      report(file, "oracle could not read the engine's answer: " +
                       std::string(e.at("error").as_string()));
      continue;
    }
    bool engine_ok = e.at("ok").as_bool();
    (engine_ok ? engine_accepts : engine_rejects)++;
    bool json_format = false;
    std::string text;
    if (const json::value* t = e.if_contains("text")) {
      text = std::string(t->as_string());
      json_format = e.at("format").as_string() == "json";
    } else {
      bool read_ok = false;
      text = ReadFile(file, &read_ok);
      if (!read_ok) {
        ++verdict_mismatch;
        report(file, "cannot read the file");
        continue;
      }
    }
    auto mine = json_format ? cedar::Schema::FromJson(text) : cedar::Schema::FromCedar(text);
    if (mine.ok() != engine_ok) {
      ++verdict_mismatch;
      report(file, engine_ok ? "Writ rejects: " + mine.error().ToString()
                             : "Writ accepts; the engine rejects: " +
                                   std::string(e.at("error").as_string()));
      continue;
    }
    if (!engine_ok) {
      ++agree;
      continue;
    }
    if (e.at("schema").is_null()) {
      // The engine could not turn this JSON schema into text, so its resolution is unknown.
      ++agree;
      ++verdict_only;
      continue;
    }
    json::value writ = SchemaJson(*mine);
    json::value engine = e.at("schema");
    Canonicalize(writ);
    Canonicalize(engine);
    if (writ != engine) {
      ++schema_mismatch;
      report(file, "resolved schemas differ in " + FirstDifference(writ, engine));
      continue;
    }
    ++agree;
    ++round_trips;
    emit(text, json_format);
    std::string failure = RoundTrips(text, json_format, *mine);
    if (!failure.empty()) {
      ++round_trip_failures;
      report(file, "round trip: " + failure);
    }
  }
  std::cout << "schema files:              " << files << "\n"
            << "  engine accepts:          " << engine_accepts << "\n"
            << "  engine rejects:          " << engine_rejects << "\n"
            << "  oracle unreadable:       " << unreadable << "\n"
            << "agree with the engine:     " << agree << "\n"
            << "  (verdict only:           " << verdict_only << ")\n"
            << "  verdict differs:         " << verdict_mismatch << "\n"
            << "  resolved schema differs: " << schema_mismatch << "\n"
            << "round trips checked:       " << round_trips << "\n"
            << "  round trip failures:     " << round_trip_failures << "\n";
  if (!emit_dir.empty()) {
    std::ofstream(emit_dir + "/written.json", std::ios::binary) << json::serialize(written_json);
    std::cout << "written back for the engine: " << emitted << " Cedar texts, "
              << written_json.size() << " JSON schemas in " << emit_dir << "\n";
  }
  bool all_good = files > 0 && agree == files && round_trip_failures == 0;
  return all_good ? 0 : 1;
}
