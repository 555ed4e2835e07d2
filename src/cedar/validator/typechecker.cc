#include "cedar/validator/typechecker.h"

#include <algorithm>

#include "cedar/extensions/datetime.h"
#include "cedar/extensions/decimal.h"
#include "cedar/extensions/ipaddr.h"

namespace cedar::validation {

namespace {

Type AndType(const Type& l, const Type& r) {
  if (l.is(TypeKind::kFalse) || r.is(TypeKind::kFalse)) return Type::False();
  if (l.is(TypeKind::kTrue)) return r;
  if (r.is(TypeKind::kTrue)) return l;
  return Type::Bool();
}

Type Negate(const Type& t) {
  if (t.is(TypeKind::kTrue)) return Type::False();
  if (t.is(TypeKind::kFalse)) return Type::True();
  return Type::Bool();
}

uint32_t MaxLevel(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}

bool SameCapability(const Capability& a, const Capability& b) {
  if ((a.tag == nullptr) != (b.tag == nullptr)) return false;
  if (a.tag == nullptr ? a.attr != b.attr : !SameExpr(*a.tag, *b.tag)) return false;
  return SameExpr(*a.obj, *b.obj);
}

// Capabilities of both `a` and `b`.
std::vector<Capability> Intersect(const std::vector<Capability>& a,
                                  const std::vector<Capability>& b) {
  std::vector<Capability> out;
  for (const Capability& x : a) {
    for (const Capability& y : b) {
      if (SameCapability(x, y)) {
        out.push_back(x);
        break;
      }
    }
  }
  return out;
}

void Append(std::vector<Capability>& to, const std::vector<Capability>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

bool IsComparable(TypeKind k) {
  return k == TypeKind::kLong || k == TypeKind::kDatetime || k == TypeKind::kDuration;
}

bool IsEntityOrEntitySet(const Type& t) {
  if (t.IsNever() || t.IsEntity()) return true;
  return t.is(TypeKind::kSet) && (t.element().IsNever() || t.element().IsEntity());
}

// Extension functions' signatures (Cedar's `ipaddr`, `decimal` and `datetime` extensions).
struct Signature {
  TypeKind params[2];
  TypeKind result;
  bool constructor;
};

Signature SignatureOf(ExtFn fn) {
  using K = TypeKind;
  switch (fn) {
    case ExtFn::kIp:
      return {{K::kString, K::kNever}, K::kIpAddr, true};
    case ExtFn::kDecimal:
      return {{K::kString, K::kNever}, K::kDecimal, true};
    case ExtFn::kDatetime:
      return {{K::kString, K::kNever}, K::kDatetime, true};
    case ExtFn::kDuration:
      return {{K::kString, K::kNever}, K::kDuration, true};
    case ExtFn::kIsIpv4:
    case ExtFn::kIsIpv6:
    case ExtFn::kIsLoopback:
    case ExtFn::kIsMulticast:
      return {{K::kIpAddr, K::kNever}, K::kBool, false};
    case ExtFn::kIsInRange:
      return {{K::kIpAddr, K::kIpAddr}, K::kBool, false};
    case ExtFn::kLessThan:
    case ExtFn::kLessThanOrEqual:
    case ExtFn::kGreaterThan:
    case ExtFn::kGreaterThanOrEqual:
      return {{K::kDecimal, K::kDecimal}, K::kBool, false};
    case ExtFn::kOffset:
      return {{K::kDatetime, K::kDuration}, K::kDatetime, false};
    case ExtFn::kDurationSince:
      return {{K::kDatetime, K::kDatetime}, K::kDuration, false};
    case ExtFn::kToDate:
      return {{K::kDatetime, K::kNever}, K::kDatetime, false};
    case ExtFn::kToTime:
      return {{K::kDatetime, K::kNever}, K::kDuration, false};
    case ExtFn::kToMilliseconds:
    case ExtFn::kToSeconds:
    case ExtFn::kToMinutes:
    case ExtFn::kToHours:
    case ExtFn::kToDays:
      return {{K::kDuration, K::kNever}, K::kLong, false};
  }
  return {{K::kNever, K::kNever}, K::kNever, false};
}

// Why a constructor's string does not parse, in the extension's words.
std::string ConstructorError(ExtFn fn, std::string_view text) {
  switch (fn) {
    case ExtFn::kIp: {
      auto r = IpAddr::Parse(text);
      return r.ok() ? std::string() : r.error().message;
    }
    case ExtFn::kDecimal: {
      auto r = Decimal::Parse(text);
      return r.ok() ? std::string() : r.error().message;
    }
    case ExtFn::kDatetime: {
      auto r = Datetime::Parse(text);
      return r.ok() ? std::string() : r.error().message;
    }
    case ExtFn::kDuration: {
      auto r = Duration::Parse(text);
      return r.ok() ? std::string() : r.error().message;
    }
    default:
      return {};
  }
}

}  // namespace

bool SameExpr(const Expr& a, const Expr& b) {
  if (&a == &b) return true;
  if (a.kind != b.kind) return false;
  auto same = [](const Expr* x, const Expr* y) {
    return x == y || (x != nullptr && y != nullptr && SameExpr(*x, *y));
  };
  auto same_items = [&](std::span<const Expr* const> x, std::span<const Expr* const> y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!same(x[i], y[i])) return false;
    }
    return true;
  };
  switch (a.kind) {
    case ExprKind::kLiteral:
      return Equal(a.lit, b.lit);
    case ExprKind::kVar:
      return a.var == b.var;
    case ExprKind::kSlot:
      return a.slot == b.slot;
    case ExprKind::kIf:
      return same(a.a, b.a) && same(a.b, b.b) && same(a.c, b.c);
    case ExprKind::kAnd:
    case ExprKind::kOr:
      return same(a.a, b.a) && same(a.b, b.b);
    case ExprKind::kUnary:
      return a.unary_op == b.unary_op && same(a.a, b.a);
    case ExprKind::kBinary:
      return a.binary_op == b.binary_op && same(a.a, b.a) && same(a.b, b.b);
    case ExprKind::kGetAttr:
      return a.name == b.name && same(a.a, b.a);
    case ExprKind::kHasAttr:
      return std::equal(a.path.begin(), a.path.end(), b.path.begin(), b.path.end()) &&
             same(a.a, b.a);
    case ExprKind::kLike:
      if (a.pattern.size() != b.pattern.size()) return false;
      for (size_t i = 0; i < a.pattern.size(); ++i) {
        if (a.pattern[i].wildcard != b.pattern[i].wildcard ||
            a.pattern[i].literal != b.pattern[i].literal) {
          return false;
        }
      }
      return same(a.a, b.a);
    case ExprKind::kIs:
      return a.name == b.name && same(a.a, b.a) && same(a.b, b.b);
    case ExprKind::kSet:
      return same_items(a.items, b.items);
    case ExprKind::kRecord:
      // Records are maps: the order fields were written in does not matter.
      if (a.fields.size() != b.fields.size()) return false;
      for (const ExprField& f : a.fields) {
        auto it = std::find_if(b.fields.begin(), b.fields.end(),
                               [&](const ExprField& g) { return g.key == f.key; });
        if (it == b.fields.end() || !same(f.value, it->value)) return false;
      }
      return true;
    case ExprKind::kCall:
      return a.ext_fn == b.ext_fn && same_items(a.items, b.items);
  }
  return false;
}

Typechecker::Typechecker(const SchemaView& schema, const PolicyAst& policy,
                         std::vector<Issue>& issues, std::optional<uint32_t> max_level)
    : schema_(schema), policy_(policy), issues_(issues), max_level_(max_level) {}

void Typechecker::Report(ValidationCode code, SourceSpan span, std::string message) {
  issues_.push_back(Issue{code, span, std::move(message)});
}

std::string Typechecker::SourceText(const Expr& e) const {
  if (!policy_.source || e.span.end > policy_.source->size() || e.span.begin > e.span.end) {
    return {};
  }
  return policy_.source->substr(e.span.begin, e.span.end - e.span.begin);
}

bool Typechecker::Expect(const Typed& t, const Expr& e, bool ok, const char* expected) {
  if (ok || t.type.IsNever()) return true;
  Report(ValidationCode::kUnexpectedType, e.span,
         std::string("unexpected type: expected ") + expected + " but saw " + t.type.ToString());
  return false;
}

void Typechecker::Incompatible(const Expr& at, const Type& a, const Type& b, const char* context) {
  std::string x = a.ToString();
  std::string y = b.ToString();
  if (y < x) std::swap(x, y);  // the same message whichever side came first
  Report(ValidationCode::kIncompatibleTypes, at.span,
         "the types " + x + " and " + y + " are not compatible: " + context);
}

void Typechecker::Deref(const Typed& obj, const Expr& at) {
  if (!max_level_) return;
  if (obj.level == kLiteralLevel) {
    Report(ValidationCode::kEntityLiteralDeref, at.span,
           "entity literals cannot be dereferenced at any level");
    return;
  }
  uint32_t need = obj.level + 1;
  required_level_ = std::max(required_level_, need);
  if (need > *max_level_ && (!have_too_deep_ || at.span.begin < first_too_deep_.begin)) {
    first_too_deep_ = at.span;
    have_too_deep_ = true;
  }
}

bool Typechecker::HasCapability(const Expr& obj, std::string_view attr) const {
  for (const Capability& c : caps_) {
    if (c.tag == nullptr && c.attr == attr && SameExpr(*c.obj, obj)) return true;
  }
  return false;
}

bool Typechecker::HasTagCapability(const Expr& obj, const Expr& key) const {
  for (const Capability& c : caps_) {
    if (c.tag != nullptr && SameExpr(*c.tag, key) && SameExpr(*c.obj, obj)) return true;
  }
  return false;
}

Type Typechecker::EntityLiteralType(const EntityUID& uid) const {
  // An undeclared type was reported where it was written; the literal has no type, so that
  // nothing else is reported about it.
  const EntityTypeInfo* info = schema_.FindEntityType(uid.type);
  return info ? Type::Entity(info) : Type::Never();
}

Typechecker::EntityRef Typechecker::Known(const Expr& e) const {
  if (e.kind == ExprKind::kLiteral && e.lit.is(ValueKind::kEntity)) {
    const EntityUID& uid = e.lit.AsEntity();
    return {true, uid.type, uid.id};
  }
  if (e.kind == ExprKind::kVar && e.var == Var::kAction) {
    return {true, env_->action->type, env_->action->id};
  }
  return {};
}

Type Typechecker::EqualityOf(const EntityRef& ka, const Type& ta, const EntityRef& kb,
                             const Type& tb) const {
  // The action of an environment is known, so `action == Action::"x"` is decided here.
  if (ka.known && kb.known) return Type::BoolOf(ka.type == kb.type && ka.id == kb.id);
  if (ta.is(TypeKind::kEntity) && tb.is(TypeKind::kEntity) && ta.entity_ptr() != tb.entity_ptr()) {
    return Type::False();
  }
  return Type::Bool();
}

Type Typechecker::InOf(const EntityRef& ka, const Type& ta, std::span<const EntityRef> rhs_known,
                       bool rhs_all_known, const Type& tb) const {
  if (ta.IsNever() || tb.IsNever()) return Type::Bool();
  // Between known declared actions, the schema's action hierarchy decides.
  if (ka.known && rhs_all_known && !rhs_known.empty()) {
    if (const ActionInfo* lhs = schema_.FindAction(ka.type, ka.id)) {
      bool all_declared = true;
      bool any = false;
      for (const EntityRef& r : rhs_known) {
        const ActionInfo* rhs = schema_.FindAction(r.type, r.id);
        if (rhs == nullptr) {
          all_declared = false;
          break;
        }
        any = any || lhs->IsIn(*rhs);
      }
      if (all_declared) return Type::BoolOf(any);
    }
  }
  const Type& target = tb.is(TypeKind::kSet) ? tb.element() : tb;
  if (ta.is(TypeKind::kEntity) && target.is(TypeKind::kEntity)) {
    return ta.entity().MayBeIn(target.entity()) ? Type::Bool() : Type::False();
  }
  return Type::Bool();
}

Type Typechecker::ScopeType(const EntityScope& scope, const EntityTypeInfo* var_type) {
  Type var = Type::Entity(var_type);
  auto in_target = [&]() -> Type {
    Typed obj;  // the principal or resource: level 0
    Expr at;
    at.span = scope.span;
    Deref(obj, at);
    if (scope.slot || scope.uid == nullptr) return Type::Bool();
    EntityRef k{true, scope.uid->type, scope.uid->id};
    return InOf(EntityRef{}, var, {&k, 1}, true, EntityLiteralType(*scope.uid));
  };
  switch (scope.op) {
    case EntityScope::kAny:
      return Type::True();
    case EntityScope::kEq:
      if (scope.slot || scope.uid == nullptr) return Type::Bool();
      return EqualityOf(EntityRef{}, var, EntityRef{true, scope.uid->type, scope.uid->id},
                        EntityLiteralType(*scope.uid));
    case EntityScope::kIn:
      return in_target();
    case EntityScope::kIs:
    case EntityScope::kIsIn: {
      Type is = Type::BoolOf(schema_.FindEntityType(scope.entity_type) == var_type);
      if (scope.op == EntityScope::kIs || is.is(TypeKind::kFalse)) return is;
      return AndType(is, in_target());
    }
  }
  return Type::Bool();
}

Type Typechecker::ActionScopeType(const ActionScope& scope) {
  const ActionInfo& action = *env_->action;
  EntityRef self{true, action.type, action.id};
  Type self_type = Type::Entity(action.type_info);
  if (scope.op == ActionScope::kAny) return Type::True();
  if (scope.op == ActionScope::kEq) {
    const EntityUID& uid = *scope.uids[0];
    return Type::BoolOf(uid.type == action.type && uid.id == action.id);
  }
  Typed obj;
  Expr at;
  at.span = scope.span;
  Deref(obj, at);
  Expr list;  // the written list of actions, from its `[`
  list.span = scope.span;
  if (size_t open = SourceText(at).find('['); open != std::string::npos) {
    list.span.begin += static_cast<uint32_t>(open);
  }
  if (scope.uids.empty()) {  // `action in []`
    Report(ValidationCode::kEmptySetLiteral, list.span,
           "empty set literals are forbidden in policies: their element type cannot be known");
    return Type::Bool();
  }
  std::vector<EntityRef> known;
  for (const EntityUID* uid : scope.uids) known.push_back(EntityRef{true, uid->type, uid->id});
  Type target = EntityLiteralType(*scope.uids[0]);
  if (scope.op == ActionScope::kInSet) {
    // The list is a set literal: its actions must have one type.
    for (const EntityUID* uid : scope.uids) {
      Type t = EntityLiteralType(*uid);
      if (t.IsNever() || target.IsNever() || t.entity_ptr() == target.entity_ptr()) continue;
      Incompatible(list, target, t, "the elements of a set must have compatible types");
      return Type::Bool();
    }
  }
  return InOf(self, self_type, known, true, target);
}

Type Typechecker::CheckPolicy(const RequestEnv& env) {
  env_ = &env;
  caps_.clear();
  Type result = ScopeType(policy_.principal, env.principal);
  if (result.is(TypeKind::kFalse)) return result;
  result = AndType(result, ActionScopeType(policy_.action));
  if (result.is(TypeKind::kFalse)) return result;
  result = AndType(result, ScopeType(policy_.resource, env.resource));
  if (result.is(TypeKind::kFalse)) return result;
  // The conditions are one conjunction, `c1 && c2 && ...` (an `unless` clause negated), and
  // the scope is joined to it last.
  Type body = Type::True();
  bool body_bad = false;
  for (size_t i = 0; i < policy_.conditions.size(); ++i) {
    const Condition& c = policy_.conditions[i];
    if (body.is(TypeKind::kFalse)) break;
    Typed t = CheckBool(*c.expr);
    Type ct = c.is_when ? t.type : Negate(t.type);
    bool bad = c.is_when && t.not_boolean;
    if (c.is_when) Append(caps_, t.caps);
    body = i == 0 ? ct : (body_bad || bad) ? Type::Bool() : AndType(body, ct);
    body_bad = i == 0 && bad;
  }
  caps_.clear();
  return AndType(result, body);
}

Typechecker::Typed Typechecker::CheckBool(const Expr& e) {
  Typed t = Check(e);
  if (!t.type.IsBoolean()) {
    Expect(t, e, false, "Bool");
    t.type = Type::Bool();
    t.not_boolean = true;
  }
  return t;
}

Typechecker::Typed Typechecker::Check(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral: {
      Typed t;
      switch (e.lit.kind()) {
        case ValueKind::kBool:
          t.type = Type::BoolOf(e.lit.AsBool());
          break;
        case ValueKind::kLong:
          t.type = Type::Long();
          break;
        case ValueKind::kString:
          t.type = Type::String();
          break;
        case ValueKind::kEntity:
          t.type = EntityLiteralType(e.lit.AsEntity());
          t.level = kLiteralLevel;
          break;
        default:
          t.type = Type::Never();
          break;
      }
      return t;
    }
    case ExprKind::kVar: {
      Typed t;
      switch (e.var) {
        case Var::kPrincipal:
          t.type = Type::Entity(env_->principal);
          break;
        case Var::kAction:
          t.type = Type::Entity(env_->action->type_info);
          break;
        case Var::kResource:
          t.type = Type::Entity(env_->resource);
          break;
        case Var::kContext:
          t.type = env_->action->context;
          break;
      }
      return t;
    }
    case ExprKind::kSlot: {
      Typed t;
      t.type = Type::Entity(e.slot == SlotId::kPrincipal ? env_->principal : env_->resource);
      t.level = kLiteralLevel;
      return t;
    }
    case ExprKind::kIf:
      return CheckIf(e);
    case ExprKind::kAnd:
      return CheckAnd(e);
    case ExprKind::kOr:
      return CheckOr(e);
    case ExprKind::kUnary:
      return CheckUnary(e);
    case ExprKind::kBinary:
      return CheckBinary(e);
    case ExprKind::kGetAttr:
      return CheckGetAttr(e);
    case ExprKind::kHasAttr:
      return CheckHasAttr(e);
    case ExprKind::kLike: {
      Typed s = Check(*e.a);
      Expect(s, *e.a, s.type.is(TypeKind::kString), "String");
      Typed t;
      t.type = Type::Bool();
      return t;
    }
    case ExprKind::kIs:
      return CheckIs(e);
    case ExprKind::kSet:
      return CheckSet(e);
    case ExprKind::kRecord:
      return CheckRecord(e);
    case ExprKind::kCall:
      return CheckCall(e);
  }
  return Typed{};
}

Typechecker::Typed Typechecker::CheckIf(const Expr& e) {
  Typed cond = CheckBool(*e.a);
  if (cond.type.is(TypeKind::kFalse)) return Check(*e.c);
  size_t mark = caps_.size();
  Append(caps_, cond.caps);
  Typed then = Check(*e.b);
  caps_.resize(mark);
  if (cond.type.is(TypeKind::kTrue)) {
    Append(then.caps, cond.caps);
    return then;
  }
  Typed otherwise = Check(*e.c);
  Typed out;
  if (then.type.IsNever() || otherwise.type.IsNever()) {
    out.type = Type::Never();
  } else if (!LeastUpperBound(then.type, otherwise.type, arena_, out.type)) {
    Incompatible(e, then.type, otherwise.type,
                 "the branches of an `if` must have compatible types");
  }
  Append(cond.caps, then.caps);
  out.caps = Intersect(cond.caps, otherwise.caps);
  out.level = MaxLevel(then.level, otherwise.level);
  return out;
}

Typechecker::Typed Typechecker::CheckAnd(const Expr& e) {
  Typed l = CheckBool(*e.a);
  if (l.type.is(TypeKind::kFalse)) return l;
  size_t mark = caps_.size();
  Append(caps_, l.caps);
  Typed r = CheckBool(*e.b);
  caps_.resize(mark);
  Typed out;
  // An operand that is not a boolean decides nothing: the result is Bool.
  out.type = l.not_boolean || r.not_boolean ? Type::Bool() : AndType(l.type, r.type);
  out.caps = std::move(l.caps);
  Append(out.caps, r.caps);
  return out;
}

Typechecker::Typed Typechecker::CheckOr(const Expr& e) {
  Typed l = CheckBool(*e.a);
  if (l.type.is(TypeKind::kTrue)) return l;
  Typed r = CheckBool(*e.b);
  if (l.type.is(TypeKind::kFalse)) return r;
  Typed out;
  if (l.not_boolean || r.not_boolean) {
    out.type = Type::Bool();
  } else if (r.type.is(TypeKind::kFalse)) {
    out.type = l.type;
    out.caps = std::move(l.caps);
  } else {
    out.type = r.type.is(TypeKind::kTrue) ? Type::True() : Type::Bool();
    out.caps = Intersect(l.caps, r.caps);
  }
  return out;
}

Typechecker::Typed Typechecker::CheckUnary(const Expr& e) {
  Typed out;
  switch (e.unary_op) {
    case UnaryOp::kNot:
      out.type = Negate(CheckBool(*e.a).type);
      break;
    case UnaryOp::kNeg: {
      Typed a = Check(*e.a);
      Expect(a, *e.a, a.type.is(TypeKind::kLong), "Long");
      out.type = Type::Long();
      break;
    }
    case UnaryOp::kIsEmpty: {
      Typed a = Check(*e.a);
      Expect(a, *e.a, a.type.is(TypeKind::kSet), "a set");
      out.type = Type::Bool();
      break;
    }
  }
  return out;
}

Typechecker::Typed Typechecker::CheckBinary(const Expr& e) {
  switch (e.binary_op) {
    case BinaryOp::kEq:
    case BinaryOp::kNe:
      return CheckEquality(e);
    case BinaryOp::kIn:
      return CheckIn(e);
    case BinaryOp::kGetTag:
    case BinaryOp::kHasTag:
      return CheckTag(e);
    default:
      break;
  }
  Typed l = Check(*e.a);
  Typed r = Check(*e.b);
  Typed out;
  out.type = Type::Bool();
  switch (e.binary_op) {
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe: {
      constexpr const char* kComparable = "Long, datetime or duration";
      bool lok = IsComparable(l.type.kind());
      Expect(l, *e.a, lok, kComparable);
      if (lok) {
        std::string want = l.type.ToString();
        Expect(r, *e.b, r.type.kind() == l.type.kind(), want.c_str());
      } else {
        Expect(r, *e.b, IsComparable(r.type.kind()), kComparable);
      }
      break;
    }
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
      Expect(l, *e.a, l.type.is(TypeKind::kLong), "Long");
      Expect(r, *e.b, r.type.is(TypeKind::kLong), "Long");
      out.type = Type::Long();
      break;
    case BinaryOp::kContains:
      if (Expect(l, *e.a, l.type.is(TypeKind::kSet), "a set") && l.type.is(TypeKind::kSet) &&
          !r.type.IsNever()) {
        Type lub;
        if (!LeastUpperBound(l.type.element(), r.type, arena_, lub)) {
          Incompatible(e, l.type.element(), r.type,
                       "the argument of `contains` must be compatible with the set's elements");
        }
      }
      break;
    case BinaryOp::kContainsAll:
    case BinaryOp::kContainsAny: {
      bool lok = Expect(l, *e.a, l.type.is(TypeKind::kSet), "a set");
      bool rok = Expect(r, *e.b, r.type.is(TypeKind::kSet), "a set");
      Type lub;
      if (lok && rok && !l.type.IsNever() && !r.type.IsNever() &&
          !LeastUpperBound(l.type, r.type, arena_, lub)) {
        Incompatible(e, l.type, r.type,
                     e.binary_op == BinaryOp::kContainsAll
                         ? "both operands of `containsAll` must have compatible types"
                         : "both operands of `containsAny` must have compatible types");
      }
      break;
    }
    default:
      break;
  }
  return out;
}

Typechecker::Typed Typechecker::CheckEquality(const Expr& e) {
  Typed l = Check(*e.a);
  Typed r = Check(*e.b);
  Typed out;
  if (e.a->kind == ExprKind::kLiteral && e.b->kind == ExprKind::kLiteral) {
    out.type = Type::BoolOf(Equal(e.a->lit, e.b->lit));
  } else {
    out.type = EqualityOf(Known(*e.a), l.type, Known(*e.b), r.type);
  }
  // Strict mode: unless the result is known to be false, the operands must have a common type.
  Type lub;
  if (!out.type.is(TypeKind::kFalse) && !LeastUpperBound(l.type, r.type, arena_, lub)) {
    Incompatible(e, l.type, r.type,
                 e.binary_op == BinaryOp::kEq ? "both operands of `==` must have compatible types"
                                              : "both operands of `!=` must have compatible types");
  }
  if (e.binary_op == BinaryOp::kNe) out.type = Negate(out.type);
  return out;
}

Typechecker::Typed Typechecker::CheckIn(const Expr& e) {
  Typed l = Check(*e.a);
  Typed r = Check(*e.b);
  Typed out;
  out.type = Type::Bool();
  bool lok = Expect(l, *e.a, l.type.IsEntity(), "an entity");
  bool rok = Expect(r, *e.b, IsEntityOrEntitySet(r.type), "an entity or a set of entities");
  if (!lok || !rok || l.type.IsNever()) return out;
  Deref(l, e);
  std::vector<EntityRef> known;
  bool all_known = true;
  if (e.b->kind == ExprKind::kSet) {
    for (const Expr* item : e.b->items) {
      EntityRef k = Known(*item);
      all_known = all_known && k.known;
      known.push_back(k);
    }
  } else {
    EntityRef k = Known(*e.b);
    all_known = k.known;
    known.push_back(k);
  }
  out.type = InOf(Known(*e.a), l.type, known, all_known, r.type);
  return out;
}

Typechecker::Typed Typechecker::ReadAttr(const Expr& at, const Expr& obj_expr, const Typed& obj,
                                         std::string_view attr, uint32_t path_len) {
  Typed out;
  out.type = Type::Never();
  if (obj.type.IsNever()) return out;
  // The attribute path as the message shows it: from the entity the record was read from.
  auto path = [&]() {
    std::string p(attr);
    const Expr* x = &obj_expr;
    for (uint32_t i = 0; i < path_len && x != nullptr && x->kind == ExprKind::kGetAttr; ++i) {
      p = std::string(x->name) + "." + p;
      x = x->a;
    }
    return p;
  };
  auto where = [&]() -> std::string {
    if (obj.origin != nullptr) return " on entity type `" + std::string(obj.origin->name) + "`";
    const Expr* base = &obj_expr;
    while (base->kind == ExprKind::kGetAttr) base = base->a;
    if (base->kind == ExprKind::kVar && base->var == Var::kContext) return " in the context";
    return " in the record";
  };
  const RecordAttr* a = nullptr;
  if (obj.type.is(TypeKind::kEntity)) {
    Deref(obj, at);
    const EntityTypeInfo& info = obj.type.entity();
    a = info.attrs->Find(attr);
    if (a == nullptr) {
      Report(ValidationCode::kAttributeNotFound, at.span,
             "attribute `" + std::string(attr) + "` on entity type `" + std::string(info.name) +
                 "` not found");
      return out;
    }
    if (!a->required && !HasCapability(obj_expr, attr)) {
      Report(ValidationCode::kUnsafeOptionalAttributeAccess, at.span,
             "access to optional attribute `" + std::string(attr) + "` on entity type `" +
                 std::string(info.name) + "` is not guarded by a `has` test");
    }
    out.level = obj.level == kLiteralLevel ? 1 : obj.level + 1;
    out.origin = &info;
    out.origin_depth = 1;
  } else if (obj.type.is(TypeKind::kRecord)) {
    a = obj.type.record().Find(attr);
    if (a == nullptr) {
      Report(
          ValidationCode::kAttributeNotFound, at.span,
          "attribute `" + (obj.origin ? path() : std::string(attr)) + "`" + where() + " not found");
      return out;
    }
    if (!a->required && !HasCapability(obj_expr, attr)) {
      Report(ValidationCode::kUnsafeOptionalAttributeAccess, at.span,
             "access to optional attribute `" + (obj.origin ? path() : std::string(attr)) + "`" +
                 where() + " is not guarded by a `has` test");
    }
    out.level = obj.level;
    out.origin = obj.origin;
    out.origin_depth = obj.origin_depth + 1;
  } else {
    Expect(obj, obj_expr, false, "an entity or a record");
    return out;
  }
  out.type = a->type;
  return out;
}

Typechecker::Typed Typechecker::CheckGetAttr(const Expr& e) {
  Typed obj = Check(*e.a);
  return ReadAttr(e, *e.a, obj, e.name, obj.origin_depth);
}

Type Typechecker::HasType(const Expr& obj_expr, const Typed& t, std::string_view attr) {
  if (t.type.is(TypeKind::kEntity)) {
    const RecordAttr* a = t.type.entity().attrs->Find(attr);
    if (a == nullptr) return Type::False();
    // An entity may be missing from the data, so even a required attribute may be absent.
    return HasCapability(obj_expr, attr) ? Type::True() : Type::Bool();
  }
  if (t.type.is(TypeKind::kRecord)) {
    const RecordAttr* a = t.type.record().Find(attr);
    if (a == nullptr) return Type::False();
    return a->required || HasCapability(obj_expr, attr) ? Type::True() : Type::Bool();
  }
  return Type::Bool();
}

const Expr* Typechecker::SyntheticGetAttr(const Expr& has, size_t i, const Expr* obj) {
  std::vector<const Expr*>& nodes = has_paths_[&has];
  if (nodes.size() <= i) nodes.resize(has.path.size(), nullptr);
  if (nodes[i] == nullptr) {
    Expr* g = arena_.New<Expr>();
    g->kind = ExprKind::kGetAttr;
    g->a = obj;
    g->name = has.path[i];
    g->span = has.span;
    nodes[i] = g;
  }
  return nodes[i];
}

// `e has a.b.c` means `e has a && e.a has b && e.a.b has c`.
Typechecker::Typed Typechecker::CheckHasAttr(const Expr& e) {
  Typed cur = Check(*e.a);
  const Expr* cur_expr = e.a;
  Typed out;
  out.type = Type::True();
  size_t mark = caps_.size();
  for (size_t i = 0; i < e.path.size(); ++i) {
    std::string_view attr = e.path[i];
    bool ok = cur.type.IsNever() || cur.type.IsEntity() || cur.type.is(TypeKind::kRecord);
    if (!Expect(cur, i == 0 ? *e.a : e, ok, "an entity or a record")) {
      out.type = Type::Bool();
      break;
    }
    if (cur.type.is(TypeKind::kEntity)) Deref(cur, e);
    Type t = HasType(*cur_expr, cur, attr);
    out.type = AndType(out.type, t);
    out.caps.push_back(Capability{cur_expr, attr, nullptr});
    if (t.is(TypeKind::kFalse) || i + 1 == e.path.size()) break;
    caps_.push_back(out.caps.back());
    const Expr* next = SyntheticGetAttr(e, i, cur_expr);
    // Dereference levels are counted by the `has` tests themselves; reading the attribute
    // to test the next one is the same access.
    std::optional<uint32_t> saved = max_level_;
    max_level_.reset();
    Typed next_typed = ReadAttr(*next, *cur_expr, cur, attr, cur.origin_depth);
    max_level_ = saved;
    cur = std::move(next_typed);
    cur_expr = next;
  }
  caps_.resize(mark);
  return out;
}

Typechecker::Typed Typechecker::CheckIs(const Expr& e) {
  Typed l = Check(*e.a);
  Typed out;
  out.type = Type::Bool();
  if (!Expect(l, *e.a, l.type.IsEntity(), "an entity") || !l.type.is(TypeKind::kEntity)) {
    return out;
  }
  out.type = Type::BoolOf(schema_.FindEntityType(e.name) == l.type.entity_ptr());
  if (e.b == nullptr || out.type.is(TypeKind::kFalse)) return out;
  // `e is T in x` means `e is T && e in x`.
  Typed r = Check(*e.b);
  if (!Expect(r, *e.b, IsEntityOrEntitySet(r.type), "an entity or a set of entities")) {
    out.type = Type::Bool();
    return out;
  }
  Deref(l, e);
  std::vector<EntityRef> known;
  bool all_known = true;
  if (e.b->kind == ExprKind::kSet) {
    for (const Expr* item : e.b->items) {
      known.push_back(Known(*item));
      all_known = all_known && known.back().known;
    }
  } else {
    known.push_back(Known(*e.b));
    all_known = known.back().known;
  }
  out.type = AndType(out.type, InOf(Known(*e.a), l.type, known, all_known, r.type));
  return out;
}

Typechecker::Typed Typechecker::CheckSet(const Expr& e) {
  Typed out;
  if (e.items.empty()) {
    Report(ValidationCode::kEmptySetLiteral, e.span,
           "empty set literals are forbidden in policies: their element type cannot be known");
    out.type = Type::Never();
    return out;
  }
  // An element without a type (it failed to typecheck) gives the set no type, and the
  // elements' types are not compared.
  std::vector<Type> types;
  bool ok = true;
  for (const Expr* item : e.items) {
    Typed t = Check(*item);
    out.level = MaxLevel(out.level, t.level);
    ok = ok && !t.type.IsNever();
    types.push_back(t.type);
  }
  if (!ok) {
    out.type = Type::Never();
    return out;
  }
  Type elem = types[0];
  for (size_t i = 1; i < types.size(); ++i) {
    Type lub;
    if (!LeastUpperBound(elem, types[i], arena_, lub)) {
      Incompatible(e, elem, types[i], "the elements of a set must have compatible types");
      out.type = Type::Never();
      return out;
    }
    elem = lub;
  }
  out.type = Type::SetOf(arena_.New<Type>(elem));
  return out;
}

Typechecker::Typed Typechecker::CheckRecord(const Expr& e) {
  Typed out;
  RecordAttr* attrs = arena_.NewArray<RecordAttr>(e.fields.size());
  bool ok = true;
  for (size_t i = 0; i < e.fields.size(); ++i) {
    Typed t = Check(*e.fields[i].value);
    ok = ok && !t.type.IsNever();  // a field without a type gives the record none
    out.level = MaxLevel(out.level, t.level);
    attrs[i].name = e.fields[i].key;
    attrs[i].type = t.type;
    attrs[i].required = true;
  }
  std::sort(attrs, attrs + e.fields.size(),
            [](const RecordAttr& a, const RecordAttr& b) { return a.name < b.name; });
  out.type = ok ? Type::Record(arena_.New<RecordType>(RecordType{{attrs, e.fields.size()}}))
                : Type::Never();
  return out;
}

Typechecker::Typed Typechecker::CheckCall(const Expr& e) {
  const ExtFnInfo& info = ExtFnInfoOf(e.ext_fn);
  Signature sig = SignatureOf(e.ext_fn);
  Typed out;
  out.type = sig.result == TypeKind::kBool ? Type::Bool() : Type::Simple(sig.result);
  if (e.items.size() != info.arity) {
    // The arguments are still checked on their own, and a constructor's for being literals;
    // the call keeps the function's result type.
    Report(ValidationCode::kWrongArgumentCount, e.span,
           "wrong number of arguments to `" + std::string(info.name) + "`: expected " +
               std::to_string(info.arity) + ", got " + std::to_string(e.items.size()));
    for (const Expr* item : e.items) Check(*item);
    if (sig.constructor && !e.items.empty() && e.items[0]->kind != ExprKind::kLiteral) {
      Report(ValidationCode::kNonLiteralExtensionConstructor, e.span,
             "extension constructor `" + std::string(info.name) +
                 "` must be called on a string literal in strict validation");
    }
    return out;
  }
  if (sig.constructor) {
    const Expr& arg = *e.items[0];
    Typed a = Check(arg);
    if (arg.kind != ExprKind::kLiteral) {
      Expect(a, arg, a.type.is(TypeKind::kString), "String");
      Report(ValidationCode::kNonLiteralExtensionConstructor, e.span,
             "extension constructor `" + std::string(info.name) +
                 "` must be called on a string literal in strict validation");
    } else if (!arg.lit.is(ValueKind::kString)) {
      Expect(a, arg, false, "String");
    } else if (!e.folded) {
      std::string why = ConstructorError(e.ext_fn, arg.lit.AsString());
      Report(ValidationCode::kInvalidExtensionArgument, e.span,
             "invalid argument to `" + std::string(info.name) +
                 "`: " + (why.empty() ? std::string("the string does not parse") : why));
    }
    return out;
  }
  for (size_t i = 0; i < e.items.size(); ++i) {
    Typed a = Check(*e.items[i]);
    Type want = Type::Simple(sig.params[i]);
    std::string name = want.ToString();
    Expect(a, *e.items[i], a.type.kind() == sig.params[i], name.c_str());
  }
  return out;
}

Typechecker::Typed Typechecker::CheckTag(const Expr& e) {
  bool get = e.binary_op == BinaryOp::kGetTag;
  Typed obj = Check(*e.a);
  Typed key = Check(*e.b);
  Typed out;
  out.type = get ? Type::Never() : Type::Bool();
  bool ok = Expect(obj, *e.a, obj.type.IsEntity(), "an entity");
  Expect(key, *e.b, key.type.is(TypeKind::kString), "String");
  if (!ok || !obj.type.is(TypeKind::kEntity)) return out;
  Deref(obj, e);
  const EntityTypeInfo& info = obj.type.entity();
  if (!get) {
    if (!info.has_tags) {
      out.type = Type::False();
    } else {
      out.type = HasTagCapability(*e.a, *e.b) ? Type::True() : Type::Bool();
      out.caps.push_back(Capability{e.a, {}, e.b});
    }
    return out;
  }
  if (!HasTagCapability(*e.a, *e.b)) {
    Report(ValidationCode::kUnsafeTagAccess, e.span,
           "access to tag `" + SourceText(*e.b) + "` on entity type `" + std::string(info.name) +
               "` is not guarded by a `hasTag` test");
    return out;
  }
  // `hasTag` is false on an entity type without tags and leaves no guard, so a guarded
  // `getTag` always has tags to read.
  out.type = info.tags;
  out.level = obj.level == kLiteralLevel ? 1 : obj.level + 1;
  return out;
}

}  // namespace cedar::validation
