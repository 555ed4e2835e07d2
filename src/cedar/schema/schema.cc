#include "cedar/schema.h"

#include <set>

namespace cedar {

const EntityTypeDef* Schema::FindEntityType(std::string_view name) const {
  auto it = entity_types_.find(name);
  return it == entity_types_.end() ? nullptr : &it->second;
}

const ActionDef* Schema::FindAction(std::string_view type, std::string_view id) const {
  auto it = actions_.find(ActionRef{std::string(type), std::string(id)});
  return it == actions_.end() ? nullptr : &it->second;
}

bool Schema::IsActionType(std::string_view name) const {
  for (const auto& [ref, def] : actions_) {
    if (ref.type == name) return true;
  }
  return false;
}

std::vector<ActionRef> Schema::ActionAncestors(const ActionRef& action) const {
  std::vector<ActionRef> out;
  std::set<ActionRef> seen;
  std::vector<ActionRef> todo{action};
  while (!todo.empty()) {
    ActionRef cur = std::move(todo.back());
    todo.pop_back();
    const ActionDef* def = FindAction(cur.type, cur.id);
    if (def == nullptr) continue;
    for (const auto& parent : def->member_of) {
      if (seen.insert(parent).second) {
        out.push_back(parent);
        todo.push_back(parent);
      }
    }
  }
  return out;
}

}  // namespace cedar
