#include "cedar/eval/evaluator.h"

#include "cedar/json/json_util.h"

#include <algorithm>
#include <array>

namespace cedar {

namespace {

// Values built during evaluation (set and record literals) use a small stack buffer before the
// scratch arena; most literals in policies are short.
constexpr size_t kInlineItems = 16;

}  // namespace

bool Evaluator::Fail(std::string message) {
  error_ = std::move(message);
  return false;
}

bool Evaluator::TypeError(const char* expected, const Value& got) {
  return Fail(std::string("type error: expected ") + expected + ", got " + KindName(got.kind()));
}

bool Evaluator::ExpectKind(const Value& v, ValueKind kind) {
  if (v.kind() == kind) return true;
  if (kind == ValueKind::kEntity) return TypeError("(entity of type `any_entity_type`)", v);
  return TypeError(KindName(kind), v);
}

bool Evaluator::EntityScopeMatches(const EntityScope& scope, const EntityUID* target,
                                   const EntityUID& uid, const Entity* entity) const {
  switch (scope.op) {
    case EntityScope::kAny:
      return true;
    case EntityScope::kEq:
      return target != nullptr && uid == *target;
    case EntityScope::kIn:
      return target != nullptr && IsIn(uid, entity, *target);
    case EntityScope::kIs:
      return BytesEqual(uid.type, scope.entity_type);
    case EntityScope::kIsIn:
      return BytesEqual(uid.type, scope.entity_type) && target != nullptr &&
             IsIn(uid, entity, *target);
  }
  return false;
}

bool Evaluator::ScopeMatches(const Policy& policy) const {
  const PolicyAst& ast = policy.ast();
  if (!EntityScopeMatches(ast.principal, policy.principal_uid(), *request_.principal, principal_)) {
    return false;
  }
  const EntityUID& action = *request_.action;
  switch (ast.action.op) {
    case ActionScope::kAny:
      break;
    case ActionScope::kEq:
      if (!(action == *ast.action.uids[0])) return false;
      break;
    case ActionScope::kIn:
      if (!IsIn(action, action_, *ast.action.uids[0])) return false;
      break;
    case ActionScope::kInSet: {
      bool any = false;
      for (const EntityUID* uid : ast.action.uids) {
        if (IsIn(action, action_, *uid)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
      break;
    }
  }
  return EntityScopeMatches(ast.resource, policy.resource_uid(), *request_.resource, resource_);
}

Evaluator::Outcome Evaluator::EvaluateConditions(const Policy& policy) {
  for (const Condition& cond : policy.ast().conditions) {
    Value v;
    if (!Eval(*cond.expr, v)) return Outcome::kError;
    if (!v.is(ValueKind::kBool)) {
      TypeError("bool", v);
      return Outcome::kError;
    }
    if (v.AsBool() != cond.is_when) return Outcome::kNotSatisfied;
  }
  return Outcome::kSatisfied;
}

bool Evaluator::Eval(const Expr& e, Value& out) {
  if (stack_.Exhausted()) [[unlikely]] {
    return Fail("expression nested too deeply to evaluate on this thread's stack");
  }
  switch (e.kind) {
    case ExprKind::kLiteral:
      out = e.lit;
      return true;
    case ExprKind::kVar:
      switch (e.var) {
        case Var::kPrincipal:
          out = Value::Entity(request_.principal);
          return true;
        case Var::kAction:
          out = Value::Entity(request_.action);
          return true;
        case Var::kResource:
          out = Value::Entity(request_.resource);
          return true;
        case Var::kContext:
          out = request_.context;
          return true;
      }
      return Fail("unknown variable");
    case ExprKind::kSlot:
      return Fail("template slot in a condition");
    case ExprKind::kIf: {
      Value c;
      if (!Eval(*e.a, c)) return false;
      if (!ExpectKind(c, ValueKind::kBool)) return false;
      return Eval(c.AsBool() ? *e.b : *e.c, out);
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      Value l;
      if (!Eval(*e.a, l)) return false;
      if (!ExpectKind(l, ValueKind::kBool)) return false;
      bool short_value = e.kind == ExprKind::kOr;
      if (l.AsBool() == short_value) {
        out = l;
        return true;
      }
      Value r;
      if (!Eval(*e.b, r)) return false;
      if (!ExpectKind(r, ValueKind::kBool)) return false;
      out = r;
      return true;
    }
    case ExprKind::kUnary: {
      Value v;
      if (!Eval(*e.a, v)) return false;
      switch (e.unary_op) {
        case UnaryOp::kNot:
          if (!ExpectKind(v, ValueKind::kBool)) return false;
          out = Value::Bool(!v.AsBool());
          return true;
        case UnaryOp::kNeg: {
          if (!ExpectKind(v, ValueKind::kLong)) return false;
          int64_t r;
          if (__builtin_sub_overflow(int64_t{0}, v.AsLong(), &r)) {
            return Fail("integer overflow while attempting to negate the value `" +
                        std::to_string(v.AsLong()) + "`");
          }
          out = Value::Long(r);
          return true;
        }
        case UnaryOp::kIsEmpty:
          if (!ExpectKind(v, ValueKind::kSet)) return false;
          out = Value::Bool(v.AsSet().items.empty());
          return true;
      }
      return Fail("unknown unary operator");
    }
    case ExprKind::kBinary:
      return EvalBinary(e, out);
    case ExprKind::kGetAttr:
      return EvalGetAttr(e, out);
    case ExprKind::kHasAttr:
      return EvalHas(e, out);
    case ExprKind::kLike: {
      Value v;
      if (!Eval(*e.a, v)) return false;
      if (!ExpectKind(v, ValueKind::kString)) return false;
      out = Value::Bool(PatternMatches(e.pattern, v.AsString()));
      return true;
    }
    case ExprKind::kIs: {
      Value v;
      if (!Eval(*e.a, v)) return false;
      if (!ExpectKind(v, ValueKind::kEntity)) return false;
      if (!BytesEqual(v.AsEntity().type, e.name)) {
        out = Value::Bool(false);
        return true;
      }
      if (e.b == nullptr) {
        out = Value::Bool(true);
        return true;
      }
      Value target;
      if (!Eval(*e.b, target)) return false;
      return EvalIn(v, target, out);
    }
    case ExprKind::kSet: {
      if (e.folded) {
        out = e.lit;
        return true;
      }
      std::array<Value, kInlineItems> inline_items;
      std::span<Value> items;
      if (e.items.size() <= kInlineItems) {
        items = std::span<Value>(inline_items.data(), e.items.size());
      } else {
        items = std::span<Value>(arena_.NewArray<Value>(e.items.size()), e.items.size());
      }
      for (size_t i = 0; i < e.items.size(); ++i) {
        if (!Eval(*e.items[i], items[i])) return false;
      }
      out = Value::Set(MakeSet(arena_, items));
      return true;
    }
    case ExprKind::kRecord: {
      std::array<RecordField, kInlineItems> inline_fields;
      std::span<RecordField> fields;
      if (e.fields.size() <= kInlineItems) {
        fields = std::span<RecordField>(inline_fields.data(), e.fields.size());
      } else {
        fields =
            std::span<RecordField>(arena_.NewArray<RecordField>(e.fields.size()), e.fields.size());
      }
      for (size_t i = 0; i < e.fields.size(); ++i) {
        fields[i].key = e.fields[i].key;
        if (!Eval(*e.fields[i].value, fields[i].value)) return false;
      }
      const RecordData* rec = MakeRecord(arena_, fields);
      if (rec == nullptr) return Fail("duplicate key in record literal");
      out = Value::Record(rec);
      return true;
    }
    case ExprKind::kCall:
      if (e.folded) {
        out = e.lit;
        return true;
      }
      return EvalCall(e, out);
  }
  return Fail("unknown expression");
}

bool Evaluator::EvalGetAttr(const Expr& e, Value& out) {
  Value v;
  if (!Eval(*e.a, v)) return false;
  if (v.is(ValueKind::kRecord)) {
    const Value* f = v.AsRecord().Find(e.name);
    if (f == nullptr)
      return Fail("record does not have the attribute `" + std::string(e.name) + "`");
    out = *f;
    return true;
  }
  if (v.is(ValueKind::kEntity)) {
    const Entity* ent = FindEntity(v.AsEntity());
    if (ent == nullptr) return Fail("entity `" + v.AsEntity().ToString() + "` does not exist");
    const Value* f = ent->attrs->Find(e.name);
    if (f == nullptr) {
      return Fail("`" + v.AsEntity().ToString() + "` does not have the attribute `" +
                  std::string(e.name) + "`");
    }
    out = *f;
    return true;
  }
  return TypeError("one of [record, (entity of type `any_entity_type`)]", v);
}

bool Evaluator::EvalHas(const Expr& e, Value& out) {
  Value cur;
  if (!Eval(*e.a, cur)) return false;
  // `e has a.b.c` means `e has a && e.a has b && e.a.b has c`.
  for (size_t i = 0; i < e.path.size(); ++i) {
    const Value* f = nullptr;
    if (cur.is(ValueKind::kRecord)) {
      f = cur.AsRecord().Find(e.path[i]);
    } else if (cur.is(ValueKind::kEntity)) {
      const Entity* ent = FindEntity(cur.AsEntity());
      if (ent != nullptr) f = ent->attrs->Find(e.path[i]);
    } else {
      return TypeError("one of [record, (entity of type `any_entity_type`)]", cur);
    }
    if (f == nullptr) {
      out = Value::Bool(false);
      return true;
    }
    cur = *f;
  }
  out = Value::Bool(true);
  return true;
}

bool Evaluator::EvalIn(const Value& lhs, const Value& rhs, Value& out) {
  if (!ExpectKind(lhs, ValueKind::kEntity)) return false;
  const EntityUID& uid = lhs.AsEntity();
  if (rhs.is(ValueKind::kEntity)) {
    out = Value::Bool(IsIn(uid, FindEntity(uid), rhs.AsEntity()));
    return true;
  }
  if (!rhs.is(ValueKind::kSet)) {
    return TypeError("one of [set, (entity of type `any_entity_type`)]", rhs);
  }
  // Every element must be an entity, even after a match is found.
  auto items = rhs.AsSet().items;
  for (const Value& v : items) {
    if (!ExpectKind(v, ValueKind::kEntity)) return false;
  }
  const Entity* ent = FindEntity(uid);
  for (const Value& v : items) {
    if (uid == v.AsEntity() || (ent != nullptr && ent->HasAncestor(v.AsEntity()))) {
      out = Value::Bool(true);
      return true;
    }
  }
  out = Value::Bool(false);
  return true;
}

bool Evaluator::EvalBinary(const Expr& e, Value& out) {
  Value l, r;
  if (!Eval(*e.a, l)) return false;
  if (!Eval(*e.b, r)) return false;
  switch (e.binary_op) {
    case BinaryOp::kEq:
      out = Value::Bool(Equal(l, r));
      return true;
    case BinaryOp::kNe:
      out = Value::Bool(!Equal(l, r));
      return true;
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe: {
      bool comparable =
          l.kind() == r.kind() &&
          (l.is(ValueKind::kLong) || l.is(ValueKind::kDatetime) || l.is(ValueKind::kDuration));
      if (!comparable) {
        return TypeError("long", l.is(ValueKind::kLong) ? r : l);
      }
      // Longs, datetimes and durations all hold their ordering key in the same integer.
      int64_t x = l.AsLong(), y = r.AsLong();
      bool res = e.binary_op == BinaryOp::kLt   ? x < y
                 : e.binary_op == BinaryOp::kLe ? x <= y
                 : e.binary_op == BinaryOp::kGt ? x > y
                                                : x >= y;
      out = Value::Bool(res);
      return true;
    }
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul: {
      if (!ExpectKind(l, ValueKind::kLong) || !ExpectKind(r, ValueKind::kLong)) return false;
      int64_t res;
      bool overflow;
      const char* verb;
      if (e.binary_op == BinaryOp::kAdd) {
        overflow = __builtin_add_overflow(l.AsLong(), r.AsLong(), &res);
        verb = "add";
      } else if (e.binary_op == BinaryOp::kSub) {
        overflow = __builtin_sub_overflow(l.AsLong(), r.AsLong(), &res);
        verb = "subtract";
      } else {
        overflow = __builtin_mul_overflow(l.AsLong(), r.AsLong(), &res);
        verb = "multiply";
      }
      if (overflow) {
        return Fail(std::string("integer overflow while attempting to ") + verb + " the values `" +
                    std::to_string(l.AsLong()) + "` and `" + std::to_string(r.AsLong()) + "`");
      }
      out = Value::Long(res);
      return true;
    }
    case BinaryOp::kIn:
      return EvalIn(l, r, out);
    case BinaryOp::kContains:
      if (!ExpectKind(l, ValueKind::kSet)) return false;
      out = Value::Bool(SetContains(l.AsSet(), r));
      return true;
    case BinaryOp::kContainsAll:
    case BinaryOp::kContainsAny: {
      if (!ExpectKind(l, ValueKind::kSet) || !ExpectKind(r, ValueKind::kSet)) return false;
      bool all = e.binary_op == BinaryOp::kContainsAll;
      bool res = all;
      for (const Value& v : r.AsSet().items) {
        if (SetContains(l.AsSet(), v) != all) {
          res = !all;
          break;
        }
      }
      out = Value::Bool(res);
      return true;
    }
    case BinaryOp::kHasTag:
    case BinaryOp::kGetTag: {
      if (!ExpectKind(l, ValueKind::kEntity) || !ExpectKind(r, ValueKind::kString)) return false;
      const Entity* ent = FindEntity(l.AsEntity());
      bool get = e.binary_op == BinaryOp::kGetTag;
      if (ent == nullptr) {
        if (!get) {
          out = Value::Bool(false);
          return true;
        }
        return Fail("entity `" + l.AsEntity().ToString() + "` does not exist");
      }
      const Value* tag = ent->tags->Find(r.AsString());
      if (!get) {
        out = Value::Bool(tag != nullptr);
        return true;
      }
      if (tag == nullptr) {
        return Fail("`" + l.AsEntity().ToString() + "` does not have the tag `" +
                    std::string(r.AsString()) + "`");
      }
      out = *tag;
      return true;
    }
  }
  return Fail("unknown binary operator");
}

bool Evaluator::EvalCall(const Expr& e, Value& out) {
  const ExtFnInfo& info = ExtFnInfoOf(e.ext_fn);
  if (e.items.size() != info.arity) {
    return Fail(std::string("wrong number of arguments provided to extension function `") +
                info.name + "`: expected " + std::to_string(info.arity) + ", got " +
                std::to_string(e.items.size()));
  }
  std::array<Value, 2> args;
  for (size_t i = 0; i < e.items.size(); ++i) {
    if (!Eval(*e.items[i], args[i])) return false;
  }
  const Value& a = args[0];
  const Value& b = args[1];
  auto ext_error = [&](const Error& err) {
    return Fail(std::string("error while evaluating `") + info.name +
                "` extension function: " + err.message);
  };
  switch (e.ext_fn) {
    case ExtFn::kIp: {
      if (!ExpectKind(a, ValueKind::kString)) return false;
      auto r = IpAddr::Parse(a.AsString());
      if (!r.ok()) return ext_error(r.error());
      out = Value::Ip(arena_.New<IpAddr>(*r));
      return true;
    }
    case ExtFn::kDecimal: {
      if (!ExpectKind(a, ValueKind::kString)) return false;
      auto r = Decimal::Parse(a.AsString());
      if (!r.ok()) return ext_error(r.error());
      out = Value::Dec(*r);
      return true;
    }
    case ExtFn::kDatetime: {
      if (!ExpectKind(a, ValueKind::kString)) return false;
      auto r = Datetime::Parse(a.AsString());
      if (!r.ok()) return ext_error(r.error());
      out = Value::Time(*r);
      return true;
    }
    case ExtFn::kDuration: {
      if (!ExpectKind(a, ValueKind::kString)) return false;
      auto r = Duration::Parse(a.AsString());
      if (!r.ok()) return ext_error(r.error());
      out = Value::Dur(*r);
      return true;
    }
    case ExtFn::kIsIpv4:
    case ExtFn::kIsIpv6:
    case ExtFn::kIsLoopback:
    case ExtFn::kIsMulticast: {
      if (!ExpectKind(a, ValueKind::kIpAddr)) return false;
      const IpAddr& ip = a.AsIp();
      bool r = e.ext_fn == ExtFn::kIsIpv4       ? ip.IsIpv4()
               : e.ext_fn == ExtFn::kIsIpv6     ? ip.IsIpv6()
               : e.ext_fn == ExtFn::kIsLoopback ? ip.IsLoopback()
                                                : ip.IsMulticast();
      out = Value::Bool(r);
      return true;
    }
    case ExtFn::kIsInRange:
      if (!ExpectKind(a, ValueKind::kIpAddr) || !ExpectKind(b, ValueKind::kIpAddr)) return false;
      out = Value::Bool(a.AsIp().IsInRange(b.AsIp()));
      return true;
    case ExtFn::kLessThan:
    case ExtFn::kLessThanOrEqual:
    case ExtFn::kGreaterThan:
    case ExtFn::kGreaterThanOrEqual: {
      if (!ExpectKind(a, ValueKind::kDecimal) || !ExpectKind(b, ValueKind::kDecimal)) return false;
      int64_t x = a.AsDecimal().raw, y = b.AsDecimal().raw;
      bool r = e.ext_fn == ExtFn::kLessThan          ? x < y
               : e.ext_fn == ExtFn::kLessThanOrEqual ? x <= y
               : e.ext_fn == ExtFn::kGreaterThan     ? x > y
                                                     : x >= y;
      out = Value::Bool(r);
      return true;
    }
    case ExtFn::kOffset: {
      if (!ExpectKind(a, ValueKind::kDatetime) || !ExpectKind(b, ValueKind::kDuration))
        return false;
      auto r = a.AsDatetime().Offset(b.AsDuration());
      if (!r.ok()) return ext_error(r.error());
      out = Value::Time(*r);
      return true;
    }
    case ExtFn::kDurationSince: {
      if (!ExpectKind(a, ValueKind::kDatetime) || !ExpectKind(b, ValueKind::kDatetime))
        return false;
      auto r = a.AsDatetime().DurationSince(b.AsDatetime());
      if (!r.ok()) return ext_error(r.error());
      out = Value::Dur(*r);
      return true;
    }
    case ExtFn::kToDate: {
      if (!ExpectKind(a, ValueKind::kDatetime)) return false;
      auto r = a.AsDatetime().ToDate();
      if (!r.ok()) return ext_error(r.error());
      out = Value::Time(*r);
      return true;
    }
    case ExtFn::kToTime:
      if (!ExpectKind(a, ValueKind::kDatetime)) return false;
      out = Value::Dur(a.AsDatetime().ToTime());
      return true;
    case ExtFn::kToMilliseconds:
    case ExtFn::kToSeconds:
    case ExtFn::kToMinutes:
    case ExtFn::kToHours:
    case ExtFn::kToDays: {
      if (!ExpectKind(a, ValueKind::kDuration)) return false;
      Duration d = a.AsDuration();
      int64_t r = e.ext_fn == ExtFn::kToMilliseconds ? d.ToMilliseconds()
                  : e.ext_fn == ExtFn::kToSeconds    ? d.ToSeconds()
                  : e.ext_fn == ExtFn::kToMinutes    ? d.ToMinutes()
                  : e.ext_fn == ExtFn::kToHours      ? d.ToHours()
                                                     : d.ToDays();
      out = Value::Long(r);
      return true;
    }
  }
  return Fail("unknown extension function");
}

}  // namespace cedar

namespace cedar {

bool EvaluateStandalone(const Expr& e, Arena& arena, Value& out, std::string& error) {
  static const Entities kNoEntities;
  static const EntityUID kUnknown{"__cedar::Unknown", "",
                                  EntityUID::HashOf("__cedar::Unknown", "")};
  Request request;
  request.principal = request.action = request.resource = &kUnknown;
  Evaluator ev(kNoEntities, request, arena);
  if (ev.Eval(e, out)) return true;
  error = ev.error();
  return false;
}

}  // namespace cedar
