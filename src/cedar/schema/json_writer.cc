// Writes a SchemaFragment in the JSON schema format.
#include <boost/json.hpp>

#include "cedar/schema/names.h"
#include "cedar/schema_fragment.h"

namespace cedar {

namespace json = boost::json;

namespace {

json::value AnnotationsJson(const Annotations& annotations) {
  json::object o;
  for (const auto& [key, value] : annotations) o[key] = value;
  return o;
}

json::object TypeJson(const SchemaTypeExpr& t) {
  using Kind = SchemaTypeExpr::Kind;
  json::object o;
  switch (t.kind) {
    case Kind::kName:
      o["type"] = "EntityOrCommon";
      o["name"] = t.name;
      break;
    case Kind::kCommon:
      o["type"] = t.name;
      break;
    case Kind::kEntity:
      o["type"] = "Entity";
      o["name"] = t.name;
      break;
    case Kind::kExtension:
      o["type"] = "Extension";
      o["name"] = t.name;
      break;
    case Kind::kLong:
      o["type"] = "Long";
      break;
    case Kind::kString:
      o["type"] = "String";
      break;
    case Kind::kBool:
      o["type"] = "Boolean";
      break;
    case Kind::kSet:
      o["type"] = "Set";
      // A set built in code without an element has none to write (and will not resolve).
      if (t.element != nullptr) o["element"] = TypeJson(*t.element);
      break;
    case Kind::kRecord: {
      o["type"] = "Record";
      json::object attributes;
      for (const SchemaAttributeDecl& attr : t.attributes) {
        json::object a = TypeJson(attr.type);
        if (!attr.required) a["required"] = false;
        if (!attr.annotations.empty()) a["annotations"] = AnnotationsJson(attr.annotations);
        attributes[attr.name] = std::move(a);
      }
      o["attributes"] = std::move(attributes);
      break;
    }
  }
  return o;
}

json::array NamesJson(const std::vector<SchemaNameRef>& names) {
  json::array a;
  for (const SchemaNameRef& n : names) a.emplace_back(n.name);
  return a;
}

json::object NamespaceJson(const SchemaNamespace& ns) {
  json::object o;
  if (!ns.common_types.empty()) {
    json::object common;
    for (const SchemaCommonTypeDecl& t : ns.common_types) {
      json::object type = TypeJson(t.type);
      if (!t.annotations.empty()) type["annotations"] = AnnotationsJson(t.annotations);
      common[t.name] = std::move(type);
    }
    o["commonTypes"] = std::move(common);
  }
  json::object entities;
  for (const SchemaEntityDecl& e : ns.entity_types) {
    json::object d;
    if (e.enum_ids.has_value()) {
      json::array ids;
      for (const std::string& id : *e.enum_ids) ids.emplace_back(id);
      d["enum"] = std::move(ids);
    }
    if (!e.member_of_types.empty()) d["memberOfTypes"] = NamesJson(e.member_of_types);
    if (e.shape.has_value()) d["shape"] = TypeJson(*e.shape);
    if (e.tags.has_value()) d["tags"] = TypeJson(*e.tags);
    if (!e.annotations.empty()) d["annotations"] = AnnotationsJson(e.annotations);
    entities[e.name] = std::move(d);
  }
  o["entityTypes"] = std::move(entities);
  json::object actions;
  for (const SchemaActionDecl& a : ns.actions) {
    json::object d;
    if (!a.member_of.empty()) {
      json::array parents;
      for (const SchemaActionRef& ref : a.member_of) {
        json::object p;
        p["id"] = ref.id;
        if (ref.type.has_value()) p["type"] = *ref.type;
        parents.emplace_back(std::move(p));
      }
      d["memberOf"] = std::move(parents);
    }
    if (a.applies_to.has_value()) {
      json::object at;
      at["principalTypes"] = NamesJson(a.applies_to->principal_types);
      at["resourceTypes"] = NamesJson(a.applies_to->resource_types);
      if (a.applies_to->context.has_value()) at["context"] = TypeJson(*a.applies_to->context);
      d["appliesTo"] = std::move(at);
    }
    if (!a.annotations.empty()) d["annotations"] = AnnotationsJson(a.annotations);
    actions[a.name] = std::move(d);
  }
  o["actions"] = std::move(actions);
  if (!ns.annotations.empty()) o["annotations"] = AnnotationsJson(ns.annotations);
  return o;
}

void Pretty(const json::value& v, int level, std::string& out) {
  auto indent = [&](int l) { out.append(static_cast<size_t>(l) * 2, ' '); };
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      size_t i = 0;
      for (const auto& [key, value] : o) {
        indent(level + 1);
        out += json::serialize(json::string_view(key));
        out += ": ";
        Pretty(value, level + 1, out);
        if (++i < o.size()) out += ',';
        out += '\n';
      }
      indent(level);
      out += '}';
      return;
    }
    case json::kind::array: {
      const json::array& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (size_t i = 0; i < a.size(); ++i) {
        indent(level + 1);
        Pretty(a[i], level + 1, out);
        if (i + 1 < a.size()) out += ',';
        out += '\n';
      }
      indent(level);
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

json::value SchemaFragment::ToJson() const {
  json::object o;
  for (const SchemaNamespace& ns : namespaces) o[ns.name] = NamespaceJson(ns);
  return o;
}

std::string SchemaFragment::ToJsonText() const {
  std::string out;
  Pretty(ToJson(), 0, out);
  out += '\n';
  return out;
}

}  // namespace cedar
