// Cedar schemas as written: the syntactic layer shared by both schema formats.
//
// A SchemaFragment keeps a schema the way its author wrote it: namespaces in order with their
// annotations, and in each one the common type, entity type and action declarations in order,
// with type expressions whose names are not resolved yet. Both formats (the Cedar schema text
// format and the JSON schema format) parse into it and are written from it, so converting a
// schema from one format to the other is a parse followed by a write. Schema::FromFragment
// (cedar/schema.h) resolves a fragment into the model that validation uses.
//
// A declaration written for several names at once in the Cedar format (`entity A, B in [C];`,
// `action "r", "w" appliesTo {...};`) becomes one declaration per name, as in the JSON format.
// Declarations outside any `namespace` block belong to the namespace with the empty name; a
// fragment holds at most one namespace of each name.
//
// Positions (SourcePos) point into the Cedar text a fragment was parsed from; they are zero for
// fragments parsed from JSON or built in code, and equality ignores them.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/error.h"
#include "cedar/schema.h"

namespace cedar {

struct SchemaAttributeDecl;

// A type expression as written. The JSON format distinguishes more forms than the Cedar
// format, and a fragment keeps the form that was written because the forms resolve
// differently (see Schema::FromFragment).
struct SchemaTypeExpr {
  enum class Kind : uint8_t {
    kName,       // a name resolved by the full rules: a Cedar-format type name, JSON
                 // {"type": "EntityOrCommon", "name": ...}
    kCommon,     // a common type or a built-in type, never an entity type: JSON
                 // {"type": "<name>"}, and a Cedar-format `context: <name>`
    kEntity,     // JSON {"type": "Entity", "name": ...}
    kExtension,  // JSON {"type": "Extension", "name": ...}
    kLong,       // JSON {"type": "Long"}: always the primitive type
    kString,     // JSON {"type": "String"}
    kBool,       // JSON {"type": "Boolean"}
    kSet,
    kRecord,
  };
  Kind kind = Kind::kName;
  std::string name;                               // kName, kCommon, kEntity, kExtension
  std::shared_ptr<const SchemaTypeExpr> element;  // kSet; never null for a kSet
  std::vector<SchemaAttributeDecl> attributes;    // kRecord, in the order written
  SourcePos pos;

  static SchemaTypeExpr Named(std::string name, Kind kind = Kind::kName);
  static SchemaTypeExpr Primitive(Kind kind);  // kLong, kString or kBool
  static SchemaTypeExpr SetOf(SchemaTypeExpr element);
  static SchemaTypeExpr Record(std::vector<SchemaAttributeDecl> attributes);

  bool operator==(const SchemaTypeExpr& other) const;
};

struct SchemaAttributeDecl {
  std::string name;
  SchemaTypeExpr type;
  bool required = true;
  Annotations annotations;  // an annotation written without a value has the value ""
  SourcePos pos;

  bool operator==(const SchemaAttributeDecl& other) const;
};

// A name used as a reference (an entity type in `in [...]` or `appliesTo`), as written.
struct SchemaNameRef {
  std::string name;
  SourcePos pos;

  bool operator==(const SchemaNameRef& other) const { return name == other.name; }
};

struct SchemaCommonTypeDecl {
  std::string name;  // an identifier, not qualified
  SchemaTypeExpr type;
  Annotations annotations;
  SourcePos pos;

  bool operator==(const SchemaCommonTypeDecl& other) const;
};

struct SchemaEntityDecl {
  std::string name;  // an identifier, not qualified
  std::vector<SchemaNameRef> member_of_types;
  std::optional<SchemaTypeExpr> shape;               // none: no attributes
  std::optional<SchemaTypeExpr> tags;                // none: no tags
  std::optional<std::vector<std::string>> enum_ids;  // an enumerated entity type (non-empty)
  Annotations annotations;
  SourcePos pos;

  bool operator==(const SchemaEntityDecl& other) const;
};

// A parent of an action, as written: `"x"` or `x` (no type), `Action::"x"`, `NS::Action::"x"`.
struct SchemaActionRef {
  std::optional<std::string> type;  // none: an action of the same namespace (or, failing that,
                                    // of the empty namespace)
  std::string id;
  SourcePos pos;

  bool operator==(const SchemaActionRef& other) const {
    return type == other.type && id == other.id;
  }
};

struct SchemaAppliesTo {
  std::vector<SchemaNameRef> principal_types;
  std::vector<SchemaNameRef> resource_types;
  std::optional<SchemaTypeExpr> context;  // none: the empty record

  bool operator==(const SchemaAppliesTo& other) const;
};

struct SchemaActionDecl {
  std::string name;  // the action's entity id: any string
  std::vector<SchemaActionRef> member_of;
  std::optional<SchemaAppliesTo> applies_to;  // none: the action applies to nothing
  Annotations annotations;
  SourcePos pos;

  bool operator==(const SchemaActionDecl& other) const;
};

struct SchemaNamespace {
  std::string name;         // "" for declarations outside any namespace, else e.g. "A::B"
  Annotations annotations;  // only a named namespace can be annotated
  std::vector<SchemaCommonTypeDecl> common_types;
  std::vector<SchemaEntityDecl> entity_types;
  std::vector<SchemaActionDecl> actions;
  SourcePos pos;

  bool operator==(const SchemaNamespace& other) const;
};

struct SchemaFragment {
  std::vector<SchemaNamespace> namespaces;

  // Parses the Cedar schema format. Errors carry the line and column they point at: kParse for
  // the grammar (including reserved words `true`, `false`, `if`, `then`, `else`, `in`, `is`,
  // `like`, `has` used as names, duplicate annotations, and `appliesTo` without both
  // `principal` and `resource`, each a non-empty list), kSchema for the declaration rules
  // Cedar also checks while parsing: the reserved `__cedar` namespace, reserved common type
  // names (`Bool`, `Boolean`, `Entity`, `Extension`, `Long`, `Record`, `Set`, `String`), an
  // entity type named `Action`, and duplicate namespaces or declarations. As in the reference
  // engine, an action may carry an empty `attributes {}` block (ignored), a repeated record
  // attribute replaces the earlier one, and repeated enumeration ids are kept.
  static Result<SchemaFragment> FromCedar(std::string_view text);

  // Parses the JSON schema format. Rejects what Cedar rejects: malformed JSON, unknown or
  // misplaced fields, values of the wrong JSON type (`null` is accepted only for an action's
  // `memberOf`, `appliesTo` and `attributes`, a parent's `type`, and an annotation's value,
  // which becomes ""), invalid names, an empty `enum`, `enum` together with `memberOfTypes`,
  // `shape` or `tags`, action `attributes`, `additionalAttributes: true` (which Cedar supports
  // only with an experimental feature), and the declaration rules of FromCedar. Also rejects
  // duplicate keys in an object. Errors are kJson (kSchema for the declaration rules) and name
  // the place in the document, e.g. `["NS"].entityTypes["User"].shape`.
  static Result<SchemaFragment> FromJson(std::string_view text);
  static Result<SchemaFragment> FromJsonValue(const boost::json::value& json);

  // Writes the Cedar schema format in Cedar's usual layout: two-space indentation, one
  // declaration per paragraph, common types then entity types then actions in each namespace.
  // JSON-only forms are written so that they mean the same: JSON `Long` as `__cedar::Long`,
  // an Extension type as `__cedar::<name>`, an `appliesTo` with an empty principal or
  // resource list (the action applies to nothing) as no `appliesTo`. JSON "Entity" and
  // {"type": name} references are written as the bare name, which means the same unless a
  // common type and an entity type share that name (as in the reference engine's conversion).
  // Fails (kSchema) for what the Cedar format cannot express: an entity shape that is not a
  // record written out (JSON allows a common type there) and a `Set` context.
  Result<std::string> ToCedar() const;

  // The JSON schema format. Cedar-format type names become {"type": "EntityOrCommon", ...},
  // a Cedar-format context name becomes {"type": "<name>"}; optional members are written only
  // when non-empty.
  boost::json::value ToJson() const;
  // ToJson() as text, indented with two spaces.
  std::string ToJsonText() const;

  // The namespace of that name, or null.
  const SchemaNamespace* FindNamespace(std::string_view name) const;

  bool operator==(const SchemaFragment& other) const { return namespaces == other.namespaces; }
};

}  // namespace cedar
