#include "cedar/ast.h"

#include <array>
#include <vector>

namespace cedar {

const char* VarName(Var v) {
  switch (v) {
    case Var::kPrincipal:
      return "principal";
    case Var::kAction:
      return "action";
    case Var::kResource:
      return "resource";
    case Var::kContext:
      return "context";
  }
  return "?";
}

const char* BinaryOpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEq:
      return "==";
    case BinaryOp::kNe:
      return "!=";
    case BinaryOp::kLt:
      return "<";
    case BinaryOp::kLe:
      return "<=";
    case BinaryOp::kGt:
      return ">";
    case BinaryOp::kGe:
      return ">=";
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kIn:
      return "in";
    case BinaryOp::kContains:
      return "contains";
    case BinaryOp::kContainsAll:
      return "containsAll";
    case BinaryOp::kContainsAny:
      return "containsAny";
    case BinaryOp::kGetTag:
      return "getTag";
    case BinaryOp::kHasTag:
      return "hasTag";
  }
  return "?";
}

namespace {

constexpr std::array<ExtFnInfo, 22> kExtFns = {{
    {ExtFn::kIp, "ip", false, 1},
    {ExtFn::kDecimal, "decimal", false, 1},
    {ExtFn::kDatetime, "datetime", false, 1},
    {ExtFn::kDuration, "duration", false, 1},
    {ExtFn::kIsIpv4, "isIpv4", true, 1},
    {ExtFn::kIsIpv6, "isIpv6", true, 1},
    {ExtFn::kIsLoopback, "isLoopback", true, 1},
    {ExtFn::kIsMulticast, "isMulticast", true, 1},
    {ExtFn::kIsInRange, "isInRange", true, 2},
    {ExtFn::kLessThan, "lessThan", true, 2},
    {ExtFn::kLessThanOrEqual, "lessThanOrEqual", true, 2},
    {ExtFn::kGreaterThan, "greaterThan", true, 2},
    {ExtFn::kGreaterThanOrEqual, "greaterThanOrEqual", true, 2},
    {ExtFn::kOffset, "offset", true, 2},
    {ExtFn::kDurationSince, "durationSince", true, 2},
    {ExtFn::kToDate, "toDate", true, 1},
    {ExtFn::kToTime, "toTime", true, 1},
    {ExtFn::kToMilliseconds, "toMilliseconds", true, 1},
    {ExtFn::kToSeconds, "toSeconds", true, 1},
    {ExtFn::kToMinutes, "toMinutes", true, 1},
    {ExtFn::kToHours, "toHours", true, 1},
    {ExtFn::kToDays, "toDays", true, 1},
}};

}  // namespace

const ExtFnInfo& ExtFnInfoOf(ExtFn fn) {
  return kExtFns[static_cast<size_t>(fn)];
}

const ExtFnInfo* FindExtFn(std::string_view name) {
  for (const auto& info : kExtFns) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

void FoldSetLiteral(Arena& arena, Expr& e) {
  if (e.kind != ExprKind::kSet || e.items.empty()) return;
  std::vector<Value> values;
  values.reserve(e.items.size());
  for (const Expr* item : e.items) {
    if (item->kind != ExprKind::kLiteral && !item->folded) return;
    values.push_back(item->lit);  // a literal, a folded constructor or a nested constant set
  }
  e.lit = Value::Set(MakeSet(arena, values));
  e.folded = true;
}

bool PatternMatches(std::span<const PatternElem> pattern, std::string_view text) {
  // Greedy matching with backtracking to the last wildcard: linear in practice, worst case
  // O(|pattern| * |text|). Byte-wise matching is exact for UTF-8: a literal run never starts
  // on a continuation byte, so it can only match at character boundaries.
  size_t pi = 0, ti = 0;
  size_t star_pi = SIZE_MAX, star_ti = 0;
  while (true) {
    if (pi < pattern.size() && pattern[pi].wildcard) {
      star_pi = pi++;
      star_ti = ti;
      continue;
    }
    if (pi == pattern.size()) {
      if (ti == text.size()) return true;
    } else {
      std::string_view lit = pattern[pi].literal;
      if (text.substr(ti, lit.size()) == lit) {
        ++pi;
        ti += lit.size();
        continue;
      }
    }
    if (star_pi == SIZE_MAX || star_ti >= text.size()) return false;
    // Let the last wildcard absorb one more byte and retry.
    pi = star_pi + 1;
    ti = ++star_ti;
  }
}

SourcePos PositionOf(std::string_view text, uint32_t offset) {
  SourcePos pos{offset, 1, 1};
  size_t end = std::min<size_t>(offset, text.size());
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++pos.column;
    }
  }
  return pos;
}

const Annotation* PolicyAst::FindAnnotation(std::string_view key) const {
  for (const auto& a : annotations) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

}  // namespace cedar
