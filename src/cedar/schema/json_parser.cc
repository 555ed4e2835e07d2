// The JSON schema format: reads a Boost.JSON document into a SchemaFragment, rejecting what the
// reference engine rejects (unknown fields, wrong JSON types, invalid names).
#include <boost/json.hpp>
#include <initializer_list>
#include <unordered_set>

#include "cedar/schema/json_text.h"
#include "cedar/schema/names.h"
#include "cedar/schema_fragment.h"
#include "cedar/syntax/lexer.h"

namespace cedar {

namespace json = boost::json;

namespace {

using schema_internal::CheckDeclarations;
using schema_internal::IsExtensionTypeName;
using schema_internal::IsPlainIdentifier;
using schema_internal::IsValidPath;

// Types nest by recursion; deeper nesting than this is refused rather than allowed to exhaust
// the stack (the same limit as the Cedar format's). A record level takes two JSON levels.
constexpr int kMaxTypeDepth = 512;
constexpr int kMaxJsonDepth = 2 * kMaxTypeDepth + 8;

// Thrown inside this file only; FromJson turns it into an Error.
struct JsonFailure {
  Error error;
};

// Object keys are json::string_view; values are json::string, which converts to it.
std::string_view View(json::string_view s) {
  return {s.data(), s.size()};
}

const char* KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string Backticked(std::string_view s) {
  return "`" + std::string(s) + "`";
}

// Where a type appears: what fields besides the type's own it may carry.
enum class TypeSite { kPlain, kCommonDecl, kAttribute };

class JsonSchemaReader {
 public:
  SchemaFragment ReadSchema(const json::value& v) {
    const json::object& top = Object(v, "the schema");
    SchemaFragment out;
    for (const auto& [key, value] : top) {
      PathScope scope(this, "[" + schema_internal::QuoteString(View(key)) + "]");
      out.namespaces.push_back(ReadNamespace(View(key), value));
    }
    return out;
  }

 private:
  // ---- error context: a path such as ["NS"].entityTypes["User"].shape ----
  class PathScope {
   public:
    PathScope(JsonSchemaReader* r, std::string piece) : r_(r) {
      r_->path_.push_back(std::move(piece));
    }
    ~PathScope() { r_->path_.pop_back(); }
    PathScope(const PathScope&) = delete;
    PathScope& operator=(const PathScope&) = delete;

   private:
    JsonSchemaReader* r_;
  };

  [[noreturn]] void Fail(std::string message, ErrorCode code = ErrorCode::kJson) const {
    std::string where;
    for (const std::string& piece : path_) where += piece;
    if (where.empty()) where = "the top level";
    throw JsonFailure{MakeError(code, "invalid JSON schema at " + where + ": " + message)};
  }

  const json::object& Object(const json::value& v, std::string_view what) const {
    if (!v.is_object())
      Fail("expected " + std::string(what) + " to be an object, found " + KindName(v));
    return v.get_object();
  }
  const json::array& Array(const json::value& v, std::string_view what) const {
    if (!v.is_array())
      Fail("expected " + std::string(what) + " to be an array, found " + KindName(v));
    return v.get_array();
  }
  std::string String(const json::value& v, std::string_view what) const {
    if (!v.is_string())
      Fail("expected " + std::string(what) + " to be a string, found " + KindName(v));
    return std::string(View(v.get_string()));
  }
  bool Bool(const json::value& v, std::string_view what) const {
    if (!v.is_bool())
      Fail("expected " + std::string(what) + " to be a boolean, found " + KindName(v));
    return v.get_bool();
  }

  void CheckFields(const json::object& o, std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : o) {
      bool known = false;
      for (std::string_view a : allowed) known = known || a == View(key);
      if (known) continue;
      std::string expected;
      size_t i = 0;
      for (std::string_view a : allowed) {
        if (i > 0) expected += i + 1 == allowed.size() ? (i == 1 ? " or " : ", or ") : ", ";
        expected += Backticked(a);
        ++i;
      }
      Fail("unknown field " + Backticked(View(key)) +
           (allowed.size() == 0 ? "; this type takes no other fields" : "; expected " + expected));
    }
  }
  void Require(const json::object& o, std::string_view field) const {
    if (!o.contains(field)) Fail("missing field " + Backticked(field));
  }

  // A name that refers to a declaration: `A` or `A::B`, without whitespace.
  std::string Name(const json::value& v, std::string_view what) const {
    std::string s = String(v, what);
    if (!IsValidPath(s)) Fail(Backticked(s) + " is not a valid " + std::string(what));
    return s;
  }

  Annotations ReadAnnotations(const json::value& v) {
    PathScope scope(this, ".annotations");
    Annotations out;
    for (const auto& [key, value] : Object(v, "annotations")) {
      std::string_view k = View(key);
      // Annotation names may be any identifier, reserved words included.
      if (!IsIdentifier(k)) Fail(Backticked(k) + " is not a valid annotation name");
      if (value.is_null()) {
        out.emplace(std::string(k), std::string());
      } else {
        PathScope inner(this, "[" + schema_internal::QuoteString(k) + "]");
        out.emplace(std::string(k), String(value, "an annotation value"));
      }
    }
    return out;
  }

  SchemaNamespace ReadNamespace(std::string_view name, const json::value& v) {
    SchemaNamespace ns;
    ns.name = std::string(name);
    if (!name.empty() && !IsValidPath(name)) {
      Fail(Backticked(name) +
           " is not a valid namespace name (identifiers separated by `::`, no whitespace)");
    }
    const json::object& o = Object(v, "a namespace");
    CheckFields(o, {"commonTypes", "entityTypes", "actions", "annotations"});
    Require(o, "entityTypes");
    Require(o, "actions");
    if (const json::value* a = o.if_contains("annotations")) {
      ns.annotations = ReadAnnotations(*a);
      if (name.empty() && !ns.annotations.empty()) {
        Fail("the empty namespace cannot be annotated; annotate a named namespace instead");
      }
    }
    if (const json::value* c = o.if_contains("commonTypes")) {
      PathScope scope(this, ".commonTypes");
      for (const auto& [key, value] : Object(*c, "commonTypes")) {
        PathScope inner(this, "[" + schema_internal::QuoteString(View(key)) + "]");
        if (!IsPlainIdentifier(View(key))) {
          Fail(Backticked(View(key)) + " is not a valid common type name");
        }
        SchemaCommonTypeDecl decl;
        decl.name = std::string(View(key));
        decl.type = ReadType(value, TypeSite::kCommonDecl, &decl.annotations, nullptr);
        ns.common_types.push_back(std::move(decl));
      }
    }
    {
      PathScope scope(this, ".entityTypes");
      for (const auto& [key, value] : Object(o.at("entityTypes"), "entityTypes")) {
        PathScope inner(this, "[" + schema_internal::QuoteString(View(key)) + "]");
        ns.entity_types.push_back(ReadEntity(View(key), value));
      }
    }
    {
      PathScope scope(this, ".actions");
      for (const auto& [key, value] : Object(o.at("actions"), "actions")) {
        PathScope inner(this, "[" + schema_internal::QuoteString(View(key)) + "]");
        ns.actions.push_back(ReadAction(View(key), value));
      }
    }
    return ns;
  }

  SchemaEntityDecl ReadEntity(std::string_view name, const json::value& v) {
    if (!IsPlainIdentifier(name)) {
      Fail(Backticked(name) + " is not a valid entity type name (an unqualified identifier)");
    }
    SchemaEntityDecl decl;
    decl.name = std::string(name);
    const json::object& o = Object(v, "an entity type");
    CheckFields(o, {"memberOfTypes", "shape", "tags", "enum", "annotations"});
    if (const json::value* e = o.if_contains("enum")) {
      for (std::string_view other : {"memberOfTypes", "shape", "tags"}) {
        if (o.contains(other)) {
          Fail("an enumerated entity type cannot have " + Backticked(other));
        }
      }
      PathScope scope(this, ".enum");
      const json::array& ids = Array(*e, "`enum`");
      if (ids.empty()) Fail("an enumerated entity type must list at least one id");
      decl.enum_ids.emplace();
      for (const json::value& id : ids) decl.enum_ids->push_back(String(id, "an entity id"));
    }
    if (const json::value* m = o.if_contains("memberOfTypes")) {
      PathScope scope(this, ".memberOfTypes");
      for (const json::value& t : Array(*m, "`memberOfTypes`")) {
        decl.member_of_types.push_back({Name(t, "entity type name"), {}});
      }
    }
    if (const json::value* s = o.if_contains("shape")) {
      PathScope scope(this, ".shape");
      decl.shape = ReadType(*s, TypeSite::kPlain, nullptr, nullptr);
    }
    if (const json::value* t = o.if_contains("tags")) {
      PathScope scope(this, ".tags");
      decl.tags = ReadType(*t, TypeSite::kPlain, nullptr, nullptr);
    }
    if (const json::value* a = o.if_contains("annotations")) decl.annotations = ReadAnnotations(*a);
    return decl;
  }

  SchemaActionDecl ReadAction(std::string_view name, const json::value& v) {
    SchemaActionDecl decl;
    decl.name = std::string(name);
    const json::object& o = Object(v, "an action");
    CheckFields(o, {"attributes", "appliesTo", "memberOf", "annotations"});
    if (const json::value* attrs = o.if_contains("attributes"); attrs && !attrs->is_null()) {
      PathScope scope(this, ".attributes");
      Fail("actions with attributes are not supported");
    }
    if (const json::value* m = o.if_contains("memberOf"); m != nullptr && !m->is_null()) {
      PathScope scope(this, ".memberOf");
      size_t i = 0;
      for (const json::value& p : Array(*m, "`memberOf`")) {
        PathScope inner(this, "[" + std::to_string(i++) + "]");
        const json::object& ref = Object(p, "a parent action {\"id\": ..., \"type\": ...}");
        CheckFields(ref, {"id", "type"});
        Require(ref, "id");
        SchemaActionRef parent;
        parent.id = String(ref.at("id"), "`id`");
        if (const json::value* t = ref.if_contains("type"); t != nullptr && !t->is_null()) {
          parent.type = Name(*t, "action entity type");
        }
        decl.member_of.push_back(std::move(parent));
      }
    }
    if (const json::value* a = o.if_contains("appliesTo"); a != nullptr && !a->is_null()) {
      PathScope scope(this, ".appliesTo");
      const json::object& at = Object(*a, "`appliesTo`");
      CheckFields(at, {"principalTypes", "resourceTypes", "context"});
      Require(at, "principalTypes");
      Require(at, "resourceTypes");
      SchemaAppliesTo applies;
      for (auto [field, list] : {std::pair{"principalTypes", &applies.principal_types},
                                 std::pair{"resourceTypes", &applies.resource_types}}) {
        PathScope inner(this, std::string(".") + field);
        for (const json::value& t : Array(at.at(field), Backticked(field))) {
          list->push_back({Name(t, "entity type name"), {}});
        }
      }
      if (const json::value* c = at.if_contains("context")) {
        PathScope inner(this, ".context");
        applies.context = ReadType(*c, TypeSite::kPlain, nullptr, nullptr);
      }
      decl.applies_to = std::move(applies);
    }
    if (const json::value* a = o.if_contains("annotations")) decl.annotations = ReadAnnotations(*a);
    return decl;
  }

  // A type object. At a kCommonDecl or kAttribute site, `annotations` receives the type's
  // annotations; at a kAttribute site `required` receives the attribute's optionality.
  SchemaTypeExpr ReadType(const json::value& v, TypeSite site, Annotations* annotations,
                          bool* required) {
    if (++depth_ > kMaxTypeDepth) {
      Fail("types are nested too deeply (more than " + std::to_string(kMaxTypeDepth) + " levels)");
    }
    const json::object& o = Object(v, "a type");
    Require(o, "type");
    std::string type = String(o.at("type"), "`type`");
    using Kind = SchemaTypeExpr::Kind;
    SchemaTypeExpr out;
    // The fields each form takes besides `type` (and the site's own).
    std::vector<std::string_view> fields;
    if (type == "Long" || type == "String" || type == "Boolean") {
      out.kind = type == "Long" ? Kind::kLong : type == "String" ? Kind::kString : Kind::kBool;
    } else if (type == "Set") {
      out.kind = Kind::kSet;
      fields = {"element"};
    } else if (type == "Record") {
      out.kind = Kind::kRecord;
      fields = {"attributes", "additionalAttributes"};
    } else if (type == "Entity" || type == "Extension" || type == "EntityOrCommon") {
      out.kind = type == "Entity"      ? Kind::kEntity
                 : type == "Extension" ? Kind::kExtension
                                       : Kind::kName;
      fields = {"name"};
    } else {
      if (!IsValidPath(type)) Fail(Backticked(type) + " is not a valid common type name");
      out.kind = Kind::kCommon;
      out.name = std::move(type);
    }
    if (site != TypeSite::kPlain) fields.push_back("annotations");
    if (site == TypeSite::kAttribute) fields.push_back("required");
    for (const auto& [key, value] : o) {
      std::string_view k = View(key);
      bool known = k == "type";
      for (std::string_view f : fields) known = known || f == k;
      if (known) continue;
      std::string expected = "`type`";
      for (size_t i = 0; i < fields.size(); ++i) {
        expected += i + 1 == fields.size() ? ", or " : ", ";
        expected += Backticked(fields[i]);
      }
      Fail("unknown field " + Backticked(k) + " for a type of the form {\"type\": " +
           schema_internal::QuoteString(View(o.at("type").get_string())) + "}; expected " +
           (fields.empty() ? std::string("only `type`") : expected));
    }

    switch (out.kind) {
      case Kind::kSet: {
        Require(o, "element");
        PathScope scope(this, ".element");
        out.element = std::make_shared<const SchemaTypeExpr>(
            ReadType(o.at("element"), TypeSite::kPlain, nullptr, nullptr));
        break;
      }
      case Kind::kRecord: {
        Require(o, "attributes");
        if (const json::value* extra = o.if_contains("additionalAttributes")) {
          if (Bool(*extra, "`additionalAttributes`")) {
            Fail("records with `additionalAttributes: true` are not supported");
          }
        }
        PathScope scope(this, ".attributes");
        for (const auto& [key, value] : Object(o.at("attributes"), "`attributes`")) {
          PathScope inner(this, "[" + schema_internal::QuoteString(View(key)) + "]");
          SchemaAttributeDecl attr;
          attr.name = std::string(View(key));
          attr.type = ReadType(value, TypeSite::kAttribute, &attr.annotations, &attr.required);
          out.attributes.push_back(std::move(attr));
        }
        break;
      }
      case Kind::kEntity:
      case Kind::kName: {
        Require(o, "name");
        out.name = Name(o.at("name"), out.kind == Kind::kEntity ? "entity type name"
                                                                : "entity or common type name");
        break;
      }
      case Kind::kExtension: {
        Require(o, "name");
        out.name = String(o.at("name"), "`name`");
        if (!IsExtensionTypeName(out.name)) {
          Fail("unknown extension type " + Backticked(out.name) +
               "; the extension types are `ipaddr`, `decimal`, `datetime` and `duration`");
        }
        break;
      }
      default:
        break;
    }
    if (annotations != nullptr) {
      if (const json::value* a = o.if_contains("annotations")) *annotations = ReadAnnotations(*a);
    }
    if (required != nullptr) {
      if (const json::value* r = o.if_contains("required")) *required = Bool(*r, "`required`");
    }
    --depth_;
    return out;
  }

  std::vector<std::string> path_;
  int depth_ = 0;
};

Result<SchemaFragment> FragmentFromJsonValue(const json::value& v) {
  SchemaFragment fragment;
  try {
    JsonSchemaReader reader;
    fragment = reader.ReadSchema(v);
  } catch (JsonFailure& failure) {
    return std::move(failure.error);
  }
  Status st = CheckDeclarations(fragment);
  if (!st.ok()) return st.error();
  return fragment;
}

}  // namespace

Result<SchemaFragment> SchemaFragment::FromJsonValue(const json::value& json) {
  return FragmentFromJsonValue(json);
}

Result<SchemaFragment> SchemaFragment::FromJson(std::string_view text) {
  json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  if (std::string dup = json_text::FirstDuplicateKey(text, opts); !dup.empty()) {
    return MakeError(ErrorCode::kJson, "invalid JSON schema: the key " +
                                           schema_internal::QuoteString(dup) +
                                           " appears twice in one object");
  }
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
  if (ec) return MakeError(ErrorCode::kJson, "malformed JSON: " + ec.message());
  return FragmentFromJsonValue(v);
}

}  // namespace cedar
