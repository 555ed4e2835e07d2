// The schema as the typechecker reads it: entity types with their attribute types converted
// once, the transitive entity type and action hierarchies, and the request environments.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cedar/arena.h"
#include "cedar/schema.h"
#include "cedar/validator/types.h"

namespace cedar::validation {

struct ActionInfo {
  const ActionDef* def = nullptr;
  std::string_view type;  // the action's entity type, e.g. "Action"
  std::string_view id;
  const EntityTypeInfo* type_info = nullptr;
  uint32_t index = 0;
  std::vector<bool> ancestors;  // by action index, transitively, not including itself
  std::vector<const EntityTypeInfo*> principals;  // appliesTo (empty without appliesTo)
  std::vector<const EntityTypeInfo*> resources;
  Type context;  // a record

  // True when this action is `other` or one of its descendants.
  bool IsIn(const ActionInfo& other) const {
    return this == &other || (other.index < ancestors.size() && ancestors[other.index]);
  }
};

// One request environment: what the principal, action and resource are for some request the
// schema allows.
struct RequestEnv {
  const EntityTypeInfo* principal = nullptr;
  const ActionInfo* action = nullptr;
  const EntityTypeInfo* resource = nullptr;
};

class SchemaView {
 public:
  explicit SchemaView(const Schema& schema);
  SchemaView(const SchemaView&) = delete;
  SchemaView& operator=(const SchemaView&) = delete;

  const Schema& schema() const { return *schema_; }

  // An entity type of the schema or an action entity type; null when undeclared.
  const EntityTypeInfo* FindEntityType(std::string_view name) const;
  // A declared action; null when undeclared.
  const ActionInfo* FindAction(std::string_view type, std::string_view id) const;
  // Every (principal type, action, resource type) of every action's appliesTo, by action in
  // the schema's order.
  const std::vector<RequestEnv>& environments() const { return envs_; }
  const std::deque<ActionInfo>& actions() const { return actions_; }

 private:
  Type Convert(const SchemaType& type);

  const Schema* schema_;
  Arena arena_;
  std::deque<EntityTypeInfo> entity_types_;
  std::unordered_map<std::string_view, const EntityTypeInfo*> entity_by_name_;
  std::deque<ActionInfo> actions_;
  // By id, then compared by type: policies name actions often, and ids rarely repeat.
  std::unordered_map<std::string_view, std::vector<const ActionInfo*>> actions_by_id_;
  std::vector<RequestEnv> envs_;
};

}  // namespace cedar::validation
