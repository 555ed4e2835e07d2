#include "authz/annotations.h"

namespace writ::authz {

Result<PolicyMeta> ReadPolicyMeta(const cedar::Policy& policy) {
  PolicyMeta meta;
  bool permit = policy.effect() == cedar::Effect::kPermit;
  auto bad = [&](std::string_view key, const std::string& why) {
    return InvalidArgument("policy `" + policy.id() + "`: @" + std::string(key) + ": " + why);
  };
  for (const cedar::Annotation& a : policy.ast().annotations) {
    std::string value(a.value);
    if (a.key == "risk") {
      auto r = ledger::ParseRiskTier(value);
      if (!r.ok()) return bad(a.key, "expected \"low\", \"medium\", \"high\" or \"critical\"");
      meta.risk = *r;
    } else if (a.key == "approval") {
      if (!permit) return bad(a.key, "approval applies to permit policies only");
      if (value.empty()) return bad(a.key, "name the approver group, e.g. @approval(\"finance\")");
      meta.approval_group = value;
    } else if (a.key == "narrow") {
      if (!permit) return bad(a.key, "obligations apply to permit policies only");
      auto obligations = ParseObligations(value);
      if (!obligations.ok()) return bad(a.key, obligations.status().message());
      meta.obligations = std::move(obligations).value();
    } else if (a.key == "reason") {
      if (value.empty()) return bad(a.key, "the message is empty");
      meta.reason = value;
    } else if (a.key == "log") {
      auto d = ledger::ParseEvidenceDepth(value);
      if (!d.ok()) return bad(a.key, "expected \"full\" or \"summary\"");
      meta.log = *d;
    } else if (a.key == "transition") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        std::string item = value.substr(start, end - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        auto t = ledger::ParseTransitionClass(item);
        if (!t.ok() || *t == ledger::TransitionClass::kApprovalOverride) {
          return bad(a.key,
                     "expected privilege_escalation, data_export or external_tool_invocation");
        }
        meta.transitions.push_back(*t);
        start = end + 1;
      }
    }
  }
  return meta;
}

}  // namespace writ::authz
