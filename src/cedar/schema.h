// Cedar schemas: the resolved model used by schema-based parsing of entities and context,
// request validation and the validator.
//
// Both schema formats (the Cedar text format and the JSON format) parse into the same model.
// Names are fully resolved: common types are inlined, entity and action types are fully
// qualified ("Ns::User", "Ns::Action"), extension types are named "ipaddr", "decimal",
// "datetime", "duration".
//
// The schema as written (both formats, and conversion between them) is SchemaFragment in
// cedar/schema_fragment.h; resolving a fragment gives a Schema.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/error.h"

namespace cedar {

struct SchemaType;
struct SchemaFragment;
using SchemaTypePtr = std::shared_ptr<const SchemaType>;

using Annotations = std::map<std::string, std::string>;

struct AttributeType {
  SchemaTypePtr type;
  bool required = true;
  Annotations annotations;

  bool operator==(const AttributeType& other) const;  // compares the types deeply
};

struct SchemaType {
  enum class Kind : uint8_t { kBool, kLong, kString, kEntity, kSet, kRecord, kExtension };
  Kind kind = Kind::kBool;
  std::string name;                                 // kEntity: entity type; kExtension: type name
  SchemaTypePtr element;                            // kSet
  std::map<std::string, AttributeType> attributes;  // kRecord
  bool additional_attributes = false;               // kRecord (JSON schema only)

  // Type as written in the Cedar schema format, e.g. "Set<Ns::User>", "{ a?: Long }".
  std::string ToString() const;

  // Structural equality (element and attribute types compared deeply, annotations included).
  bool operator==(const SchemaType& other) const;
};

// Deep equality of two possibly null types.
bool SameType(const SchemaTypePtr& a, const SchemaTypePtr& b);

struct EntityTypeDef {
  std::string name;                    // fully qualified
  std::vector<std::string> member_of;  // fully qualified parent entity types
  SchemaTypePtr shape;                 // a kRecord type; empty record when none declared
  SchemaTypePtr tags;                  // null when the type has no tags
  std::optional<std::vector<std::string>> enum_ids;  // enumerated entity type
  Annotations annotations;

  bool operator==(const EntityTypeDef& other) const;
};

struct ActionRef {
  std::string type;  // fully qualified action entity type, e.g. "Action" or "Ns::Action"
  std::string id;
  bool operator==(const ActionRef&) const = default;
  auto operator<=>(const ActionRef&) const = default;
};

struct ActionDef {
  ActionRef uid;
  std::vector<ActionRef> member_of;  // direct parents
  bool has_applies_to = false;       // without appliesTo the action applies to nothing
  std::vector<std::string> principal_types;
  std::vector<std::string> resource_types;
  SchemaTypePtr context;  // a kRecord type; empty record when none declared
  Annotations annotations;

  bool operator==(const ActionDef& other) const;
};

class Schema {
 public:
  // Parse (SchemaFragment::FromCedar / FromJson) and resolve (FromFragment).
  static Result<Schema> FromCedar(std::string_view text);
  static Result<Schema> FromJson(std::string_view text);

  // Resolves a fragment with Cedar's rules. Errors (kSchema, with the position of the
  // offending name when the fragment came from Cedar text):
  //  - the declaration checks of SchemaFragment::FromCedar, for fragments built in code;
  //  - a declaration in a namespace that shadows one of the empty namespace (`NS::T` when
  //    `T` is a declared entity or common type, `NS::Action::"a"` when `Action::"a"` is);
  //  - a name that resolves to nothing, a cycle among common types;
  //  - an entity shape or action context that is not a record;
  //  - a parent action that is not declared, a cycle in the action hierarchy.
  // Names resolve as follows. A qualified name `A::B` names exactly that declaration, except
  // that `__cedar::X` always names the built-in type X (Long, String, Bool, ipaddr, decimal,
  // datetime, duration). An unqualified type name N in namespace NS is, in order: the common
  // type NS::N, the entity type NS::N, the common type N of the empty namespace, the entity
  // type N of the empty namespace, the built-in type N. Entity types here include the action
  // types (`NS::Action` when NS declares actions). Names that can only be entity types
  // (`memberOfTypes`, `principal`, `resource`, JSON "Entity") skip the common types, and
  // `memberOfTypes`, `principal` and `resource` exclude action types; names that cannot be
  // entity types (JSON {"type": N}, a Cedar-format context name) skip the entity types. A
  // parent action without a type, or with the type `Action`, is the action of that id in the
  // same namespace if declared, else that of the empty namespace.
  // An action whose principal or resource list is empty (possible in JSON) applies to nothing
  // and resolves like an action without appliesTo: has_applies_to false, no principal or
  // resource types, an empty context.
  static Result<Schema> FromFragment(const SchemaFragment& fragment);

  const EntityTypeDef* FindEntityType(std::string_view name) const;
  const ActionDef* FindAction(std::string_view type, std::string_view id) const;
  // True when `name` is the type of at least one declared action.
  bool IsActionType(std::string_view name) const;

  const std::map<std::string, EntityTypeDef, std::less<>>& entity_types() const {
    return entity_types_;
  }
  const std::map<ActionRef, ActionDef>& actions() const { return actions_; }

  // Transitive ancestors of an action (not including itself).
  std::vector<ActionRef> ActionAncestors(const ActionRef& action) const;

  bool operator==(const Schema& other) const;

 private:
  friend class SchemaBuilder;
  std::map<std::string, EntityTypeDef, std::less<>> entity_types_;
  std::map<ActionRef, ActionDef> actions_;
};

}  // namespace cedar
