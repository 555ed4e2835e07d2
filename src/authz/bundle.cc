#include "authz/bundle.h"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "cedar/json.h"
#include "cedar/validator.h"

namespace writ::authz {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string Bundle::Version() const {
  return DigestHex(policy_hash).substr(0, 12);
}

namespace {

Result<std::string> ReadWholeFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return NotFound("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

Status CedarError(const std::string& file, const cedar::Error& e) {
  return InvalidArgument(file + ":" + e.ToString());
}

struct Sources {
  std::map<std::string, std::string> cedar_files;  // name -> text
  std::string schema_name;                         // file name, empty when none
  std::string schema_text;
  std::string entities_text;  // empty when none
};

// Assembles a bundle from its sources (shared by directory loading and replay).
Result<std::shared_ptr<const Bundle>> Assemble(Sources src, const BundleOptions& options,
                                               std::string directory) {
  auto bundle = std::make_shared<Bundle>();
  bundle->directory = std::move(directory);
  if (!src.schema_name.empty()) {
    bool is_json = src.schema_name.ends_with(".json");
    auto schema = is_json ? cedar::Schema::FromJson(src.schema_text)
                          : cedar::Schema::FromCedar(src.schema_text);
    if (!schema.ok()) return CedarError(src.schema_name, schema.error());
    bundle->schema = std::move(schema).value();
  }
  const cedar::Schema* schema = bundle->schema ? &*bundle->schema : nullptr;
  for (const auto& [name, text] : src.cedar_files) {
    auto asts = cedar::ParsePolicies(text);
    if (!asts.ok()) return CedarError(name, asts.error());
    std::string stem = fs::path(name).stem().string();
    for (size_t i = 0; i < asts->size(); ++i) {
      auto& ast = (*asts)[i];
      std::string id = stem + "." + std::to_string(i);
      if (const cedar::Annotation* a = ast->FindAnnotation("id"); a && a->has_value) id = a->value;
      std::string written(text.substr(ast->span.begin, ast->span.end - ast->span.begin));
      cedar::Status st = ast->IsTemplate() ? bundle->policies.AddTemplate(id, ast)
                                           : bundle->policies.AddPolicy(id, ast);
      if (!st.ok()) return InvalidArgument(name + ": " + st.error().message);
      bundle->policy_text[id] = std::move(written);
      bundle->policy_file[id] = name;
    }
  }
  for (const auto& p : bundle->policies.policies()) {
    WRIT_ASSIGN_OR_RETURN(PolicyMeta meta, ReadPolicyMeta(*p));
    bundle->has_approval_policies |= !meta.approval_group.empty();
    bundle->meta.emplace(p->id(), std::move(meta));
  }
  if (options.validate && schema != nullptr) {
    cedar::ValidationResult v = cedar::Validate(*schema, bundle->policies);
    for (const auto& w : v.warnings) bundle->warnings.push_back(w.ToString());
    if (!v.ok()) {
      std::string msg = "policies do not validate against the schema:";
      for (const auto& e : v.errors)
        msg += "\n  " + bundle->policy_file[e.policy_id] + ": " + e.ToString();
      return InvalidArgument(msg);
    }
  }
  json::value entities_json = json::array{};
  if (!src.entities_text.empty()) {
    auto parsed = cedar::ParseJsonText(src.entities_text);
    if (!parsed.ok()) return InvalidArgument("entities.json: " + parsed.error().message);
    entities_json = std::move(parsed).value();
  }
  auto entities = cedar::EntitiesFromJson(entities_json, schema);
  if (!entities.ok()) return InvalidArgument("entities.json: " + entities.error().message);
  bundle->entities = std::move(entities).value();

  json::object files;
  for (const auto& [name, text] : src.cedar_files) files[name] = text;
  json::object blob{{"files", std::move(files)}};
  if (!src.schema_name.empty()) {
    blob["schema"] = json::object{{"name", src.schema_name}, {"text", src.schema_text}};
  }
  WRIT_ASSIGN_OR_RETURN(bundle->policy_blob, CanonicalJson(blob));
  // Entity data is kept as given, canonicalised; integers beyond 2^53 are not representable in
  // RFC 8785 numbers, so such data is kept byte for byte instead.
  auto canonical_entities = CanonicalJson(entities_json);
  bundle->entities_blob = canonical_entities.ok() ? std::move(canonical_entities).value()
                                                  : json::serialize(entities_json);
  bundle->policy_hash = Sha256(bundle->policy_blob);
  bundle->entities_hash = Sha256(bundle->entities_blob);
  bundle->loaded_us = SystemClock().NowMicros();
  return std::shared_ptr<const Bundle>(std::move(bundle));
}

}  // namespace

Result<std::shared_ptr<const Bundle>> LoadBundle(const fs::path& dir,
                                                 const BundleOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("no policy bundle directory at " + dir.string());
  Sources src;
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) entries.push_back(e.path());
  }
  if (ec) return IoError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    std::string name = p.filename().string();
    if (p.extension() == ".cedar") {
      WRIT_ASSIGN_OR_RETURN(src.cedar_files[name], ReadWholeFile(p));
    } else if (p.extension() == ".cedarschema" || name == "schema.json") {
      if (!src.schema_name.empty()) {
        return InvalidArgument("two schemas in the bundle: " + src.schema_name + " and " + name);
      }
      src.schema_name = name;
      WRIT_ASSIGN_OR_RETURN(src.schema_text, ReadWholeFile(p));
    } else if (name == "entities.json") {
      WRIT_ASSIGN_OR_RETURN(src.entities_text, ReadWholeFile(p));
    }
  }
  if (src.cedar_files.empty()) return InvalidArgument("no .cedar policy files in " + dir.string());
  return Assemble(std::move(src), options, dir.string());
}

Result<std::shared_ptr<const Bundle>> BundleFromBlobs(std::string_view policy_blob,
                                                      std::string_view entities_blob) {
  WRIT_ASSIGN_OR_RETURN(json::value blob, ParseJson(policy_blob));
  Sources src;
  const json::object* o = blob.if_object();
  const json::value* files = o ? o->if_contains("files") : nullptr;
  if (files == nullptr || !files->is_object()) return InvalidArgument("not a policy bundle blob");
  for (const auto& kv : files->get_object()) {
    if (!kv.value().is_string()) return InvalidArgument("not a policy bundle blob");
    src.cedar_files[std::string(kv.key())] = std::string(kv.value().get_string());
  }
  if (const json::value* schema = o->if_contains("schema")) {
    if (!schema->is_object() || !schema->get_object().contains("name") ||
        !schema->get_object().contains("text")) {
      return InvalidArgument("not a policy bundle blob");
    }
    src.schema_name = std::string(schema->at("name").as_string());
    src.schema_text = std::string(schema->at("text").as_string());
  }
  src.entities_text = std::string(entities_blob);
  return Assemble(std::move(src), {}, "");
}

}  // namespace writ::authz
