// The policy JSON format (EST) in both directions.
#include <map>

#include "cedar/json.h"
#include "cedar/json/json_util.h"
#include "cedar/syntax/lexer.h"

namespace cedar {

namespace json = boost::json;

namespace {

// ---- writing ----

json::value ScopeEntityJson(const EntityUID* uid, bool slot, const char* slot_name) {
  if (slot) return json::object{{"slot", slot_name}};
  return json::object{{"entity", EntityUIDToJson(*uid)}};
}

json::value EntityScopeToJson(const EntityScope& s, const char* slot_name) {
  json::object o;
  switch (s.op) {
    case EntityScope::kAny:
      o["op"] = "All";
      break;
    case EntityScope::kEq:
    case EntityScope::kIn: {
      o["op"] = s.op == EntityScope::kEq ? "==" : "in";
      json::value target = ScopeEntityJson(s.uid, s.slot, slot_name);
      for (auto& kv : target.as_object()) o[kv.key()] = kv.value();
      break;
    }
    case EntityScope::kIs:
    case EntityScope::kIsIn:
      o["op"] = "is";
      o["entity_type"] = json::string_view(s.entity_type.data(), s.entity_type.size());
      if (s.op == EntityScope::kIsIn) o["in"] = ScopeEntityJson(s.uid, s.slot, slot_name);
      break;
  }
  return o;
}

json::value ActionScopeToJson(const ActionScope& s) {
  json::object o;
  switch (s.op) {
    case ActionScope::kAny:
      o["op"] = "All";
      break;
    case ActionScope::kEq:
      o["op"] = "==";
      o["entity"] = EntityUIDToJson(*s.uids[0]);
      break;
    case ActionScope::kIn:
      o["op"] = "in";
      o["entity"] = EntityUIDToJson(*s.uids[0]);
      break;
    case ActionScope::kInSet: {
      o["op"] = "in";
      json::array a;
      for (const EntityUID* u : s.uids) a.push_back(EntityUIDToJson(*u));
      o["entities"] = std::move(a);
      break;
    }
  }
  return o;
}

json::string_view Js(std::string_view s) {
  return {s.data(), s.size()};
}

json::value ExprToJson(const Expr& e);

json::value Binary(const char* op, const Expr& a, const Expr& b) {
  return json::object{{op, json::object{{"left", ExprToJson(a)}, {"right", ExprToJson(b)}}}};
}

json::value ExprToJson(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return json::object{{"Value", ValueToJson(e.lit)}};
    case ExprKind::kVar:
      return json::object{{"Var", VarName(e.var)}};
    case ExprKind::kSlot:
      return json::object{{"Slot", e.slot == SlotId::kPrincipal ? "?principal" : "?resource"}};
    case ExprKind::kIf:
      return json::object{{"if-then-else", json::object{{"if", ExprToJson(*e.a)},
                                                        {"then", ExprToJson(*e.b)},
                                                        {"else", ExprToJson(*e.c)}}}};
    case ExprKind::kAnd:
      return Binary("&&", *e.a, *e.b);
    case ExprKind::kOr:
      return Binary("||", *e.a, *e.b);
    case ExprKind::kUnary: {
      const char* op = e.unary_op == UnaryOp::kNot   ? "!"
                       : e.unary_op == UnaryOp::kNeg ? "neg"
                                                     : "isEmpty";
      return json::object{{op, json::object{{"arg", ExprToJson(*e.a)}}}};
    }
    case ExprKind::kBinary:
      return Binary(BinaryOpText(e.binary_op), *e.a, *e.b);
    case ExprKind::kGetAttr:
      return json::object{{".", json::object{{"left", ExprToJson(*e.a)}, {"attr", Js(e.name)}}}};
    case ExprKind::kHasAttr: {
      json::value attr;
      if (e.path.size() == 1) {
        attr = Js(e.path[0]);
      } else {
        json::array a;
        for (auto p : e.path) a.push_back(Js(p));
        attr = std::move(a);
      }
      return json::object{{"has", json::object{{"left", ExprToJson(*e.a)}, {"attr", attr}}}};
    }
    case ExprKind::kLike: {
      json::array pat;
      for (const auto& el : e.pattern) {
        if (el.wildcard) {
          pat.push_back("Wildcard");
          continue;
        }
        // One element per character, as the reference format does.
        std::string_view s = el.literal;
        for (size_t i = 0; i < s.size();) {
          size_t n = 1;
          unsigned char c = static_cast<unsigned char>(s[i]);
          if (c >= 0xF0)
            n = 4;
          else if (c >= 0xE0)
            n = 3;
          else if (c >= 0xC0)
            n = 2;
          pat.push_back(json::object{{"Literal", Js(s.substr(i, n))}});
          i += n;
        }
      }
      return json::object{
          {"like", json::object{{"left", ExprToJson(*e.a)}, {"pattern", std::move(pat)}}}};
    }
    case ExprKind::kIs: {
      json::object body{{"left", ExprToJson(*e.a)}, {"entity_type", Js(e.name)}};
      if (e.b != nullptr) body["in"] = ExprToJson(*e.b);
      return json::object{{"is", std::move(body)}};
    }
    case ExprKind::kSet: {
      json::array a;
      for (const Expr* x : e.items) a.push_back(ExprToJson(*x));
      return json::object{{"Set", std::move(a)}};
    }
    case ExprKind::kRecord: {
      json::object o;
      for (const auto& f : e.fields) o[Js(f.key)] = ExprToJson(*f.value);
      return json::object{{"Record", std::move(o)}};
    }
    case ExprKind::kCall: {
      json::array args;
      for (const Expr* x : e.items) args.push_back(ExprToJson(*x));
      return json::object{{ExtFnInfoOf(e.ext_fn).name, std::move(args)}};
    }
  }
  return nullptr;
}

// ---- reading ----

struct EstFailure {
  Error error;
};

[[noreturn]] void Fail(std::string msg) {
  throw EstFailure{MakeError(ErrorCode::kJson, "policy JSON: " + std::move(msg))};
}

class EstReader {
 public:
  std::shared_ptr<PolicyAst> ReadPolicy(const json::value& v) {
    const json::object& o = Obj(v, "a policy");
    auto ast = std::make_shared<PolicyAst>();
    for (const auto& kv : o) {
      std::string_view k = Sv(kv.key());
      if (k != "effect" && k != "principal" && k != "action" && k != "resource" &&
          k != "conditions" && k != "annotations") {
        Fail("unknown field `" + std::string(k) + "`");
      }
    }
    std::string_view effect = Str(Field(o, "effect"), "`effect`");
    if (effect == "permit") {
      ast->effect = Effect::kPermit;
    } else if (effect == "forbid") {
      ast->effect = Effect::kForbid;
    } else {
      Fail("`effect` must be \"permit\" or \"forbid\"");
    }
    ReadEntityScope(Field(o, "principal"), ast->principal, "?principal", ast->arena);
    ReadActionScope(Field(o, "action"), ast->action, ast->arena);
    ReadEntityScope(Field(o, "resource"), ast->resource, "?resource", ast->arena);
    if (const json::value* conds = o.if_contains("conditions")) {
      if (!conds->is_array()) Fail("`conditions` must be an array");
      for (const auto& c : conds->get_array()) {
        const json::object& co = Obj(c, "a condition");
        std::string_view kind = Str(Field(co, "kind"), "`kind`");
        if (kind != "when" && kind != "unless")
          Fail("condition `kind` must be \"when\" or \"unless\"");
        Condition cond;
        cond.is_when = kind == "when";
        cond.expr = ReadExpr(Field(co, "body"), ast->arena);
        ast->conditions.push_back(cond);
      }
    }
    if (const json::value* ann = o.if_contains("annotations")) {
      for (const auto& kv : Obj(*ann, "`annotations`")) {
        Annotation a;
        a.key = ast->arena.CopyString(Sv(kv.key()));
        if (!IsIdentifier(a.key)) Fail("invalid annotation name `" + std::string(a.key) + "`");
        if (kv.value().is_string()) {
          a.value = ast->arena.CopyString(Sv(kv.value().get_string()));
          a.has_value = true;
        } else if (!kv.value().is_null()) {
          Fail("annotation values must be strings or null");
        }
        ast->annotations.push_back(a);
      }
    }
    return ast;
  }

 private:
  static const json::object& Obj(const json::value& v, const char* what) {
    if (!v.is_object()) Fail(std::string(what) + " must be an object");
    return v.get_object();
  }
  static const json::value& Field(const json::object& o, const char* name) {
    const json::value* v = o.if_contains(name);
    if (v == nullptr) Fail(std::string("missing field `") + name + "`");
    return *v;
  }
  static std::string_view Str(const json::value& v, const char* what) {
    if (!v.is_string()) Fail(std::string(what) + " must be a string");
    return Sv(v.get_string());
  }

  const EntityUID* Uid(const json::value& v, Arena& arena) {
    auto r = EntityUIDFromJson(v, arena);
    if (!r.ok()) Fail(r.error().message);
    return *r;
  }

  void ReadTarget(const json::object& o, EntityScope& s, const char* slot_name, Arena& arena) {
    if (const json::value* slot = o.if_contains("slot")) {
      if (Str(*slot, "`slot`") != slot_name) Fail(std::string("expected slot ") + slot_name);
      s.slot = true;
    } else {
      s.uid = Uid(Field(o, "entity"), arena);
    }
  }

  void ReadEntityScope(const json::value& v, EntityScope& s, const char* slot_name, Arena& arena) {
    const json::object& o = Obj(v, "a scope constraint");
    std::string_view op = Str(Field(o, "op"), "`op`");
    if (op == "All") {
      s.op = EntityScope::kAny;
    } else if (op == "==" || op == "in") {
      s.op = op == "==" ? EntityScope::kEq : EntityScope::kIn;
      ReadTarget(o, s, slot_name, arena);
    } else if (op == "is") {
      s.op = EntityScope::kIs;
      s.entity_type = arena.CopyString(Str(Field(o, "entity_type"), "`entity_type`"));
      if (const json::value* in = o.if_contains("in")) {
        s.op = EntityScope::kIsIn;
        ReadTarget(Obj(*in, "`in`"), s, slot_name, arena);
      }
    } else {
      Fail("unknown scope operator `" + std::string(op) + "`");
    }
  }

  void ReadActionScope(const json::value& v, ActionScope& s, Arena& arena) {
    const json::object& o = Obj(v, "the action constraint");
    std::string_view op = Str(Field(o, "op"), "`op`");
    std::vector<const EntityUID*> uids;
    if (op == "All") {
      s.op = ActionScope::kAny;
    } else if (op == "==") {
      s.op = ActionScope::kEq;
      uids.push_back(Uid(Field(o, "entity"), arena));
    } else if (op == "in") {
      if (const json::value* list = o.if_contains("entities")) {
        s.op = ActionScope::kInSet;
        if (!list->is_array()) Fail("`entities` must be an array");
        for (const auto& x : list->get_array()) uids.push_back(Uid(x, arena));
      } else {
        s.op = ActionScope::kIn;
        uids.push_back(Uid(Field(o, "entity"), arena));
      }
    } else {
      Fail("unknown action scope operator `" + std::string(op) + "`");
    }
    s.uids = arena.CopyArray<const EntityUID*>(uids);
  }

  Expr* New(Arena& arena, ExprKind k) {
    Expr* e = arena.New<Expr>();
    e->kind = k;
    return e;
  }

  const Expr* ReadExpr(const json::value& v, Arena& arena) {
    if (++depth_ > kMaxJsonDepth) Fail("expression nested too deeply");
    const Expr* e = ReadExprInner(v, arena);
    --depth_;
    return e;
  }

  const Expr* ReadExprInner(const json::value& v, Arena& arena) {
    const json::object& o = Obj(v, "an expression");
    if (o.size() != 1) Fail("an expression object must have exactly one key");
    std::string_view k = Sv(o.begin()->key());
    const json::value& body = o.begin()->value();
    static const std::map<std::string_view, BinaryOp, std::less<>> kBinary = {
        {"==", BinaryOp::kEq},
        {"!=", BinaryOp::kNe},
        {"<", BinaryOp::kLt},
        {"<=", BinaryOp::kLe},
        {">", BinaryOp::kGt},
        {">=", BinaryOp::kGe},
        {"+", BinaryOp::kAdd},
        {"-", BinaryOp::kSub},
        {"*", BinaryOp::kMul},
        {"in", BinaryOp::kIn},
        {"contains", BinaryOp::kContains},
        {"containsAll", BinaryOp::kContainsAll},
        {"containsAny", BinaryOp::kContainsAny},
        {"getTag", BinaryOp::kGetTag},
        {"hasTag", BinaryOp::kHasTag}};
    if (k == "Value") {
      Expr* e = New(arena, ExprKind::kLiteral);
      auto val = ValueFromJson(body, arena);
      if (!val.ok()) Fail(val.error().message);
      e->lit = *val;
      return e;
    }
    if (k == "Var") {
      std::string_view name = Str(body, "`Var`");
      Expr* e = New(arena, ExprKind::kVar);
      if (name == "principal")
        e->var = Var::kPrincipal;
      else if (name == "action")
        e->var = Var::kAction;
      else if (name == "resource")
        e->var = Var::kResource;
      else if (name == "context")
        e->var = Var::kContext;
      else
        Fail("unknown variable `" + std::string(name) + "`");
      return e;
    }
    if (k == "Slot") Fail("template slots may only appear in the scope");
    if (k == "Unknown") Fail("unknowns are not supported");
    if (k == "&&" || k == "||") {
      const json::object& b = Obj(body, "an operator body");
      Expr* e = New(arena, k == "&&" ? ExprKind::kAnd : ExprKind::kOr);
      e->a = ReadExpr(Field(b, "left"), arena);
      e->b = ReadExpr(Field(b, "right"), arena);
      return e;
    }
    if (auto it = kBinary.find(k); it != kBinary.end()) {
      const json::object& b = Obj(body, "an operator body");
      Expr* e = New(arena, ExprKind::kBinary);
      e->binary_op = it->second;
      e->a = ReadExpr(Field(b, "left"), arena);
      e->b = ReadExpr(Field(b, "right"), arena);
      return e;
    }
    if (k == "!" || k == "neg" || k == "isEmpty") {
      const json::object& b = Obj(body, "an operator body");
      Expr* e = New(arena, ExprKind::kUnary);
      e->unary_op = k == "!" ? UnaryOp::kNot : k == "neg" ? UnaryOp::kNeg : UnaryOp::kIsEmpty;
      e->a = ReadExpr(Field(b, "arg"), arena);
      return e;
    }
    if (k == ".") {
      const json::object& b = Obj(body, "`.`");
      Expr* e = New(arena, ExprKind::kGetAttr);
      e->a = ReadExpr(Field(b, "left"), arena);
      e->name = arena.CopyString(Str(Field(b, "attr"), "`attr`"));
      return e;
    }
    if (k == "has") {
      const json::object& b = Obj(body, "`has`");
      Expr* e = New(arena, ExprKind::kHasAttr);
      e->a = ReadExpr(Field(b, "left"), arena);
      const json::value& attr = Field(b, "attr");
      std::vector<std::string_view> path;
      if (attr.is_string()) {
        path.push_back(arena.CopyString(Sv(attr.get_string())));
      } else if (attr.is_array() && !attr.get_array().empty()) {
        for (const auto& p : attr.get_array()) path.push_back(arena.CopyString(Str(p, "`attr`")));
      } else {
        Fail("`attr` of `has` must be a string or a non-empty array of strings");
      }
      e->path = arena.CopyArray<std::string_view>(path);
      return e;
    }
    if (k == "like") {
      const json::object& b = Obj(body, "`like`");
      Expr* e = New(arena, ExprKind::kLike);
      e->a = ReadExpr(Field(b, "left"), arena);
      const json::value& pat = Field(b, "pattern");
      std::vector<PatternElem> elems;
      auto add_literal = [&](std::string_view s) {
        if (!elems.empty() && !elems.back().wildcard) {
          std::string joined(elems.back().literal);
          joined += s;
          elems.back().literal = arena.CopyString(joined);
        } else {
          elems.push_back({false, arena.CopyString(s)});
        }
      };
      if (pat.is_string()) {
        // The older form: a pattern string with `*` wildcards and `\*` escapes.
        auto pieces = UnescapePattern(Sv(pat.get_string()), 0, Sv(pat.get_string()));
        if (!pieces.ok()) Fail(pieces.error().message);
        for (const auto& p : *pieces) {
          if (p.wildcard)
            elems.push_back({true, {}});
          else
            add_literal(p.literal);
        }
      } else if (pat.is_array()) {
        for (const auto& el : pat.get_array()) {
          if (el.is_string() && el.get_string() == "Wildcard") {
            if (elems.empty() || !elems.back().wildcard) elems.push_back({true, {}});
          } else if (el.is_object() && el.get_object().size() == 1 &&
                     el.get_object().contains("Literal")) {
            add_literal(Str(el.get_object().at("Literal"), "`Literal`"));
          } else {
            Fail("a pattern element must be \"Wildcard\" or {\"Literal\": ...}");
          }
        }
      } else {
        Fail("`pattern` must be an array");
      }
      e->pattern = arena.CopyArray<PatternElem>(elems);
      return e;
    }
    if (k == "is") {
      const json::object& b = Obj(body, "`is`");
      Expr* e = New(arena, ExprKind::kIs);
      e->a = ReadExpr(Field(b, "left"), arena);
      std::string_view type = Str(Field(b, "entity_type"), "`entity_type`");
      auto name = ParseName(type);
      if (!name.ok() || *name != type) Fail("invalid entity type `" + std::string(type) + "`");
      e->name = arena.CopyString(type);
      if (const json::value* in = b.if_contains("in")) e->b = ReadExpr(*in, arena);
      return e;
    }
    if (k == "if-then-else") {
      const json::object& b = Obj(body, "`if-then-else`");
      Expr* e = New(arena, ExprKind::kIf);
      e->a = ReadExpr(Field(b, "if"), arena);
      e->b = ReadExpr(Field(b, "then"), arena);
      e->c = ReadExpr(Field(b, "else"), arena);
      return e;
    }
    if (k == "Set") {
      if (!body.is_array()) Fail("`Set` must be an array");
      std::vector<const Expr*> items;
      for (const auto& x : body.get_array()) items.push_back(ReadExpr(x, arena));
      Expr* e = New(arena, ExprKind::kSet);
      e->items = arena.CopyArray<const Expr*>(items);
      FoldSetLiteral(arena, *e);
      return e;
    }
    if (k == "Record") {
      std::vector<ExprField> fields;
      for (const auto& kv : Obj(body, "`Record`")) {
        fields.push_back({arena.CopyString(Sv(kv.key())), ReadExpr(kv.value(), arena)});
      }
      Expr* e = New(arena, ExprKind::kRecord);
      e->fields = arena.CopyArray<ExprField>(fields);
      return e;
    }
    if (const ExtFnInfo* info = FindExtFn(k)) {
      if (!body.is_array()) Fail("arguments of `" + std::string(k) + "` must be an array");
      std::vector<const Expr*> args;
      for (const auto& x : body.get_array()) args.push_back(ReadExpr(x, arena));
      Expr* e = New(arena, ExprKind::kCall);
      e->ext_fn = info->fn;
      e->items = arena.CopyArray<const Expr*>(args);
      return e;
    }
    Fail("unknown expression `" + std::string(k) + "`");
  }

  size_t depth_ = 0;
};

}  // namespace

json::value PolicyToJson(const PolicyAst& p) {
  json::object o;
  o["effect"] = p.effect == Effect::kPermit ? "permit" : "forbid";
  o["principal"] = EntityScopeToJson(p.principal, "?principal");
  o["action"] = ActionScopeToJson(p.action);
  o["resource"] = EntityScopeToJson(p.resource, "?resource");
  json::array conds;
  for (const auto& c : p.conditions) {
    conds.push_back(
        json::object{{"kind", c.is_when ? "when" : "unless"}, {"body", ExprToJson(*c.expr)}});
  }
  o["conditions"] = std::move(conds);
  if (!p.annotations.empty()) {
    json::object ann;
    for (const auto& a : p.annotations) {
      ann[Js(a.key)] = a.has_value ? json::value(Js(a.value)) : json::value(nullptr);
    }
    o["annotations"] = std::move(ann);
  }
  return o;
}

Result<std::shared_ptr<PolicyAst>> PolicyFromJson(const json::value& v) {
  EstReader reader;
  try {
    return reader.ReadPolicy(v);
  } catch (EstFailure& f) {
    return std::move(f.error);
  }
}

json::value PolicySetToJson(const PolicySet& set) {
  json::object statics, templates;
  json::array links;
  for (const auto& p : set.policies()) {
    if (p->is_linked()) {
      json::object values;
      if (p->principal_slot_value())
        values["?principal"] = EntityUIDToJson(*p->principal_slot_value());
      if (p->resource_slot_value())
        values["?resource"] = EntityUIDToJson(*p->resource_slot_value());
      links.push_back(json::object{
          {"templateId", p->template_id()}, {"newId", p->id()}, {"values", std::move(values)}});
    } else {
      statics[p->id()] = PolicyToJson(p->ast());
    }
  }
  for (const auto& t : set.templates()) templates[t->id] = PolicyToJson(*t->ast);
  return json::object{{"staticPolicies", std::move(statics)},
                      {"templates", std::move(templates)},
                      {"templateLinks", std::move(links)}};
}

Result<PolicySet> PolicySetFromJson(const json::value& v) {
  if (!v.is_object()) return MakeError(ErrorCode::kJson, "policy-set JSON must be an object");
  const json::object& o = v.get_object();
  PolicySet set;
  auto add_all = [&](const char* field, bool templates) -> Status {
    const json::value* f = o.if_contains(field);
    if (f == nullptr) return {};
    if (!f->is_object())
      return MakeError(ErrorCode::kJson, std::string("`") + field + "` must be an object");
    for (const auto& kv : f->get_object()) {
      auto ast = PolicyFromJson(kv.value());
      if (!ast.ok())
        return MakeError(ErrorCode::kJson,
                         "policy `" + std::string(Sv(kv.key())) + "`: " + ast.error().message);
      std::string id(Sv(kv.key()));
      Status st = templates ? set.AddTemplate(id, *ast) : set.AddPolicy(id, *ast);
      if (!st.ok()) return st;
    }
    return {};
  };
  if (Status st = add_all("templates", true); !st.ok()) return st.error();
  if (Status st = add_all("staticPolicies", false); !st.ok()) return st.error();
  if (const json::value* links = o.if_contains("templateLinks")) {
    if (!links->is_array()) return MakeError(ErrorCode::kJson, "`templateLinks` must be an array");
    Arena arena;
    for (const auto& l : links->get_array()) {
      const json::object* lo = l.if_object();
      if (lo == nullptr || !lo->contains("templateId") || !lo->contains("newId") ||
          !lo->at("templateId").is_string() || !lo->at("newId").is_string()) {
        return MakeError(ErrorCode::kJson, "a template link needs string `templateId` and `newId`");
      }
      const EntityUID* p = nullptr;
      const EntityUID* r = nullptr;
      if (const json::value* values = lo->if_contains("values"); values && values->is_object()) {
        for (const auto& kv : values->get_object()) {
          auto uid = EntityUIDFromJson(kv.value(), arena);
          if (!uid.ok()) return uid.take_error();
          if (kv.key() == "?principal")
            p = *uid;
          else if (kv.key() == "?resource")
            r = *uid;
          else
            return MakeError(ErrorCode::kJson, "unknown slot `" + std::string(Sv(kv.key())) + "`");
        }
      }
      Status st = set.Link(Sv(lo->at("templateId").get_string()),
                           std::string(Sv(lo->at("newId").get_string())), p, r);
      if (!st.ok()) return st.error();
    }
  }
  return set;
}

}  // namespace cedar
