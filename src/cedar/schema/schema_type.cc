// SchemaType's text form and the equality of the resolved model.
#include "cedar/schema.h"
#include "cedar/schema/names.h"

namespace cedar {

std::string SchemaType::ToString() const {
  switch (kind) {
    case Kind::kBool:
      return "Bool";
    case Kind::kLong:
      return "Long";
    case Kind::kString:
      return "String";
    case Kind::kEntity:
    case Kind::kExtension:
      return name;
    case Kind::kSet:
      return "Set<" + (element ? element->ToString() : std::string("?")) + ">";
    case Kind::kRecord: {
      if (attributes.empty()) return "{}";
      std::string out = "{ ";
      bool first = true;
      for (const auto& [attr, type] : attributes) {
        if (!first) out += ", ";
        first = false;
        out += schema_internal::AttributeName(attr);
        if (!type.required) out += '?';
        out += ": ";
        out += type.type ? type.type->ToString() : std::string("?");
      }
      return out + " }";
    }
  }
  return "?";
}

bool SameType(const SchemaTypePtr& a, const SchemaTypePtr& b) {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return *a == *b;
}

bool AttributeType::operator==(const AttributeType& other) const {
  return required == other.required && annotations == other.annotations &&
         SameType(type, other.type);
}

bool SchemaType::operator==(const SchemaType& other) const {
  return kind == other.kind && name == other.name && SameType(element, other.element) &&
         attributes == other.attributes && additional_attributes == other.additional_attributes;
}

bool EntityTypeDef::operator==(const EntityTypeDef& other) const {
  return name == other.name && member_of == other.member_of && SameType(shape, other.shape) &&
         SameType(tags, other.tags) && enum_ids == other.enum_ids &&
         annotations == other.annotations;
}

bool ActionDef::operator==(const ActionDef& other) const {
  return uid == other.uid && member_of == other.member_of &&
         has_applies_to == other.has_applies_to && principal_types == other.principal_types &&
         resource_types == other.resource_types && SameType(context, other.context) &&
         annotations == other.annotations;
}

bool Schema::operator==(const Schema& other) const {
  return entity_types_ == other.entity_types_ && actions_ == other.actions_;
}

}  // namespace cedar
