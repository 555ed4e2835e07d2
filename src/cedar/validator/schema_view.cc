#include "cedar/validator/schema_view.h"

namespace cedar::validation {

SchemaView::SchemaView(const Schema& schema) : schema_(&schema) {
  auto add_type = [&](std::string_view name) -> EntityTypeInfo& {
    EntityTypeInfo& info = entity_types_.emplace_back();
    info.name = name;
    info.index = static_cast<uint32_t>(entity_types_.size() - 1);
    entity_by_name_.emplace(name, &info);
    return info;
  };
  for (const auto& [name, def] : schema.entity_types()) {
    EntityTypeInfo& info = add_type(name);
    info.enum_ids = def.enum_ids ? &*def.enum_ids : nullptr;
  }
  for (const auto& [ref, def] : schema.actions()) {
    if (entity_by_name_.count(def.uid.type) == 0) add_type(def.uid.type).is_action = true;
  }
  static const RecordType kEmptyRecord{};
  size_t ntypes = entity_types_.size();
  for (EntityTypeInfo& info : entity_types_) {
    info.attrs = &kEmptyRecord;
    info.ancestors.assign(ntypes, false);
    if (info.is_action) continue;
    const EntityTypeDef* def = schema.FindEntityType(info.name);
    if (def->shape) {
      Type shape = Convert(*def->shape);
      if (shape.is(TypeKind::kRecord)) info.attrs = &shape.record();
    }
    if (def->tags) {
      info.has_tags = true;
      info.tags = Convert(*def->tags);
    }
  }
  // Transitive memberOf, by a walk from each type (schemas are small; cycles are allowed).
  for (EntityTypeInfo& info : entity_types_) {
    if (info.is_action) continue;
    std::vector<const EntityTypeInfo*> stack{&info};
    while (!stack.empty()) {
      const EntityTypeInfo* t = stack.back();
      stack.pop_back();
      const EntityTypeDef* def = schema.FindEntityType(t->name);
      if (def == nullptr) continue;
      for (const std::string& parent : def->member_of) {
        const EntityTypeInfo* p = FindEntityType(parent);
        if (p == nullptr || info.ancestors[p->index]) continue;
        info.ancestors[p->index] = true;
        stack.push_back(p);
      }
    }
  }

  for (const auto& [ref, def] : schema.actions()) {
    ActionInfo& a = actions_.emplace_back();
    a.def = &def;
    a.type = def.uid.type;
    a.id = def.uid.id;
    a.type_info = FindEntityType(a.type);
    a.index = static_cast<uint32_t>(actions_.size() - 1);
    actions_by_id_[a.id].push_back(&a);
  }
  for (ActionInfo& a : actions_) {
    a.ancestors.assign(actions_.size(), false);
    for (const ActionRef& anc : schema.ActionAncestors(a.def->uid)) {
      if (const ActionInfo* p = FindAction(anc.type, anc.id)) a.ancestors[p->index] = true;
    }
    for (const std::string& p : a.def->principal_types) {
      if (const EntityTypeInfo* t = FindEntityType(p)) a.principals.push_back(t);
    }
    for (const std::string& r : a.def->resource_types) {
      if (const EntityTypeInfo* t = FindEntityType(r)) a.resources.push_back(t);
    }
    a.context = a.def->context ? Convert(*a.def->context) : Type::Record(&kEmptyRecord);
    if (!a.def->has_applies_to) continue;
    for (const EntityTypeInfo* p : a.principals) {
      for (const EntityTypeInfo* r : a.resources) envs_.push_back(RequestEnv{p, &a, r});
    }
  }
}

const EntityTypeInfo* SchemaView::FindEntityType(std::string_view name) const {
  auto it = entity_by_name_.find(name);
  return it == entity_by_name_.end() ? nullptr : it->second;
}

const ActionInfo* SchemaView::FindAction(std::string_view type, std::string_view id) const {
  auto it = actions_by_id_.find(id);
  if (it == actions_by_id_.end()) return nullptr;
  for (const ActionInfo* a : it->second) {
    if (a->type == type) return a;
  }
  return nullptr;
}

Type SchemaView::Convert(const SchemaType& type) {
  switch (type.kind) {
    case SchemaType::Kind::kBool:
      return Type::Bool();
    case SchemaType::Kind::kLong:
      return Type::Long();
    case SchemaType::Kind::kString:
      return Type::String();
    case SchemaType::Kind::kEntity: {
      const EntityTypeInfo* info = FindEntityType(type.name);
      return info ? Type::Entity(info) : Type::Never();
    }
    case SchemaType::Kind::kSet:
      return Type::SetOf(arena_.New<Type>(type.element ? Convert(*type.element) : Type::Never()));
    case SchemaType::Kind::kRecord: {
      RecordAttr* attrs = arena_.NewArray<RecordAttr>(type.attributes.size());
      size_t i = 0;
      // std::map orders keys as std::string compares them, which is the order of
      // std::string_view that RecordType::Find expects.
      for (const auto& [name, attr] : type.attributes) {
        attrs[i].name = name;
        attrs[i].required = attr.required;
        attrs[i].type = attr.type ? Convert(*attr.type) : Type::Never();
        ++i;
      }
      return Type::Record(arena_.New<RecordType>(RecordType{{attrs, i}}));
    }
    case SchemaType::Kind::kExtension:
      if (type.name == "ipaddr") return Type::Simple(TypeKind::kIpAddr);
      if (type.name == "decimal") return Type::Simple(TypeKind::kDecimal);
      if (type.name == "datetime") return Type::Simple(TypeKind::kDatetime);
      if (type.name == "duration") return Type::Simple(TypeKind::kDuration);
      return Type::Never();
  }
  return Type::Never();
}

}  // namespace cedar::validation
