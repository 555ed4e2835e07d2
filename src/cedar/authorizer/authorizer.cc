#include "cedar/authorizer.h"

#include <array>

#include "cedar/eval/evaluator.h"
#include "cedar/policy_index.h"

namespace cedar {

void Authorize(const PolicySet& policies, const Entities& entities, const Request& request,
               Response& response) {
  response.Clear();
  // Values built while evaluating (set and record literals) go to a stack buffer first.
  alignas(16) std::array<std::byte, 2048> scratch_buffer;
  Arena scratch(scratch_buffer);
  Evaluator evaluator(entities, request, scratch);
  bool any_permit = false;
  bool any_forbid = false;
  // Satisfied permits are collected apart, since a satisfied forbid discards them.
  std::array<const Policy*, 32> permits_inline;
  size_t npermits = 0;
  std::vector<const Policy*> permits_overflow;

  auto visit = [&](uint32_t idx) {
    const Policy& p = policies.policy(idx);
    if (!evaluator.ScopeMatches(p)) return;
    switch (evaluator.EvaluateConditions(p)) {
      case Evaluator::Outcome::kNotSatisfied:
        return;
      case Evaluator::Outcome::kError:
        response.errors.push_back({&p, evaluator.error()});
        return;
      case Evaluator::Outcome::kSatisfied:
        if (p.effect() == Effect::kForbid) {
          any_forbid = true;
          response.reasons.push_back(&p);
        } else {
          any_permit = true;
          if (npermits < permits_inline.size()) {
            permits_inline[npermits++] = &p;
          } else {
            permits_overflow.push_back(&p);
          }
        }
        return;
    }
  };
  policies.index().ForEachCandidate(*request.principal, evaluator.principal_entity(),
                                    *request.action, evaluator.action_entity(), *request.resource,
                                    evaluator.resource_entity(), visit);
  if (any_forbid) {
    response.decision = Decision::kDeny;
    return;
  }
  response.decision = any_permit ? Decision::kAllow : Decision::kDeny;
  response.reasons.assign(permits_inline.begin(), permits_inline.begin() + npermits);
  response.reasons.insert(response.reasons.end(), permits_overflow.begin(), permits_overflow.end());
}

}  // namespace cedar
