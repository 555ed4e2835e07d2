// Writes a policy syntax tree as Cedar text.
//
// The tree may come from policy JSON, which has no parentheses and no source, so parentheses
// are added wherever the grammar needs them to read the same tree back: an operand of lower
// precedence than its position, the right operand of a left-associative operator, a relation
// inside a relation, and a few token-level cases noted below.

#include <string>

#include "cedar/format.h"
#include "cedar/syntax/lexer.h"

namespace cedar {
namespace {

// Grammar levels, lowest first.
enum Level {
  kIfLevel,
  kOrLevel,
  kAndLevel,
  kRelLevel,
  kAddLevel,
  kMulLevel,
  kUnaryLevel,
  kMemberLevel
};

bool IsReservedWord(std::string_view w) {
  return w == "true" || w == "false" || w == "if" || w == "then" || w == "else" || w == "in" ||
         w == "like" || w == "has" || w == "is" || w == "__cedar";
}

// A name usable after `.`, after `has` and as a record key without quotes.
bool IsPlainName(std::string_view s) {
  return IsIdentifier(s) && !IsReservedWord(s);
}

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  out += EscapeString(s);
  out += '"';
}

void AppendPattern(std::string& out, std::span<const PatternElem> pattern) {
  out += '"';
  for (const auto& el : pattern) {
    if (el.wildcard) {
      out += '*';
      continue;
    }
    std::string escaped = EscapeString(el.literal);
    for (char c : escaped) {
      if (c == '*') out += '\\';
      out += c;
    }
  }
  out += '"';
}

class TextWriter {
 public:
  std::string out;

  void Policy(const PolicyAst& p) {
    for (const auto& a : p.annotations) {
      out += '@';
      out += a.key;
      if (a.has_value) {
        out += '(';
        AppendQuoted(out, a.value);
        out += ')';
      }
      out += '\n';
    }
    out += p.effect == Effect::kPermit ? "permit(" : "forbid(";
    EntityScopeText(p.principal, "principal");
    out += ", ";
    ActionScopeText(p.action);
    out += ", ";
    EntityScopeText(p.resource, "resource");
    out += ')';
    for (const auto& c : p.conditions) {
      out += c.is_when ? " when { " : " unless { ";
      Expr(*c.expr, kIfLevel);
      out += " }";
    }
    out += ";\n";
  }

 private:
  void Target(const EntityUID* uid, bool slot, const char* var) {
    if (slot) {
      out += '?';
      out += var;
    } else {
      out += uid->ToString();
    }
  }

  void EntityScopeText(const EntityScope& s, const char* var) {
    out += var;
    switch (s.op) {
      case EntityScope::kAny:
        break;
      case EntityScope::kEq:
        out += " == ";
        Target(s.uid, s.slot, var);
        break;
      case EntityScope::kIn:
        out += " in ";
        Target(s.uid, s.slot, var);
        break;
      case EntityScope::kIs:
      case EntityScope::kIsIn:
        out += " is ";
        out += s.entity_type;
        if (s.op == EntityScope::kIsIn) {
          out += " in ";
          Target(s.uid, s.slot, var);
        }
        break;
    }
  }

  void ActionScopeText(const ActionScope& s) {
    out += "action";
    switch (s.op) {
      case ActionScope::kAny:
        break;
      case ActionScope::kEq:
        out += " == " + s.uids[0]->ToString();
        break;
      case ActionScope::kIn:
        out += " in " + s.uids[0]->ToString();
        break;
      case ActionScope::kInSet:
        out += " in [";
        for (size_t i = 0; i < s.uids.size(); ++i) {
          if (i > 0) out += ", ";
          out += s.uids[i]->ToString();
        }
        out += ']';
        break;
    }
  }

  static Level LevelOf(const cedar::Expr& e) {
    switch (e.kind) {
      case ExprKind::kIf:
        return kIfLevel;
      case ExprKind::kOr:
        return kOrLevel;
      case ExprKind::kAnd:
        return kAndLevel;
      case ExprKind::kHasAttr:
        // A multi-attribute path that cannot be written after `has` becomes a conjunction.
        for (auto name : e.path) {
          if (e.path.size() > 1 && !IsPlainName(name)) return kAndLevel;
        }
        return kRelLevel;
      case ExprKind::kLike:
      case ExprKind::kIs:
        return kRelLevel;
      case ExprKind::kBinary:
        switch (e.binary_op) {
          case BinaryOp::kAdd:
          case BinaryOp::kSub:
            return kAddLevel;
          case BinaryOp::kMul:
            return kMulLevel;
          case BinaryOp::kContains:
          case BinaryOp::kContainsAll:
          case BinaryOp::kContainsAny:
          case BinaryOp::kGetTag:
          case BinaryOp::kHasTag:
            return kMemberLevel;
          default:
            return kRelLevel;
        }
      case ExprKind::kUnary:
        return e.unary_op == UnaryOp::kIsEmpty ? kMemberLevel : kUnaryLevel;
      case ExprKind::kLiteral:
        // `-1` reads as a unary minus when something follows it (`-1.foo`), so a negative
        // literal is a unary-level expression.
        if (e.lit.kind() == ValueKind::kLong && e.lit.AsLong() < 0) return kUnaryLevel;
        return kMemberLevel;
      default:
        return kMemberLevel;
    }
  }

  // Writes `e` where the grammar expects an expression of at least level `min`.
  void Expr(const cedar::Expr& e, Level min) {
    if (LevelOf(e) < min) {
      out += '(';
      Bare(e);
      out += ')';
    } else {
      Bare(e);
    }
  }

  void Args(std::span<const cedar::Expr* const> items) {
    out += '(';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ", ";
      Expr(*items[i], kIfLevel);
    }
    out += ')';
  }

  void Bare(const cedar::Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        ValueText(e.lit);
        return;
      case ExprKind::kVar:
        out += VarName(e.var);
        return;
      case ExprKind::kSlot:
        out += e.slot == SlotId::kPrincipal ? "?principal" : "?resource";
        return;
      case ExprKind::kIf:
        out += "if ";
        Expr(*e.a, kIfLevel);
        out += " then ";
        Expr(*e.b, kIfLevel);
        out += " else ";
        Expr(*e.c, kIfLevel);
        return;
      case ExprKind::kOr:
        Expr(*e.a, kOrLevel);
        out += " || ";
        Expr(*e.b, kAndLevel);
        return;
      case ExprKind::kAnd:
        Expr(*e.a, kAndLevel);
        out += " && ";
        Expr(*e.b, kRelLevel);
        return;
      case ExprKind::kUnary:
        if (e.unary_op == UnaryOp::kIsEmpty) {
          Expr(*e.a, kMemberLevel);
          out += ".isEmpty()";
          return;
        }
        UnaryText(e);
        return;
      case ExprKind::kBinary:
        BinaryText(e);
        return;
      case ExprKind::kGetAttr:
        Expr(*e.a, kMemberLevel);
        if (IsPlainName(e.name)) {
          out += '.';
          out += e.name;
        } else {
          out += '[';
          AppendQuoted(out, e.name);
          out += ']';
        }
        return;
      case ExprKind::kHasAttr:
        HasText(e);
        return;
      case ExprKind::kLike:
        Expr(*e.a, kAddLevel);
        out += " like ";
        AppendPattern(out, e.pattern);
        return;
      case ExprKind::kIs:
        Expr(*e.a, kAddLevel);
        out += " is ";
        out += e.name;
        if (e.b != nullptr) {
          out += " in ";
          Expr(*e.b, kAddLevel);
        }
        return;
      case ExprKind::kSet:
        out += '[';
        for (size_t i = 0; i < e.items.size(); ++i) {
          if (i > 0) out += ", ";
          Expr(*e.items[i], kIfLevel);
        }
        out += ']';
        return;
      case ExprKind::kRecord:
        out += '{';
        for (size_t i = 0; i < e.fields.size(); ++i) {
          if (i > 0) out += ", ";
          Key(e.fields[i].key);
          out += ": ";
          Expr(*e.fields[i].value, kIfLevel);
        }
        out += '}';
        return;
      case ExprKind::kCall: {
        const ExtFnInfo& info = ExtFnInfoOf(e.ext_fn);
        if (info.is_method && !e.items.empty()) {
          Expr(*e.items[0], kMemberLevel);
          out += '.';
          out += info.name;
          Args(e.items.subspan(1));
        } else {
          out += info.name;
          Args(e.items);
        }
        return;
      }
    }
  }

  // `!` and `-` repeat at most four times and never mix without parentheses; `-` before an
  // integer literal would make a negative literal, so that operand is parenthesized.
  void UnaryText(const cedar::Expr& e) {
    const char* op = e.unary_op == UnaryOp::kNot ? "!" : "-";
    size_t run = 0;
    const cedar::Expr* x = &e;
    while (x->kind == ExprKind::kUnary && x->unary_op == e.unary_op && run < 4) {
      out += op;
      ++run;
      x = x->a;
    }
    bool literal_after_minus = e.unary_op == UnaryOp::kNeg && x->kind == ExprKind::kLiteral &&
                               x->lit.kind() == ValueKind::kLong;
    if (literal_after_minus && x->lit.AsLong() < 0 && run < 4) {
      // `--1` reads as the negation of the literal -1.
      ValueText(x->lit);
      return;
    }
    if (x->kind == ExprKind::kUnary || literal_after_minus) {
      out += '(';
      Bare(*x);
      out += ')';
      return;
    }
    Expr(*x, kMemberLevel);
  }

  void BinaryText(const cedar::Expr& e) {
    switch (e.binary_op) {
      case BinaryOp::kAdd:
      case BinaryOp::kSub:
        Expr(*e.a, kAddLevel);
        out += e.binary_op == BinaryOp::kAdd ? " + " : " - ";
        Expr(*e.b, kMulLevel);
        return;
      case BinaryOp::kMul:
        Expr(*e.a, kMulLevel);
        out += " * ";
        Expr(*e.b, kUnaryLevel);
        return;
      case BinaryOp::kContains:
      case BinaryOp::kContainsAll:
      case BinaryOp::kContainsAny:
      case BinaryOp::kGetTag:
      case BinaryOp::kHasTag:
        Expr(*e.a, kMemberLevel);
        out += '.';
        out += BinaryOpText(e.binary_op);
        out += '(';
        Expr(*e.b, kIfLevel);
        out += ')';
        return;
      default:
        Expr(*e.a, kAddLevel);
        out += ' ';
        out += BinaryOpText(e.binary_op);
        out += ' ';
        Expr(*e.b, kAddLevel);
        return;
    }
  }

  void HasText(const cedar::Expr& e) {
    bool plain = true;
    for (auto name : e.path) plain = plain && IsPlainName(name);
    if (plain || e.path.size() == 1) {
      Expr(*e.a, kAddLevel);
      out += " has ";
      if (plain) {
        for (size_t i = 0; i < e.path.size(); ++i) {
          if (i > 0) out += '.';
          out += e.path[i];
        }
      } else {
        AppendQuoted(out, e.path[0]);
      }
      return;
    }
    // `x has a.b` means `x has a && x.a has b`; with a name that is not an identifier only
    // the long form can be written.
    for (size_t i = 0; i < e.path.size(); ++i) {
      if (i > 0) out += " && ";
      Expr(*e.a, kMemberLevel);
      for (size_t k = 0; k < i; ++k) {
        out += '[';
        AppendQuoted(out, e.path[k]);
        out += ']';
      }
      out += " has ";
      AppendQuoted(out, e.path[i]);
    }
  }

  void Key(std::string_view key) {
    if (IsPlainName(key)) {
      out += key;
    } else {
      AppendQuoted(out, key);
    }
  }

  void ValueText(const Value& v) {
    switch (v.kind()) {
      case ValueKind::kBool:
        out += v.AsBool() ? "true" : "false";
        return;
      case ValueKind::kLong:
        out += std::to_string(v.AsLong());
        return;
      case ValueKind::kString:
        AppendQuoted(out, v.AsString());
        return;
      case ValueKind::kEntity:
        out += v.AsEntity().ToString();
        return;
      case ValueKind::kSet: {
        out += '[';
        bool first = true;
        for (const Value& x : v.AsSet().items) {
          if (!first) out += ", ";
          first = false;
          ValueText(x);
        }
        out += ']';
        return;
      }
      case ValueKind::kRecord: {
        out += '{';
        bool first = true;
        for (const auto& f : v.AsRecord().fields) {
          if (!first) out += ", ";
          first = false;
          Key(f.key);
          out += ": ";
          ValueText(f.value);
        }
        out += '}';
        return;
      }
      case ValueKind::kDecimal:
        out += "decimal(\"" + v.AsDecimal().ToString() + "\")";
        return;
      case ValueKind::kIpAddr:
        out += "ip(\"" + v.AsIp().ToString() + "\")";
        return;
      case ValueKind::kDatetime:
        out += "datetime(\"" + v.AsDatetime().ToString() + "\")";
        return;
      case ValueKind::kDuration:
        out += "duration(\"" + v.AsDuration().ToString() + "\")";
        return;
    }
  }
};

}  // namespace

std::string PolicyToText(const PolicyAst& policy) {
  TextWriter w;
  w.Policy(policy);
  return std::move(w.out);
}

}  // namespace cedar
