// Cedar schemas: the resolved model used by schema-based parsing of entities and context,
// request validation and the validator.
//
// Both schema formats (the Cedar text format and the JSON format) parse into the same model.
// Names are fully resolved: common types are inlined, entity and action types are fully
// qualified ("Ns::User", "Ns::Action"), extension types are named "ipaddr", "decimal",
// "datetime", "duration".
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
using SchemaTypePtr = std::shared_ptr<const SchemaType>;

using Annotations = std::map<std::string, std::string>;

struct AttributeType {
  SchemaTypePtr type;
  bool required = true;
  Annotations annotations;
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
};

struct EntityTypeDef {
  std::string name;                    // fully qualified
  std::vector<std::string> member_of;  // fully qualified parent entity types
  SchemaTypePtr shape;                 // a kRecord type; empty record when none declared
  SchemaTypePtr tags;                  // null when the type has no tags
  std::optional<std::vector<std::string>> enum_ids;  // enumerated entity type
  Annotations annotations;
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
};

class Schema {
 public:
  static Result<Schema> FromCedar(std::string_view text);
  static Result<Schema> FromJson(std::string_view text);

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

 private:
  friend class SchemaBuilder;
  std::map<std::string, EntityTypeDef, std::less<>> entity_types_;
  std::map<ActionRef, ActionDef> actions_;
};

}  // namespace cedar
