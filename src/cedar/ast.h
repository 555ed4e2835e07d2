// The syntax tree of Cedar policies and templates.
//
// Nodes are immutable and live in the Arena of the Policy that owns them. Every node keeps the
// byte range of the source it came from, so validators and formatters can point at it and
// reproduce literals as written.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cedar/arena.h"
#include "cedar/error.h"
#include "cedar/value.h"

namespace cedar {

enum class Var : uint8_t { kPrincipal, kAction, kResource, kContext };
const char* VarName(Var v);

enum class SlotId : uint8_t { kPrincipal, kResource };

enum class ExprKind : uint8_t {
  kLiteral,  // lit
  kVar,      // var
  kSlot,     // slot
  kIf,       // if a then b else c
  kAnd,      // a && b
  kOr,       // a || b
  kUnary,    // unary_op a
  kBinary,   // a binary_op b
  kGetAttr,  // a.attr or a["attr"]
  kHasAttr,  // a has path[0].path[1]...
  kLike,     // a like pattern
  kIs,       // a is entity_type [in b]
  kSet,      // [items...]
  kRecord,   // {fields...}
  kCall,     // extension function or method: fn(items...)
};

enum class UnaryOp : uint8_t { kNot, kNeg, kIsEmpty };

enum class BinaryOp : uint8_t {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kIn,
  kContains,
  kContainsAll,
  kContainsAny,
  kGetTag,
  kHasTag,
};
const char* BinaryOpText(BinaryOp op);  // "==", "contains", ...

// Extension functions, resolved by name at parse time.
enum class ExtFn : uint8_t {
  kIp,
  kDecimal,
  kDatetime,
  kDuration,
  kIsIpv4,
  kIsIpv6,
  kIsLoopback,
  kIsMulticast,
  kIsInRange,
  kLessThan,
  kLessThanOrEqual,
  kGreaterThan,
  kGreaterThanOrEqual,
  kOffset,
  kDurationSince,
  kToDate,
  kToTime,
  kToMilliseconds,
  kToSeconds,
  kToMinutes,
  kToHours,
  kToDays,
};
struct ExtFnInfo {
  ExtFn fn;
  const char* name;
  bool is_method;  // called as receiver.name(args); receiver is items[0]
  uint8_t arity;   // including the receiver
};
const ExtFnInfo& ExtFnInfoOf(ExtFn fn);
const ExtFnInfo* FindExtFn(std::string_view name);

// A `like` pattern: literal runs separated by wildcards.
struct PatternElem {
  bool wildcard = false;
  std::string_view literal;  // when !wildcard
};
bool PatternMatches(std::span<const PatternElem> pattern, std::string_view text);

struct SourceSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
};

struct Expr;
struct ExprField {
  std::string_view key;
  const Expr* value = nullptr;
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  union {
    Var var;
    SlotId slot;
    UnaryOp unary_op;
    BinaryOp binary_op;
    ExtFn ext_fn;
  };
  // For kGetAttr written as a["x"], kHasAttr written as a has "x", kRecord keys written as
  // strings: remembered so the formatter can reproduce the source.
  bool bracket_or_quoted = false;
  uint8_t parens = 0;       // enclosing pairs of parentheses as written (saturates at 255)
  SourceSpan span;          // includes the parentheses
  Value lit;                // kLiteral; kCall, kSet: the folded value when constant (see folded)
  bool folded = false;      // kCall on a literal argument, kSet of constants: evaluated once
  const Expr* a = nullptr;  // operand / condition / receiver
  const Expr* b = nullptr;  // right operand / then / `in` target of kIs
  const Expr* c = nullptr;  // else
  std::string_view name;    // attribute (kGetAttr), entity type (kIs)
  std::span<const std::string_view> path;  // kHasAttr: attribute path, at least one element
  std::span<const Expr* const> items;      // kSet elements, kCall arguments
  std::span<const ExprField> fields;       // kRecord, in source order
  std::span<const PatternElem> pattern;    // kLike

  Expr() : var(Var::kPrincipal) {}
};

// Folds a set literal whose elements are all constants (literals or folded constructors) into
// one canonical set value built in `arena`, so that evaluation does not rebuild it.
void FoldSetLiteral(Arena& arena, Expr& e);

enum class Effect : uint8_t { kPermit, kForbid };

// A principal or resource scope constraint.
struct EntityScope {
  enum Op : uint8_t { kAny, kEq, kIn, kIs, kIsIn };
  Op op = kAny;
  std::string_view entity_type;    // kIs, kIsIn
  const EntityUID* uid = nullptr;  // kEq, kIn, kIsIn: the entity, or nullptr when a slot
  bool slot = false;               // the entity is ?principal / ?resource
  SourceSpan span;
};

struct ActionScope {
  enum Op : uint8_t { kAny, kEq, kIn, kInSet };
  Op op = kAny;
  std::span<const EntityUID* const> uids;  // kEq, kIn: one; kInSet: any number
  SourceSpan span;
};

struct Condition {
  bool is_when = true;
  const Expr* expr = nullptr;
  SourceSpan span;  // the whole clause, keyword to closing brace
};

struct Annotation {
  std::string_view key;
  std::string_view value;
  bool has_value = false;
};

// One policy or template as parsed. Owns its arena and a reference to its source text.
struct PolicyAst {
  Effect effect = Effect::kPermit;
  std::vector<Annotation> annotations;
  EntityScope principal;
  ActionScope action;
  EntityScope resource;
  std::vector<Condition> conditions;
  SourceSpan span;
  std::shared_ptr<const std::string> source;  // the text the spans point into (may be null)
  Arena arena{{}, 1024};

  bool IsTemplate() const { return principal.slot || resource.slot; }
  const Annotation* FindAnnotation(std::string_view key) const;
};

// Line and column (1-based) of a byte offset in `text`.
SourcePos PositionOf(std::string_view text, uint32_t offset);

}  // namespace cedar
