#include "cedar/schema_fragment.h"

namespace cedar {

SchemaTypeExpr SchemaTypeExpr::Named(std::string name, Kind kind) {
  SchemaTypeExpr t;
  t.kind = kind;
  t.name = std::move(name);
  return t;
}

SchemaTypeExpr SchemaTypeExpr::Primitive(Kind kind) {
  SchemaTypeExpr t;
  t.kind = kind;
  return t;
}

SchemaTypeExpr SchemaTypeExpr::SetOf(SchemaTypeExpr element) {
  SchemaTypeExpr t;
  t.kind = Kind::kSet;
  t.element = std::make_shared<const SchemaTypeExpr>(std::move(element));
  return t;
}

SchemaTypeExpr SchemaTypeExpr::Record(std::vector<SchemaAttributeDecl> attributes) {
  SchemaTypeExpr t;
  t.kind = Kind::kRecord;
  t.attributes = std::move(attributes);
  return t;
}

bool SchemaTypeExpr::operator==(const SchemaTypeExpr& other) const {
  if (kind != other.kind || name != other.name || attributes != other.attributes) return false;
  if ((element == nullptr) != (other.element == nullptr)) return false;
  return element == nullptr || *element == *other.element;
}

bool SchemaAttributeDecl::operator==(const SchemaAttributeDecl& other) const {
  return name == other.name && type == other.type && required == other.required &&
         annotations == other.annotations;
}

bool SchemaCommonTypeDecl::operator==(const SchemaCommonTypeDecl& other) const {
  return name == other.name && type == other.type && annotations == other.annotations;
}

bool SchemaEntityDecl::operator==(const SchemaEntityDecl& other) const {
  return name == other.name && member_of_types == other.member_of_types && shape == other.shape &&
         tags == other.tags && enum_ids == other.enum_ids && annotations == other.annotations;
}

bool SchemaAppliesTo::operator==(const SchemaAppliesTo& other) const {
  return principal_types == other.principal_types && resource_types == other.resource_types &&
         context == other.context;
}

bool SchemaActionDecl::operator==(const SchemaActionDecl& other) const {
  return name == other.name && member_of == other.member_of && applies_to == other.applies_to &&
         annotations == other.annotations;
}

bool SchemaNamespace::operator==(const SchemaNamespace& other) const {
  return name == other.name && annotations == other.annotations &&
         common_types == other.common_types && entity_types == other.entity_types &&
         actions == other.actions;
}

const SchemaNamespace* SchemaFragment::FindNamespace(std::string_view name) const {
  for (const SchemaNamespace& ns : namespaces) {
    if (ns.name == name) return &ns;
  }
  return nullptr;
}

}  // namespace cedar
