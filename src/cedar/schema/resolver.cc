// Resolution of a SchemaFragment into a Schema: name lookup with Cedar's rules, common types
// inlined, and the checks that need the whole schema (shadowing, undeclared names, cycles).
#include <algorithm>
#include <optional>
#include <set>

#include "cedar/schema.h"
#include "cedar/schema/names.h"
#include "cedar/schema_fragment.h"

namespace cedar {

namespace {

using schema_internal::BuiltinType;
using schema_internal::IsExtensionTypeName;
using schema_internal::Qualify;
using schema_internal::QuoteString;

// Thrown inside this file only; Schema::FromFragment turns it into an Error.
struct ResolveFailure {
  Error error;
};

[[noreturn]] void Fail(std::string message, SourcePos pos) {
  throw ResolveFailure{MakeError(ErrorCode::kSchema, std::move(message), pos)};
}

std::string Quoted(std::string_view name) {
  return "`" + std::string(name) + "`";
}

std::string ActionName(const ActionRef& ref) {
  return ref.type + "::" + QuoteString(ref.id);
}

// What a name may resolve to, by where it appears.
enum class Lookup : uint8_t {
  kAny,              // common, entity (action types included) or built-in type
  kCommonOrBuiltin,  // JSON {"type": name}, a Cedar-format context name
  kEntity,           // JSON {"type": "Entity"}: entity types, action types included
  kDeclaredEntity,   // memberOfTypes, principal, resource: declared entity types only
};

class Resolver {
 public:
  explicit Resolver(const SchemaFragment& fragment) : fragment_(fragment) {}

  void Run(std::map<std::string, EntityTypeDef, std::less<>>& entity_types,
           std::map<ActionRef, ActionDef>& actions) {
    Collect();
    CheckShadowing();
    // Dependencies first, so that resolving one common type never recurses through others:
    // chains of common types can be long.
    for (const std::string& fqn : CommonTypeOrder()) ResolveCommon(fqn);
    for (const SchemaNamespace& ns : fragment_.namespaces) {
      for (const SchemaEntityDecl& e : ns.entity_types) {
        EntityTypeDef def = ResolveEntity(ns.name, e);
        entity_types.emplace(def.name, std::move(def));
      }
      for (const SchemaActionDecl& a : ns.actions) {
        ActionDef def = ResolveAction(ns.name, a);
        actions.emplace(def.uid, std::move(def));
      }
    }
    CheckActionCycles(actions);
  }

 private:
  struct CommonType {
    const SchemaCommonTypeDecl* decl = nullptr;
    std::string ns;
    enum class State : uint8_t { kPending, kResolving, kDone } state = State::kPending;
    SchemaTypePtr resolved;
  };

  void Collect() {
    for (const SchemaNamespace& ns : fragment_.namespaces) {
      for (const SchemaCommonTypeDecl& t : ns.common_types) {
        CommonType& c = commons_[Qualify(ns.name, t.name)];
        c.decl = &t;
        c.ns = ns.name;
      }
      for (const SchemaEntityDecl& e : ns.entity_types) entities_.insert(Qualify(ns.name, e.name));
      if (!ns.actions.empty()) action_types_.insert(Qualify(ns.name, "Action"));
      for (const SchemaActionDecl& a : ns.actions) {
        declared_actions_.insert(ActionRef{Qualify(ns.name, "Action"), a.name});
      }
    }
  }

  // A name declared in a namespace may not also be declared in the empty namespace, where an
  // unqualified reference from inside the namespace could mean either.
  void CheckShadowing() const {
    for (const SchemaNamespace& ns : fragment_.namespaces) {
      if (ns.name.empty()) continue;
      auto check = [&](const std::string& name, SourcePos pos) {
        if (commons_.count(name) != 0 || entities_.count(name) != 0) {
          Fail("the declaration of " + Quoted(Qualify(ns.name, name)) + " shadows " + Quoted(name) +
                   ", declared outside any namespace; rename one of them",
               pos);
        }
      };
      for (const SchemaCommonTypeDecl& t : ns.common_types) check(t.name, t.pos);
      for (const SchemaEntityDecl& e : ns.entity_types) check(e.name, e.pos);
      for (const SchemaActionDecl& a : ns.actions) {
        if (declared_actions_.count(ActionRef{"Action", a.name}) != 0) {
          Fail("the declaration of " + ActionName({Qualify(ns.name, "Action"), a.name}) +
                   " shadows " + ActionName({"Action", a.name}) +
                   ", declared outside any namespace; rename one of them",
               a.pos);
        }
      }
    }
  }

  bool IsEntity(const std::string& name, Lookup lookup) const {
    if (entities_.count(name) != 0) return true;
    return lookup != Lookup::kDeclaredEntity && action_types_.count(name) != 0;
  }

  SchemaTypePtr EntityType(std::string name) const {
    auto t = std::make_shared<SchemaType>();
    t->kind = SchemaType::Kind::kEntity;
    t->name = std::move(name);
    return t;
  }

  // Resolves `name` written in namespace `ns`. `where` says where it appears, for errors.
  SchemaTypePtr ResolveName(const std::string& ns, const std::string& name, Lookup lookup,
                            SourcePos pos, const std::string& where) {
    bool commons = lookup == Lookup::kAny || lookup == Lookup::kCommonOrBuiltin;
    bool entities = lookup != Lookup::kCommonOrBuiltin;
    bool builtins = commons;
    std::string what = lookup == Lookup::kAny               ? "common or entity type"
                       : lookup == Lookup::kCommonOrBuiltin ? "common type"
                                                            : "entity type";
    if (name.find("::") != std::string::npos) {
      if (builtins && name.rfind("__cedar::", 0) == 0) {
        if (SchemaTypePtr t = BuiltinType(name.substr(9))) return t;
        Fail("unknown type " + Quoted(name) + " in " + where +
                 ": `__cedar` holds only the built-in types Long, String, Bool, ipaddr, "
                 "decimal, datetime and duration",
             pos);
      }
      if (commons && commons_.count(name) != 0) return ResolveCommon(name);
      if (entities && IsEntity(name, lookup)) return EntityType(name);
      Fail("unknown " + what + " " + Quoted(name) + " in " + where + ": it is not declared", pos);
    }
    // Unqualified: the namespace's own declarations first, then the empty namespace's, then
    // the built-in types.
    std::vector<std::string> scopes;
    if (!ns.empty()) scopes.push_back(Qualify(ns, name));
    scopes.push_back(name);
    for (const std::string& candidate : scopes) {
      if (commons && commons_.count(candidate) != 0) return ResolveCommon(candidate);
      if (entities && IsEntity(candidate, lookup)) return EntityType(candidate);
    }
    if (builtins) {
      if (SchemaTypePtr t = BuiltinType(name)) return t;
    }
    std::string message = "unknown " + what + " " + Quoted(name) + " in " + where + ": ";
    message += ns.empty() ? "it is not declared"
                          : "neither " + Quoted(Qualify(ns, name)) + " nor " + Quoted(name) +
                                " is declared";
    if (builtins) message += ", and it is not a built-in type";
    if (lookup == Lookup::kDeclaredEntity) {
      for (const std::string& candidate : scopes) {
        if (action_types_.count(candidate) != 0) {
          message = Quoted(candidate) + " in " + where +
                    " is the type of actions, not a declared entity type";
        }
      }
    }
    Fail(message, pos);
  }

  // The common type that `name` resolves to (ResolveName's rules), if it resolves to one.
  std::optional<std::string> CommonTarget(const std::string& ns, const std::string& name,
                                          Lookup lookup) const {
    if (lookup != Lookup::kAny && lookup != Lookup::kCommonOrBuiltin) return std::nullopt;
    if (name.find("::") != std::string::npos) {
      if (name.rfind("__cedar::", 0) == 0 || commons_.count(name) == 0) return std::nullopt;
      return name;
    }
    std::vector<std::string> scopes;
    if (!ns.empty()) scopes.push_back(Qualify(ns, name));
    scopes.push_back(name);
    for (const std::string& candidate : scopes) {
      if (commons_.count(candidate) != 0) return candidate;
      if (lookup == Lookup::kAny && IsEntity(candidate, lookup)) return std::nullopt;
    }
    return std::nullopt;
  }

  // The common types a type expression refers to directly.
  void CommonRefs(const std::string& ns, const SchemaTypeExpr& expr,
                  std::vector<std::string>& out) const {
    using Kind = SchemaTypeExpr::Kind;
    std::optional<std::string> target;
    if (expr.kind == Kind::kName) target = CommonTarget(ns, expr.name, Lookup::kAny);
    if (expr.kind == Kind::kCommon) target = CommonTarget(ns, expr.name, Lookup::kCommonOrBuiltin);
    if (target) out.push_back(std::move(*target));
    if (expr.kind == Kind::kSet && expr.element != nullptr) CommonRefs(ns, *expr.element, out);
    for (const SchemaAttributeDecl& attr : expr.attributes) CommonRefs(ns, attr.type, out);
  }

  // All common types, each after the ones it refers to; a cycle is an error.
  std::vector<std::string> CommonTypeOrder() const {
    std::map<std::string, std::vector<std::string>> refs;
    std::vector<std::string> declared;
    for (const SchemaNamespace& ns : fragment_.namespaces) {
      for (const SchemaCommonTypeDecl& t : ns.common_types) {
        std::string fqn = Qualify(ns.name, t.name);
        CommonRefs(ns.name, t.type, refs[fqn]);
        declared.push_back(std::move(fqn));
      }
    }
    enum class Mark : uint8_t { kNone, kActive, kDone };
    std::map<std::string, Mark> marks;
    std::vector<std::string> order;
    for (const std::string& start : declared) {
      if (marks[start] != Mark::kNone) continue;
      // Iterative depth-first search, emitting each type after its references.
      std::vector<std::pair<std::string, size_t>> stack{{start, 0}};
      marks[start] = Mark::kActive;
      while (!stack.empty()) {
        std::string cur = stack.back().first;
        size_t next = stack.back().second++;
        const std::vector<std::string>& out = refs[cur];
        if (next == out.size()) {
          marks[cur] = Mark::kDone;
          order.push_back(cur);
          stack.pop_back();
          continue;
        }
        const std::string& ref = out[next];
        Mark& m = marks[ref];
        if (m == Mark::kActive) {
          std::string chain;
          auto from = std::find_if(stack.begin(), stack.end(),
                                   [&](const auto& frame) { return frame.first == ref; });
          for (auto it = from; it != stack.end(); ++it) chain += Quoted(it->first) + " -> ";
          chain += Quoted(ref);
          Fail("common types refer to each other in a cycle: " + chain, commons_.at(ref).decl->pos);
        }
        if (m == Mark::kNone) {
          m = Mark::kActive;
          stack.emplace_back(ref, 0);
        }
      }
    }
    return order;
  }

  SchemaTypePtr ResolveCommon(const std::string& fqn) {
    CommonType& c = commons_.at(fqn);
    if (c.state == CommonType::State::kDone) return c.resolved;
    if (c.state == CommonType::State::kResolving) {
      std::string chain;
      auto start = std::find(resolving_.begin(), resolving_.end(), fqn);
      for (auto it = start; it != resolving_.end(); ++it) chain += Quoted(*it) + " -> ";
      chain += Quoted(fqn);
      Fail("common types refer to each other in a cycle: " + chain, c.decl->pos);
    }
    c.state = CommonType::State::kResolving;
    resolving_.push_back(fqn);
    SchemaTypePtr t = ResolveType(c.ns, c.decl->type, "common type " + Quoted(fqn));
    resolving_.pop_back();
    // `commons_` does not grow while resolving, so `c` is still valid.
    c.resolved = std::move(t);
    c.state = CommonType::State::kDone;
    return c.resolved;
  }

  SchemaTypePtr ResolveType(const std::string& ns, const SchemaTypeExpr& expr,
                            const std::string& where) {
    using Kind = SchemaTypeExpr::Kind;
    auto make = [](SchemaType::Kind kind) {
      auto t = std::make_shared<SchemaType>();
      t->kind = kind;
      return t;
    };
    switch (expr.kind) {
      case Kind::kName:
        return ResolveName(ns, expr.name, Lookup::kAny, expr.pos, where);
      case Kind::kCommon:
        return ResolveName(ns, expr.name, Lookup::kCommonOrBuiltin, expr.pos, where);
      case Kind::kEntity:
        return ResolveName(ns, expr.name, Lookup::kEntity, expr.pos, where);
      case Kind::kExtension: {
        if (!IsExtensionTypeName(expr.name)) {
          Fail("unknown extension type " + Quoted(expr.name) + " in " + where, expr.pos);
        }
        return BuiltinType(expr.name);
      }
      case Kind::kLong:
        return make(SchemaType::Kind::kLong);
      case Kind::kString:
        return make(SchemaType::Kind::kString);
      case Kind::kBool:
        return make(SchemaType::Kind::kBool);
      case Kind::kSet: {
        if (expr.element == nullptr)
          Fail("a set type without an element type in " + where, expr.pos);
        auto t = make(SchemaType::Kind::kSet);
        t->element = ResolveType(ns, *expr.element, where);
        return t;
      }
      case Kind::kRecord: {
        auto t = make(SchemaType::Kind::kRecord);
        for (const SchemaAttributeDecl& attr : expr.attributes) {
          AttributeType a;
          a.type = ResolveType(ns, attr.type, where);
          a.required = attr.required;
          a.annotations = attr.annotations;
          t->attributes.insert_or_assign(attr.name, std::move(a));
        }
        return t;
      }
    }
    Fail("invalid type expression in " + where, expr.pos);
  }

  // The resolved entity types, without repeats, in the order written.
  std::vector<std::string> ResolveEntityList(const std::string& ns,
                                             const std::vector<SchemaNameRef>& names,
                                             const std::string& where) {
    std::vector<std::string> out;
    for (const SchemaNameRef& ref : names) {
      SchemaTypePtr t = ResolveName(ns, ref.name, Lookup::kDeclaredEntity, ref.pos, where);
      if (std::find(out.begin(), out.end(), t->name) == out.end()) out.push_back(t->name);
    }
    return out;
  }

  static SchemaTypePtr EmptyRecord() {
    auto t = std::make_shared<SchemaType>();
    t->kind = SchemaType::Kind::kRecord;
    return t;
  }

  EntityTypeDef ResolveEntity(const std::string& ns, const SchemaEntityDecl& e) {
    EntityTypeDef def;
    def.name = Qualify(ns, e.name);
    std::string self = "entity type " + Quoted(def.name);
    def.member_of = ResolveEntityList(ns, e.member_of_types, "the parents of " + self);
    if (e.shape.has_value()) {
      def.shape = ResolveType(ns, *e.shape, "the attributes of " + self);
      if (def.shape->kind != SchemaType::Kind::kRecord) {
        Fail("the shape of " + self + " must be a record type, but it is " +
                 Quoted(def.shape->ToString()),
             e.shape->pos.line != 0 ? e.shape->pos : e.pos);
      }
    } else {
      def.shape = EmptyRecord();
    }
    if (e.tags.has_value()) def.tags = ResolveType(ns, *e.tags, "the tags of " + self);
    def.enum_ids = e.enum_ids;
    def.annotations = e.annotations;
    return def;
  }

  ActionRef ResolveActionRef(const std::string& ns, const SchemaActionRef& ref,
                             const std::string& where) {
    if (!ref.type.has_value() || *ref.type == "Action") {
      // The same namespace's action if declared, else the empty namespace's.
      ActionRef own{Qualify(ns, "Action"), ref.id};
      if (declared_actions_.count(own) != 0) return own;
      ActionRef top{"Action", ref.id};
      if (declared_actions_.count(top) != 0) return top;
      Fail(ActionName(top) + " in " + where + " is not a declared action" +
               (ns.empty() ? std::string() : " (nor is " + ActionName(own) + ")"),
           ref.pos);
    }
    ActionRef exact{*ref.type, ref.id};
    if (declared_actions_.count(exact) == 0) {
      Fail(ActionName(exact) + " in " + where + " is not a declared action", ref.pos);
    }
    return exact;
  }

  ActionDef ResolveAction(const std::string& ns, const SchemaActionDecl& a) {
    ActionDef def;
    def.uid = ActionRef{Qualify(ns, "Action"), a.name};
    std::string self = "action " + ActionName(def.uid);
    for (const SchemaActionRef& ref : a.member_of) {
      ActionRef parent = ResolveActionRef(ns, ref, "the parents of " + self);
      if (std::find(def.member_of.begin(), def.member_of.end(), parent) == def.member_of.end()) {
        def.member_of.push_back(std::move(parent));
      }
    }
    def.context = EmptyRecord();
    if (a.applies_to.has_value()) {
      def.has_applies_to = true;
      def.principal_types =
          ResolveEntityList(ns, a.applies_to->principal_types, "the principal types of " + self);
      def.resource_types =
          ResolveEntityList(ns, a.applies_to->resource_types, "the resource types of " + self);
      if (a.applies_to->context.has_value()) {
        const SchemaTypeExpr& context = *a.applies_to->context;
        def.context = ResolveType(ns, context, "the context of " + self);
        if (def.context->kind != SchemaType::Kind::kRecord) {
          Fail("the context of " + self + " must be a record type, but it is " +
                   Quoted(def.context->ToString()),
               context.pos.line != 0 ? context.pos : a.pos);
        }
      }
    }
    if (def.principal_types.empty() || def.resource_types.empty()) {
      // No request can use the action: the same as having no appliesTo (checked above all
      // the same, as the reference engine does).
      def.has_applies_to = false;
      def.principal_types.clear();
      def.resource_types.clear();
      def.context = EmptyRecord();
    }
    def.annotations = a.annotations;
    return def;
  }

  void CheckActionCycles(const std::map<ActionRef, ActionDef>& actions) const {
    enum class Mark : uint8_t { kNone, kActive, kDone };
    std::map<ActionRef, Mark> marks;
    std::vector<ActionRef> path;
    // Iterative depth-first search: hierarchies in generated schemas can be deep.
    for (const auto& [start, unused] : actions) {
      if (marks[start] != Mark::kNone) continue;
      std::vector<std::pair<ActionRef, size_t>> stack{{start, 0}};
      marks[start] = Mark::kActive;
      path.push_back(start);
      while (!stack.empty()) {
        auto& [cur, next] = stack.back();
        const ActionDef& def = actions.at(cur);
        if (next == def.member_of.size()) {
          marks[cur] = Mark::kDone;
          path.pop_back();
          stack.pop_back();
          continue;
        }
        const ActionRef& parent = def.member_of[next++];
        Mark& m = marks[parent];
        if (m == Mark::kActive) {
          std::string chain;
          auto from = std::find(path.begin(), path.end(), parent);
          for (auto it = from; it != path.end(); ++it) chain += ActionName(*it) + " -> ";
          chain += ActionName(parent);
          SourcePos pos;
          if (const SchemaActionDecl* decl = FindActionDecl(parent)) pos = decl->pos;
          Fail("the action hierarchy has a cycle: " + chain, pos);
        }
        if (m == Mark::kNone) {
          m = Mark::kActive;
          path.push_back(parent);
          stack.emplace_back(parent, 0);
        }
      }
    }
  }

  const SchemaActionDecl* FindActionDecl(const ActionRef& ref) const {
    for (const SchemaNamespace& ns : fragment_.namespaces) {
      if (Qualify(ns.name, "Action") != ref.type) continue;
      for (const SchemaActionDecl& a : ns.actions) {
        if (a.name == ref.id) return &a;
      }
    }
    return nullptr;
  }

  const SchemaFragment& fragment_;
  std::map<std::string, CommonType> commons_;
  std::set<std::string> entities_;
  std::set<std::string> action_types_;
  std::set<ActionRef> declared_actions_;
  std::vector<std::string> resolving_;
};

}  // namespace

Result<Schema> Schema::FromFragment(const SchemaFragment& fragment) {
  Status st = schema_internal::CheckDeclarations(fragment);
  if (!st.ok()) return st.error();
  Schema schema;
  try {
    Resolver resolver(fragment);
    resolver.Run(schema.entity_types_, schema.actions_);
  } catch (ResolveFailure& failure) {
    return std::move(failure.error);
  }
  return schema;
}

Result<Schema> Schema::FromCedar(std::string_view text) {
  auto fragment = SchemaFragment::FromCedar(text);
  if (!fragment.ok()) return fragment.take_error();
  return FromFragment(*fragment);
}

Result<Schema> Schema::FromJson(std::string_view text) {
  auto fragment = SchemaFragment::FromJson(text);
  if (!fragment.ok()) return fragment.take_error();
  return FromFragment(*fragment);
}

}  // namespace cedar
