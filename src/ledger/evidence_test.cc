#include "ledger/evidence.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "base/crypto.h"

namespace writ::ledger {
namespace {

const std::string kKey = "0123456789abcdef-deployment-key";

DecisionRecord Decision(Verdict v, RiskTier risk) {
  DecisionRecord d;
  d.decision_id = "dec-1";
  d.intent = "pay the invoice";
  d.upstream = boost::json::object{{"prompt", "secret prompt text"}, {"caller", "orch"}};
  d.request.action = "Action::\"pay\"";
  d.request.context =
      boost::json::object{{"input", boost::json::object{{"amount", 10}, {"password", "hunter2"}}}};
  d.identity.principal = "Agent::\"payer\"";
  d.verdict = v;
  d.risk = risk;
  return d;
}

boost::json::object Body(const LedgerEntry& e) {
  return ParseJson(e.body)->as_object();
}

TEST(EvidenceTest, SummaryKeepsIdsAndDigestsOnly) {
  auto p = EvidencePolicy::Create({}).value();
  auto e = p.DecisionEntry(Decision(Verdict::kAllow, RiskTier::kLow), EvidenceDepth::kSummary);
  ASSERT_TRUE(e.ok());
  auto b = Body(*e);
  EXPECT_EQ(b.at("evidence").as_string(), "summary");
  EXPECT_FALSE(b.contains("intent"));
  EXPECT_FALSE(b.contains("upstream"));
  EXPECT_FALSE(b.at("request").as_object().contains("context"));
  EXPECT_EQ(b.at("decision_id").as_string(), "dec-1");
  EXPECT_EQ(e->principal, "Agent::\"payer\"");
  // Without a key the digest is plain SHA-256 of the canonical value.
  EXPECT_EQ(b.at("intent_digest").at("sha256").as_string(),
            DigestHex(Sha256(*CanonicalJson(boost::json::string("pay the invoice")))));
  EXPECT_EQ(e->body.find("hunter2"), std::string::npos);
}

TEST(EvidenceTest, DenialsAndHighRiskAreAlwaysFull) {
  auto p = EvidencePolicy::Create({}).value();
  for (auto d :
       {Decision(Verdict::kDeny, RiskTier::kLow), Decision(Verdict::kAllow, RiskTier::kHigh),
        Decision(Verdict::kAllow, RiskTier::kCritical)}) {
    auto e = p.DecisionEntry(d, EvidenceDepth::kSummary);
    ASSERT_TRUE(e.ok());
    auto b = Body(*e);
    EXPECT_EQ(b.at("evidence").as_string(), "full");
    EXPECT_EQ(b.at("intent").as_string(), "pay the invoice");
  }
  auto esc = Decision(Verdict::kAllow, RiskTier::kLow);
  esc.transitions = {TransitionClass::kPrivilegeEscalation};
  EXPECT_EQ(Body(*p.DecisionEntry(esc, EvidenceDepth::kSummary)).at("evidence").as_string(),
            "full");
}

TEST(EvidenceTest, SensitiveFieldsAreNeverInClearAndCanBeMatched) {
  EvidenceConfig c;
  c.hmac_key = kKey;
  c.sensitive_paths = {"intent"};
  c.sensitive_names = {"password", "prompt"};
  auto p = EvidencePolicy::Create(c).value();
  auto e = p.DecisionEntry(Decision(Verdict::kDeny, RiskTier::kLow));
  ASSERT_TRUE(e.ok());
  for (const char* secret : {"hunter2", "secret prompt text", "pay the invoice"}) {
    EXPECT_EQ(e->body.find(secret), std::string::npos) << secret;
  }
  auto b = Body(*e);
  // An investigator with the key checks a known value against the stored digest.
  std::string stored(
      b.at("request").at("context").at("input").at("password").at("hmac_sha256").as_string());
  EXPECT_EQ(stored, *SensitiveDigest(kKey, boost::json::string("hunter2")));
  EXPECT_NE(stored, *SensitiveDigest(kKey, boost::json::string("hunter3")));
  EXPECT_EQ(b.at("intent").at("hmac_sha256").as_string(),
            *SensitiveDigest(kKey, boost::json::string("pay the invoice")));
  EXPECT_EQ(b.at("upstream").at("caller").as_string(), "orch");  // not sensitive
  // Other kinds go through the same redaction.
  auto other = p.Entry(RecordKind::kTaskStart,
                       boost::json::object{{"task_id", "t"}, {"intent", "pay the invoice"}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->body.find("pay the invoice"), std::string::npos);
}

// The engine copies the intent and the upstream context into the request context as well: a
// sensitive path (or name) covers the value in both places, whichever of the two it names.
TEST(EvidenceTest, ACopiedFieldIsDigestedWhereverItAppears) {
  auto decision = [] {
    DecisionRecord d = Decision(Verdict::kAllow, RiskTier::kLow);
    d.request.context["intent"] = d.intent;
    d.request.context["upstream"] = d.upstream;
    return d;
  };
  const std::vector<std::vector<std::string>> by_path = {
      {"intent", "upstream"},
      {"request.context.intent", "request.context.upstream"},
      {"request.context"},
      {"upstream.prompt", "request"},
  };
  for (const auto& paths : by_path) {
    EvidenceConfig c;
    c.hmac_key = kKey;
    c.sensitive_paths = paths;
    auto p = EvidencePolicy::Create(c).value();
    for (auto depth : {EvidenceDepth::kFull, EvidenceDepth::kSummary}) {
      auto e = p.DecisionEntry(decision(), depth);
      ASSERT_TRUE(e.ok());
      for (const char* secret : {"pay the invoice", "secret prompt text"}) {
        EXPECT_EQ(e->body.find(secret), std::string::npos) << paths.front() << ": " << e->body;
      }
    }
    EXPECT_TRUE(p.IsSensitive("intent")) << paths.front();
  }
  EvidenceConfig c;
  c.hmac_key = kKey;
  c.sensitive_names = {"intent", "upstream"};
  auto p = EvidencePolicy::Create(c).value();
  auto e = p.DecisionEntry(decision());
  ASSERT_TRUE(e.ok());
  for (const char* secret : {"pay the invoice", "secret prompt text"}) {
    EXPECT_EQ(e->body.find(secret), std::string::npos) << e->body;
  }
  EXPECT_EQ(Body(*e).at("intent").at("hmac_sha256").as_string(),
            *SensitiveDigest(kKey, boost::json::string("pay the invoice")));
  EXPECT_TRUE(p.IsSensitive("intent"));
  // Only what is configured: another path leaves the intent readable.
  c.sensitive_names.clear();
  c.sensitive_paths = {"request.context.input.password", "upstream.prompt"};
  auto narrow = EvidencePolicy::Create(c).value();
  EXPECT_FALSE(narrow.IsSensitive("intent"));
  auto kept = Body(*narrow.DecisionEntry(decision()));
  EXPECT_EQ(kept.at("intent").as_string(), "pay the invoice");
  EXPECT_EQ(kept.at("request").at("context").at("intent").as_string(), "pay the invoice");
  EXPECT_EQ(kept.at("upstream").at("caller").as_string(), "orch");
  EXPECT_EQ(kept.at("request").at("context").at("upstream").at("caller").as_string(), "orch");
  EXPECT_TRUE(kept.at("request").at("context").at("upstream").at("prompt").is_object());
  EXPECT_FALSE(EvidencePolicy::Create({}).value().IsSensitive("intent"));
}

TEST(EvidenceTest, ThePolicysDepthWinsOverTheDefault) {
  EvidenceConfig c;
  c.default_depth = EvidenceDepth::kSummary;
  auto p = EvidencePolicy::Create(c).value();
  auto low = Decision(Verdict::kAllow, RiskTier::kLow);
  EXPECT_EQ(Body(*p.DecisionEntry(low)).at("evidence").as_string(), "summary");
  EXPECT_EQ(Body(*p.DecisionEntry(low, EvidenceDepth::kFull)).at("evidence").as_string(), "full");
  c.default_depth = EvidenceDepth::kFull;
  auto f = EvidencePolicy::Create(c).value();
  EXPECT_EQ(Body(*f.DecisionEntry(low, EvidenceDepth::kSummary)).at("evidence").as_string(),
            "summary");
}

TEST(EvidenceTest, SensitiveFieldsWithoutAKeyAreRefused) {
  EvidenceConfig c;
  c.sensitive_names = {"password"};
  EXPECT_EQ(EvidencePolicy::Create(c).status().code(), StatusCode::kInvalidArgument);
  c.hmac_key = "short";
  EXPECT_FALSE(EvidencePolicy::Create(c).ok());
  c.hmac_key = kKey;
  c.sensitive_paths = {".bad"};
  EXPECT_FALSE(EvidencePolicy::Create(c).ok());
}

}  // namespace
}  // namespace writ::ledger
