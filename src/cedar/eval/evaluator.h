// The expression evaluator.
//
// Implements Cedar's evaluation semantics, including its type errors, overflow errors and
// errors for missing entities, attributes and tags. Values produced while evaluating live in
// the scratch arena given at construction, so an Evaluator belongs to one authorization call.
#pragma once

#include <string>

#include "cedar/authorizer.h"
#include "cedar/entities.h"
#include "cedar/policy.h"
#include "cedar/stack_guard.h"

namespace cedar {

class Evaluator {
 public:
  Evaluator(const Entities& entities, const Request& request, Arena& scratch)
      : entities_(entities),
        request_(request),
        arena_(scratch),
        principal_(request.principal ? entities.Find(*request.principal) : nullptr),
        action_(request.action ? entities.Find(*request.action) : nullptr),
        resource_(request.resource ? entities.Find(*request.resource) : nullptr) {}

  enum class Outcome : uint8_t { kNotSatisfied, kSatisfied, kError };

  // Whether the request satisfies the policy's scope (never an error).
  bool ScopeMatches(const Policy& policy) const;
  // Evaluates the conditions in order (assumes the scope matched).
  Outcome EvaluateConditions(const Policy& policy);
  Outcome EvaluatePolicy(const Policy& policy) {
    return ScopeMatches(policy) ? EvaluateConditions(policy) : Outcome::kNotSatisfied;
  }

  // Evaluates one expression; false on error, with the message in error().
  bool Eval(const Expr& e, Value& out);
  const std::string& error() const { return error_; }

  // The request's entities in the store (null when absent), looked up once.
  const Entity* principal_entity() const { return principal_; }
  const Entity* action_entity() const { return action_; }
  const Entity* resource_entity() const { return resource_; }

 private:
  bool EvalBinary(const Expr& e, Value& out);
  bool EvalCall(const Expr& e, Value& out);
  bool EvalIn(const Value& lhs, const Value& rhs, Value& out);
  bool EvalHas(const Expr& e, Value& out);
  bool EvalGetAttr(const Expr& e, Value& out);
  bool ExpectKind(const Value& v, ValueKind kind);
  bool TypeError(const char* expected, const Value& got);
  bool Fail(std::string message);
  bool EntityScopeMatches(const EntityScope& scope, const EntityUID* target, const EntityUID& uid,
                          const Entity* entity) const;
  // Entities::Find, answered from the request's three entities when it names one of them.
  const Entity* FindEntity(const EntityUID& uid) const {
    if (&uid == request_.principal) return principal_;
    if (&uid == request_.resource) return resource_;
    if (&uid == request_.action) return action_;
    return entities_.Find(uid);
  }
  bool IsIn(const EntityUID& uid, const Entity* entity, const EntityUID& target) const {
    return uid == target || (entity != nullptr && entity->HasAncestor(target));
  }

  const Entities& entities_;
  const Request& request_;
  Arena& arena_;
  std::string error_;
  // The request's entities, looked up once (null when not in the store).
  const Entity* principal_;
  const Entity* action_;
  const Entity* resource_;
  // Trees are at most 1,000 levels deep (the parser's limit); on a thread whose stack cannot
  // hold that many, evaluation fails with an error instead of overflowing.
  StackGuard stack_;
};

}  // namespace cedar
