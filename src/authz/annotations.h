// Writ's policy annotations: what a policy says beyond permit/forbid.
//
// They are plain Cedar annotations, so a Writ policy set stays valid Cedar:
//   @risk("low" | "medium" | "high" | "critical")   risk tier of what the policy decides
//   @approval("group")       on a permit: effective only once a human of `group` approves;
//                            until then the verdict is `approval_required`
//   @narrow("obligations")   on a permit: obligations applied when it determines an allow
//                            (grammar in docs/annotations.md, see obligations.h)
//   @reason("message")       the message an agent is given when this policy denies
//   @log("full" | "summary") evidence depth of decisions this policy determines
//   @transition("privilege_escalation" | "data_export" | "external_tool_invocation")
//                            the kind of transition the policy governs (several separated by ,)
//   @id("...")               the policy's id (Cedar's own convention)
// Anything else is kept and ignored. A bad value rejects the whole bundle at load time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "authz/obligations.h"
#include "base/status.h"
#include "cedar/policy.h"
#include "ledger/records.h"

namespace writ::authz {

struct PolicyMeta {
  std::optional<ledger::RiskTier> risk;
  std::string approval_group;  // empty: no approval needed
  std::vector<Obligation> obligations;
  std::string reason;
  std::optional<ledger::EvidenceDepth> log;
  std::vector<ledger::TransitionClass> transitions;
};

// Reads the Writ annotations of one policy; invalid_argument naming the policy and the
// annotation when a value is not allowed (e.g. @approval on a forbid).
Result<PolicyMeta> ReadPolicyMeta(const cedar::Policy& policy);

}  // namespace writ::authz
