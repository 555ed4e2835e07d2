// Strict typechecking of one policy in one request environment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cedar/arena.h"
#include "cedar/ast.h"
#include "cedar/validator.h"
#include "cedar/validator/schema_view.h"
#include "cedar/validator/types.h"

namespace cedar::validation {

// An issue found in a policy, before it is given the policy's id and a line and column.
struct Issue {
  ValidationCode code;
  SourceSpan span;
  std::string message;
};

// What a `has` or `hasTag` test established: `obj` has attribute `attr` (tag == nullptr), or
// `obj` has the tag named by the expression `tag`. Expressions are compared by structure.
struct Capability {
  const Expr* obj = nullptr;
  std::string_view attr;
  const Expr* tag = nullptr;
};

// Structural equality of expressions (spans and parentheses ignored).
bool SameExpr(const Expr& a, const Expr& b);

// Typechecks one policy or template against each environment it is given. Issues are appended
// to `issues` (the same issue may be found in several environments; the caller removes
// duplicates). Not thread-safe; one per policy and thread.
class Typechecker {
 public:
  Typechecker(const SchemaView& schema, const PolicyAst& policy, std::vector<Issue>& issues,
              std::optional<uint32_t> max_level);

  // The type of the whole policy (scope && when-conditions && !unless-conditions) in `env`:
  // False when the policy cannot apply to any request of that environment.
  Type CheckPolicy(const RequestEnv& env);

  // Level validation, over all environments checked so far: the deepest chain of entity
  // dereferences the policy needs, and where the first one deeper than allowed is.
  uint32_t required_level() const { return required_level_; }
  SourceSpan first_too_deep() const { return first_too_deep_; }

  static constexpr uint32_t kLiteralLevel = UINT32_MAX;  // the value may be an entity literal

 private:
  struct Typed {
    Type type;
    std::vector<Capability> caps;
    uint32_t level = 0;  // dereferences that produced the value's entities
    // For a record read out of an entity: that entity's type and how many attribute accesses
    // ago it was left (for messages that name the attribute path).
    const EntityTypeInfo* origin = nullptr;
    uint32_t origin_depth = 0;
    // CheckBool: the expression had no type or not a boolean one (reported; typed as Bool).
    bool not_boolean = false;
  };
  struct EntityRef {  // an entity known at validation time: a literal, or `action`
    bool known = false;
    std::string_view type;
    std::string_view id;
  };

  Typed Check(const Expr& e);
  Typed CheckBool(const Expr& e);  // expects a boolean; anything else is treated as Bool
  Typed CheckIf(const Expr& e);
  Typed CheckAnd(const Expr& e);
  Typed CheckOr(const Expr& e);
  Typed CheckUnary(const Expr& e);
  Typed CheckBinary(const Expr& e);
  Typed CheckEquality(const Expr& e);
  Typed CheckIn(const Expr& e);
  Typed CheckGetAttr(const Expr& e);
  Typed CheckHasAttr(const Expr& e);
  Typed CheckIs(const Expr& e);
  Typed CheckSet(const Expr& e);
  Typed CheckRecord(const Expr& e);
  Typed CheckCall(const Expr& e);
  Typed CheckTag(const Expr& e);

  // Type of `obj has attr` where obj (written as `obj_expr`) has type `t`.
  Type HasType(const Expr& obj_expr, const Typed& t, std::string_view attr);
  Typed ReadAttr(const Expr& at, const Expr& obj_expr, const Typed& obj, std::string_view attr,
                 uint32_t path_len);
  const Expr* SyntheticGetAttr(const Expr& has, size_t i, const Expr* obj);

  Type EntityLiteralType(const EntityUID& uid) const;
  EntityRef Known(const Expr& e) const;
  Type EqualityOf(const EntityRef& ka, const Type& ta, const EntityRef& kb, const Type& tb) const;
  Type InOf(const EntityRef& ka, const Type& ta, std::span<const EntityRef> rhs_known,
            bool rhs_all_known, const Type& tb) const;
  Type ScopeType(const EntityScope& scope, const EntityTypeInfo* var_type);
  Type ActionScopeType(const ActionScope& scope);

  bool Expect(const Typed& t, const Expr& e, bool ok, const char* expected);
  void Incompatible(const Expr& at, const Type& a, const Type& b, const char* context);
  void Deref(const Typed& obj, const Expr& at);
  bool HasCapability(const Expr& obj, std::string_view attr) const;
  bool HasTagCapability(const Expr& obj, const Expr& key) const;
  void Report(ValidationCode code, SourceSpan span, std::string message);
  std::string SourceText(const Expr& e) const;

  const SchemaView& schema_;
  const PolicyAst& policy_;
  std::vector<Issue>& issues_;
  std::optional<uint32_t> max_level_;
  const RequestEnv* env_ = nullptr;
  std::vector<Capability> caps_;  // what the enclosing tests established
  Arena arena_;                   // types and synthetic expressions made while checking
  std::unordered_map<const Expr*, std::vector<const Expr*>> has_paths_;
  uint32_t required_level_ = 0;
  SourceSpan first_too_deep_;
  bool have_too_deep_ = false;
};

}  // namespace cedar::validation
