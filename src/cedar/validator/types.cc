#include "cedar/validator/types.h"

#include <algorithm>

namespace cedar::validation {

const RecordAttr* RecordType::Find(std::string_view name) const {
  auto it = std::lower_bound(attrs.begin(), attrs.end(), name,
                             [](const RecordAttr& a, std::string_view n) { return a.name < n; });
  return it != attrs.end() && it->name == name ? &*it : nullptr;
}

std::string Type::ToString() const {
  switch (kind_) {
    case TypeKind::kNever:
      return "Never";
    case TypeKind::kTrue:
    case TypeKind::kFalse:
    case TypeKind::kBool:
      return "Bool";
    case TypeKind::kLong:
      return "Long";
    case TypeKind::kString:
      return "String";
    case TypeKind::kSet:
      return "Set<" + element().ToString() + ">";
    case TypeKind::kRecord: {
      std::string out = "{";
      for (const RecordAttr& a : record().attrs) {
        if (out.size() > 1) out += ", ";
        out += a.name;
        if (!a.required) out += '?';
        out += ": ";
        out += a.type.ToString();
      }
      return out + "}";
    }
    case TypeKind::kEntity:
      return std::string(entity().name);
    case TypeKind::kIpAddr:
      return "ipaddr";
    case TypeKind::kDecimal:
      return "decimal";
    case TypeKind::kDatetime:
      return "datetime";
    case TypeKind::kDuration:
      return "duration";
  }
  return "?";
}

bool LeastUpperBound(const Type& a, const Type& b, Arena& arena, Type& out) {
  out = Type::Never();
  if (a.IsNever()) {
    out = b;
    return true;
  }
  if (b.IsNever()) {
    out = a;
    return true;
  }
  if (a.IsBoolean() && b.IsBoolean()) {
    out = a.kind() == b.kind() ? a : Type::Bool();
    return true;
  }
  if (a.IsEntity() && b.IsEntity()) {
    if (a.entity_ptr() != b.entity_ptr()) return false;
    out = a;
    return true;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case TypeKind::kSet: {
      Type elem;
      if (!LeastUpperBound(a.element(), b.element(), arena, elem)) return false;
      out = Type::SetOf(arena.New<Type>(elem));
      return true;
    }
    case TypeKind::kRecord: {
      const RecordType& ra = a.record();
      const RecordType& rb = b.record();
      if (&ra == &rb) {
        out = a;
        return true;
      }
      if (ra.attrs.size() != rb.attrs.size()) return false;
      RecordAttr* attrs = arena.NewArray<RecordAttr>(ra.attrs.size());
      for (size_t i = 0; i < ra.attrs.size(); ++i) {
        const RecordAttr& x = ra.attrs[i];
        const RecordAttr& y = rb.attrs[i];
        if (x.name != y.name || x.required != y.required) return false;
        attrs[i].name = x.name;
        attrs[i].required = x.required;
        if (!LeastUpperBound(x.type, y.type, arena, attrs[i].type)) return false;
      }
      out = Type::Record(arena.New<RecordType>(RecordType{{attrs, ra.attrs.size()}}));
      return true;
    }
    default:
      out = a;  // the same primitive or extension type
      return true;
  }
}

}  // namespace cedar::validation
