// Writes a SchemaFragment in the Cedar schema format, in the layout the reference engine uses.
#include "cedar/schema/names.h"
#include "cedar/schema_fragment.h"

namespace cedar {

namespace {

using schema_internal::AttributeName;
using schema_internal::QuoteString;

// Thrown inside this file only, for what the Cedar format cannot express.
struct WriteFailure {
  Error error;
};

class CedarSchemaWriter {
 public:
  std::string Write(const SchemaFragment& fragment) {
    bool first = true;
    for (const SchemaNamespace& ns : fragment.namespaces) {
      if (ns.common_types.empty() && ns.entity_types.empty() && ns.actions.empty() &&
          ns.name.empty()) {
        continue;
      }
      if (!first) out_ += '\n';
      first = false;
      if (ns.name.empty()) {
        Declarations(ns, 0);
        continue;
      }
      AnnotationLines(ns.annotations, 0);
      out_ += "namespace " + ns.name + " {\n";
      Declarations(ns, 1);
      out_ += "}\n";
    }
    return std::move(out_);
  }

 private:
  void Indent(int level) { out_.append(static_cast<size_t>(level) * 2, ' '); }

  void AnnotationLines(const Annotations& annotations, int level) {
    for (const auto& [key, value] : annotations) {
      Indent(level);
      out_ += '@';
      out_ += key;
      // Cedar writes an annotation without a value when its value is empty.
      if (!value.empty()) out_ += "(" + QuoteString(value) + ")";
      out_ += '\n';
    }
  }

  void Declarations(const SchemaNamespace& ns, int level) {
    bool first = true;
    auto separate = [&] {
      if (!first) out_ += '\n';
      first = false;
    };
    for (const SchemaCommonTypeDecl& t : ns.common_types) {
      separate();
      AnnotationLines(t.annotations, level);
      Indent(level);
      out_ += "type " + t.name + " = ";
      Type(t.type, level);
      out_ += ";\n";
    }
    for (const SchemaEntityDecl& e : ns.entity_types) {
      separate();
      Entity(e, level);
    }
    for (const SchemaActionDecl& a : ns.actions) {
      separate();
      Action(ns, a, level);
    }
  }

  void NameList(const std::vector<SchemaNameRef>& names) {
    out_ += '[';
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out_ += ", ";
      out_ += names[i].name;
    }
    out_ += ']';
  }

  void Entity(const SchemaEntityDecl& e, int level) {
    AnnotationLines(e.annotations, level);
    Indent(level);
    out_ += "entity " + e.name;
    if (e.enum_ids.has_value()) {
      out_ += " enum [";
      for (size_t i = 0; i < e.enum_ids->size(); ++i) {
        if (i > 0) out_ += ", ";
        out_ += QuoteString((*e.enum_ids)[i]);
      }
      out_ += "];\n";
      return;
    }
    if (!e.member_of_types.empty()) {
      out_ += " in ";
      NameList(e.member_of_types);
    }
    if (e.shape.has_value()) {
      if (e.shape->kind != SchemaTypeExpr::Kind::kRecord) {
        throw WriteFailure{MakeError(
            ErrorCode::kSchema,
            "the shape of entity type `" + e.name +
                "` is not written as a record, which the Cedar schema format cannot express; "
                "write its attributes in the shape instead of referring to a type")};
      }
      out_ += " = ";
      Type(*e.shape, level);
    }
    if (e.tags.has_value()) {
      out_ += " tags ";
      Type(*e.tags, level);
    }
    out_ += ";\n";
  }

  void Action(const SchemaNamespace& ns, const SchemaActionDecl& a, int level) {
    AnnotationLines(a.annotations, level);
    Indent(level);
    out_ += "action " + QuoteString(a.name);
    if (!a.member_of.empty()) {
      out_ += " in [";
      for (size_t i = 0; i < a.member_of.size(); ++i) {
        if (i > 0) out_ += ", ";
        const SchemaActionRef& ref = a.member_of[i];
        if (ref.type.has_value()) out_ += *ref.type + "::";
        out_ += QuoteString(ref.id);
      }
      out_ += ']';
    }
    // An empty principal or resource list means the action applies to nothing, which the
    // Cedar format says by leaving out `appliesTo`.
    const auto& at = a.applies_to;
    if (at.has_value() && !at->principal_types.empty() && !at->resource_types.empty()) {
      out_ += " appliesTo {\n";
      Indent(level + 1);
      out_ += "principal: ";
      NameList(at->principal_types);
      out_ += ",\n";
      Indent(level + 1);
      out_ += "resource: ";
      NameList(at->resource_types);
      if (at->context.has_value()) {
        if (at->context->kind == SchemaTypeExpr::Kind::kSet) {
          throw WriteFailure{MakeError(
              ErrorCode::kSchema,
              "the context of action " + QuoteString(a.name) +
                  (ns.name.empty() ? std::string() : " in namespace `" + ns.name + "`") +
                  " is a set, which the Cedar schema format cannot express (a context is a "
                  "record)")};
        }
        out_ += ",\n";
        Indent(level + 1);
        out_ += "context: ";
        Type(*at->context, level + 1);
      }
      out_ += '\n';
      Indent(level);
      out_ += '}';
    }
    out_ += ";\n";
  }

  void Type(const SchemaTypeExpr& t, int level) {
    using Kind = SchemaTypeExpr::Kind;
    switch (t.kind) {
      case Kind::kName:
      case Kind::kCommon:
      case Kind::kEntity:
        out_ += t.name;
        return;
      // The JSON format's primitive and extension forms cannot be shadowed by declarations;
      // the `__cedar` prefix keeps that true in the Cedar format.
      case Kind::kExtension:
        out_ += "__cedar::" + t.name;
        return;
      case Kind::kLong:
        out_ += "__cedar::Long";
        return;
      case Kind::kString:
        out_ += "__cedar::String";
        return;
      case Kind::kBool:
        out_ += "__cedar::Bool";
        return;
      case Kind::kSet:
        if (t.element == nullptr) {
          throw WriteFailure{
              MakeError(ErrorCode::kSchema, "a set type has no element type to write")};
        }
        out_ += "Set<";
        Type(*t.element, level);
        out_ += '>';
        return;
      case Kind::kRecord:
        if (t.attributes.empty()) {
          out_ += "{}";
          return;
        }
        out_ += "{\n";
        for (size_t i = 0; i < t.attributes.size(); ++i) {
          const SchemaAttributeDecl& attr = t.attributes[i];
          AnnotationLines(attr.annotations, level + 1);
          Indent(level + 1);
          out_ += AttributeName(attr.name);
          if (!attr.required) out_ += '?';
          out_ += ": ";
          Type(attr.type, level + 1);
          if (i + 1 < t.attributes.size()) out_ += ',';
          out_ += '\n';
        }
        Indent(level);
        out_ += '}';
        return;
    }
  }

  std::string out_;
};

}  // namespace

Result<std::string> SchemaFragment::ToCedar() const {
  try {
    CedarSchemaWriter writer;
    return writer.Write(*this);
  } catch (WriteFailure& failure) {
    return std::move(failure.error);
  }
}

}  // namespace cedar
