#include "ledger/records.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace writ::ledger {
namespace {

DecisionRecord SampleDecision() {
  DecisionRecord d;
  d.decision_id = "dec-42";
  d.task_id = "task-7";
  d.intent = "summarise the inbox";
  d.upstream = boost::json::object{{"caller", "orchestrator"}, {"request_id", "r-1"}};
  d.request.action = "Action::\"tools/call:send_email\"";
  d.request.resource = "Tool::\"send_email\"";
  d.request.context = boost::json::object{{"input", boost::json::object{{"to", "bob@x"}}}};
  d.identity = {"Agent::\"mailer\"",
                "User::\"alice\"",
                {"Agent::\"orch\"", "Agent::\"mailer\""},
                "tok-1",
                "spiffe://example.org/agent/mailer"};
  d.verdict = Verdict::kAllow;
  d.determining_policies = {"policy0"};
  d.policy_set_hash = std::string(64, 'a');
  d.entities_hash = std::string(64, 'b');
  d.obligations = boost::json::array{boost::json::object{{"cap", "amount"}, {"max", 100}}};
  d.credentials_issued = {"jit-9"};
  d.approval_id = "ap-1";
  d.risk = RiskTier::kMedium;
  d.transitions = {TransitionClass::kExternalToolInvocation};
  d.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  d.span_id = "00f067aa0ba902b7";
  d.latency_us = 87;
  d.node = "node-1";
  return d;
}

TEST(RecordsTest, DecisionRoundTripsThroughJson) {
  DecisionRecord d = SampleDecision();
  boost::json::object o = d.ToJson();
  EXPECT_EQ(o.at("verdict").as_string(), "allow");
  EXPECT_EQ(o.at("identity").at("principal").as_string(), "Agent::\"mailer\"");
  EXPECT_EQ(o.at("transitions").as_array()[0].as_string(), "external_tool_invocation");
  EXPECT_FALSE(o.contains("reason"));  // empty fields are left out
  auto back = DecisionRecord::FromJson(o);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, d);
}

TEST(RecordsTest, WrongTypesAndUnknownEnumsAreRefused) {
  boost::json::object o = SampleDecision().ToJson();
  o["latency_us"] = "fast";
  EXPECT_EQ(DecisionRecord::FromJson(o).status().code(), StatusCode::kInvalidArgument);
  o = SampleDecision().ToJson();
  o["verdict"] = "maybe";
  EXPECT_FALSE(DecisionRecord::FromJson(o).ok());
  o = SampleDecision().ToJson();
  o["identity"] = "alice";
  EXPECT_FALSE(DecisionRecord::FromJson(o).ok());
  o = SampleDecision().ToJson();
  o["transitions"] = boost::json::array{"teleport"};
  EXPECT_FALSE(DecisionRecord::FromJson(o).ok());
  o = SampleDecision().ToJson();
  o["some_future_field"] = 1;  // ignored
  EXPECT_TRUE(DecisionRecord::FromJson(o).ok());
}

TEST(RecordsTest, OtherKindsRoundTrip) {
  TaskStartRecord ts{"task-1", "dec-1", "Agent::\"a\"", "User::\"u\"",         "spiffe://x/agent/a",
                     "intent", "tok",   "trace",        "2030-01-01T00:00:00Z"};
  EXPECT_EQ(*TaskStartRecord::FromJson(ts.ToJson()), ts);
  TaskEndRecord te{"task-1", "Agent::\"a\"", "done", "trace", 3};
  EXPECT_EQ(*TaskEndRecord::FromJson(te.ToJson()), te);
  DelegationRecord dl;
  dl.task_id = "t";
  dl.delegate = "Agent::\"b\"";
  dl.scopes = {"read"};
  dl.depth = 2;
  EXPECT_EQ(*DelegationRecord::FromJson(dl.ToJson()), dl);
  CredentialRecord cr;
  cr.credential_id = "jit-1";
  cr.credential_type = "jit";
  cr.scopes = {"mail.send"};
  EXPECT_EQ(*CredentialRecord::FromJson(cr.ToJson()), cr);
  ApprovalRecord ap;
  ap.approval_id = "ap-1";
  ap.decision_id = "dec-1";
  ap.task_id = "t";
  ap.principal = "Agent::\"a\"";
  ap.approver = "User::\"boss\"";
  ap.group = "finance";
  ap.reason = "ok";
  EXPECT_EQ(*ApprovalRecord::FromJson(ap.ToJson()), ap);
  ap.request_digest = std::string(64, 'a');
  ap.policy_set_hash = std::string(64, 'b');
  ap.expires_at = "2026-01-02T03:04:05.000000Z";
  EXPECT_EQ(ap.ToJson().at("request_digest").as_string(), ap.request_digest);
  EXPECT_EQ(*ApprovalRecord::FromJson(ap.ToJson()), ap);
  OutcomeRecord oc;
  oc.decision_id = "dec-1";
  oc.status = "success";
  oc.result_size = 1234;
  EXPECT_EQ(*OutcomeRecord::FromJson(oc.ToJson()), oc);
  VersionLoadedRecord vl{std::string(64, 'c'), "", "policies/", "node-1", 99};
  EXPECT_EQ(*VersionLoadedRecord::FromJson(vl.ToJson()), vl);
  KeyRotationRecord kr{"token_signing", "k1", "k2", "scheduled"};
  EXPECT_EQ(*KeyRotationRecord::FromJson(kr.ToJson()), kr);
  CheckpointRecord cp{10, "cm9vdA==", "note"};
  EXPECT_EQ(*CheckpointRecord::FromJson(cp.ToJson()), cp);
}

TEST(RecordsTest, EnumNamesRoundTrip) {
  for (auto v : {Verdict::kAllow, Verdict::kDeny, Verdict::kApprovalRequired}) {
    EXPECT_EQ(*ParseVerdict(VerdictName(v)), v);
  }
  for (auto r : {RiskTier::kLow, RiskTier::kMedium, RiskTier::kHigh, RiskTier::kCritical}) {
    EXPECT_EQ(*ParseRiskTier(RiskTierName(r)), r);
  }
  EXPECT_EQ(*ParseTransitionClass("approval_override"), TransitionClass::kApprovalOverride);
  EXPECT_EQ(*ParseEvidenceDepth("summary"), EvidenceDepth::kSummary);
  EXPECT_FALSE(ParseRiskTier("extreme").ok());
}

}  // namespace
}  // namespace writ::ledger
