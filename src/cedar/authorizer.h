// The authorizer: Cedar's decision procedure.
//
// Forbid overrides permit; no satisfied permit means deny. A policy whose condition errors is
// skipped and reported. Only the policies whose scope can match the request are evaluated
// (see PolicyIndex), so the cost of a decision follows the policies that can apply, not the
// size of the set. Authorize() is thread-safe for a shared PolicySet and Entities.
#pragma once

#include <string>
#include <vector>

#include "cedar/entities.h"
#include "cedar/policy.h"
#include "cedar/value.h"

namespace cedar {

struct Request {
  const EntityUID* principal = nullptr;
  const EntityUID* action = nullptr;
  const EntityUID* resource = nullptr;
  Value context = Value::Record(EmptyRecord());  // always a record
};

// A request together with the arena that holds its uids and context.
struct OwnedRequest {
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();
  Request request;
};

enum class Decision : uint8_t { kAllow, kDeny };

struct PolicyError {
  const Policy* policy = nullptr;
  std::string message;
};

struct Response {
  Decision decision = Decision::kDeny;
  std::vector<const Policy*> reasons;  // satisfied policies of the deciding effect
  std::vector<PolicyError> errors;     // policies whose evaluation failed

  void Clear() {
    decision = Decision::kDeny;
    reasons.clear();
    errors.clear();
  }
};

// Evaluates the request; `response` is cleared first (its capacity is reused).
void Authorize(const PolicySet& policies, const Entities& entities, const Request& request,
               Response& response);

inline Response Authorize(const PolicySet& policies, const Entities& entities,
                          const Request& request) {
  Response r;
  Authorize(policies, entities, request, r);
  return r;
}

}  // namespace cedar
