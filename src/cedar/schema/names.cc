#include "cedar/schema/names.h"

#include <array>
#include <set>

#include "cedar/syntax/lexer.h"
#include "cedar/value.h"

namespace cedar::schema_internal {

bool IsReservedWord(std::string_view word) {
  static constexpr std::array<std::string_view, 9> kWords = {
      "true", "false", "if", "then", "else", "in", "is", "like", "has"};
  for (std::string_view w : kWords) {
    if (w == word) return true;
  }
  return false;
}

bool IsReservedTypeName(std::string_view word) {
  static constexpr std::array<std::string_view, 8> kWords = {
      "Bool", "Boolean", "Entity", "Extension", "Long", "Record", "Set", "String"};
  for (std::string_view w : kWords) {
    if (w == word) return true;
  }
  return false;
}

bool IsPlainIdentifier(std::string_view s) {
  return IsIdentifier(s) && !IsReservedWord(s);
}

bool IsValidPath(std::string_view s) {
  while (true) {
    size_t sep = s.find("::");
    if (!IsPlainIdentifier(s.substr(0, sep))) return false;
    if (sep == std::string_view::npos) return true;
    s.remove_prefix(sep + 2);
  }
}

bool MentionsCedarNamespace(std::string_view path) {
  while (true) {
    size_t sep = path.find("::");
    if (path.substr(0, sep) == "__cedar") return true;
    if (sep == std::string_view::npos) return false;
    path.remove_prefix(sep + 2);
  }
}

namespace {

SchemaTypePtr MakeBuiltin(SchemaType::Kind kind, std::string name = {}) {
  auto t = std::make_shared<SchemaType>();
  t->kind = kind;
  t->name = std::move(name);
  return t;
}

}  // namespace

SchemaTypePtr BuiltinType(std::string_view name) {
  if (name == "Long") return MakeBuiltin(SchemaType::Kind::kLong);
  if (name == "String") return MakeBuiltin(SchemaType::Kind::kString);
  if (name == "Bool") return MakeBuiltin(SchemaType::Kind::kBool);
  if (IsExtensionTypeName(name))
    return MakeBuiltin(SchemaType::Kind::kExtension, std::string(name));
  return nullptr;
}

bool IsExtensionTypeName(std::string_view name) {
  return name == "ipaddr" || name == "decimal" || name == "datetime" || name == "duration";
}

std::string Qualify(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string out(ns);
  out += "::";
  out += name;
  return out;
}

std::string QuoteString(std::string_view s) {
  return "\"" + EscapeString(s) + "\"";
}

std::string AttributeName(std::string_view name) {
  return IsPlainIdentifier(name) ? std::string(name) : QuoteString(name);
}

namespace {

Error DeclError(std::string message, SourcePos pos) {
  return MakeError(ErrorCode::kSchema, std::move(message), pos);
}

std::string InNamespace(const SchemaNamespace& ns) {
  return ns.name.empty() ? std::string() : " in namespace `" + ns.name + "`";
}

}  // namespace

Status CheckDeclarations(const SchemaFragment& fragment) {
  std::set<std::string_view> namespaces;
  for (const SchemaNamespace& ns : fragment.namespaces) {
    if (!ns.name.empty()) {
      if (!IsValidPath(ns.name)) {
        return DeclError("`" + ns.name + "` is not a valid namespace name", ns.pos);
      }
      if (MentionsCedarNamespace(ns.name)) {
        return DeclError("the namespace `" + ns.name +
                             "` uses the reserved name `__cedar`, which cannot be declared",
                         ns.pos);
      }
    } else if (!ns.annotations.empty()) {
      return DeclError("declarations outside a namespace cannot carry namespace annotations",
                       ns.pos);
    }
    if (!namespaces.insert(ns.name).second) {
      return DeclError(ns.name.empty() ? "the empty namespace is declared twice"
                                       : "the namespace `" + ns.name + "` is declared twice",
                       ns.pos);
    }
    std::set<std::string_view> names;
    for (const SchemaCommonTypeDecl& t : ns.common_types) {
      if (!IsPlainIdentifier(t.name)) {
        return DeclError("`" + t.name + "` is not a valid common type name", t.pos);
      }
      if (IsReservedTypeName(t.name)) {
        return DeclError(
            "`" + t.name + "` is a reserved type name and cannot be declared as a common type",
            t.pos);
      }
      if (t.name == "__cedar") {
        return DeclError("`__cedar` is reserved and cannot be declared as a common type", t.pos);
      }
      if (!names.insert(t.name).second) {
        return DeclError("the common type `" + t.name + "` is declared twice" + InNamespace(ns),
                         t.pos);
      }
    }
    names.clear();
    for (const SchemaEntityDecl& e : ns.entity_types) {
      if (!IsPlainIdentifier(e.name)) {
        return DeclError("`" + e.name + "` is not a valid entity type name", e.pos);
      }
      if (e.name == "__cedar") {
        return DeclError("`__cedar` is reserved and cannot be declared as an entity type", e.pos);
      }
      if (e.name == "Action") {
        return DeclError(
            "`" + Qualify(ns.name, "Action") +
                "` cannot be declared as an entity type: it is the type of the namespace's actions",
            e.pos);
      }
      if (!names.insert(e.name).second) {
        return DeclError("the entity type `" + e.name + "` is declared twice" + InNamespace(ns),
                         e.pos);
      }
      if (e.enum_ids.has_value()) {
        if (e.enum_ids->empty()) {
          return DeclError("the enumerated entity type `" + e.name + "` must list at least one id",
                           e.pos);
        }
        if (!e.member_of_types.empty() || e.shape.has_value() || e.tags.has_value()) {
          return DeclError(
              "the enumerated entity type `" + e.name + "` cannot have parents, attributes or tags",
              e.pos);
        }
      }
    }
    names.clear();
    for (const SchemaActionDecl& a : ns.actions) {
      if (!names.insert(a.name).second) {
        return DeclError(
            "the action " + QuoteString(a.name) + " is declared twice" + InNamespace(ns), a.pos);
      }
    }
  }
  return {};
}

}  // namespace cedar::schema_internal
