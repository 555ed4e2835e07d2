#include "authz/decision.h"

#include <atomic>
#include <thread>

#include "authz/bundle_watcher.h"
#include "authz/explain.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/canonical_json.h"
#include "base/crypto.h"
#include "ledger/checkpoint.h"
#include "ledger/record.h"
#include "store/sqlite_store.h"

namespace writ::authz {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

class FixedBundle : public BundleSource {
 public:
  std::shared_ptr<const Bundle> Current() const override { return bundle; }
  std::shared_ptr<const Bundle> bundle;
};

const char* kPolicies = R"cedar(
@id("read-own-team") @risk("low")
permit(principal, action == Action::"read", resource is Doc) when { resource.team == principal.team };

@id("query-capped") @narrow("cap(input.limit, 100); drop(input.debug); ttl(30s); scopes('read')")
permit(principal in Team::"data", action == Action::"query", resource == Tool::"sql");

@id("path-prefix") @narrow("prefix(input.path, '/srv/')")
permit(principal, action == Action::"write", resource == Tool::"fs");

@id("refund-needs-finance") @approval("finance") @risk("high") @transition("data_export")
permit(principal, action == Action::"refund", resource == Tool::"payments")
when { context.input.amount <= 10000 };

@id("no-secrets") @reason("secret documents are never readable by agents") @risk("critical")
forbid(principal, action, resource) when { resource has secret && resource.secret };
)cedar";

const char* kEntities = R"([
  {"uid": {"type": "Doc", "id": "plan"}, "attrs": {"team": "data"}},
  {"uid": {"type": "Doc", "id": "keys"}, "attrs": {"team": "data", "secret": true}},
  {"uid": {"type": "Doc", "id": "other"}, "attrs": {"team": "sales"}}
])";

class DecisionEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("writ-authz-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bundle");
    std::ofstream(dir_ / "bundle" / "policies.cedar") << kPolicies;
    std::ofstream(dir_ / "bundle" / "entities.json") << kEntities;
    auto bundle = LoadBundle(dir_ / "bundle");
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    bundles_.bundle = *bundle;
    store::SqliteOptions so;
    so.data_dir = (dir_ / "data").string();
    store_ = std::move(store::OpenSqliteStore(so)).value();
    signer_ = std::make_unique<ledger::Ed25519NoteSigner>("test.writ/node1",
                                                          Ed25519PrivateKey::Generate().value());
    ledger::LedgerOptions lo;
    lo.origin = "test.writ/node1";
    ledger_ = std::move(ledger::Ledger::Open(store_->ledger(), *signer_, clock_, lo)).value();
    ledger::EvidenceConfig ec;
    ec.hmac_key = std::string(32, 'k');
    ec.sensitive_names = {"prompt"};
    evidence_ = std::make_unique<ledger::EvidencePolicy>(
        std::move(ledger::EvidencePolicy::Create(ec)).value());
    engine_ = std::make_unique<DecisionEngine>(bundles_, *ledger_, *evidence_, store_->approvals(),
                                               clock_, EngineOptions{"node1"});
  }
  void TearDown() override {
    engine_.reset();
    ledger_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  DecisionInput Input(std::string action, std::string type, std::string id, json::object ctx = {}) {
    DecisionInput in;
    in.caller.agent = "analyst";
    in.caller.spiffe_id = "spiffe://acme.example/agent/analyst";
    in.caller.team = "data";
    in.caller.user = "alice";
    in.caller.user_groups = {"employees"};
    in.caller.task_id = "task-1";
    in.caller.token_id = "tok-1";
    in.caller.intent = "quarterly report";
    in.action = std::move(action);
    in.resource_type = std::move(type);
    in.resource_id = std::move(id);
    in.context = std::move(ctx);
    in.trace.trace_id = "0af7651916cd43dd8448eb211c80319c";
    in.trace.span_id = "b7ad6b7169203331";
    return in;
  }

  ledger::LedgerRecord RecordAt(uint64_t seq) {
    auto r = store_->ledger().GetRecord("test.writ/node1", seq);
    EXPECT_TRUE(r.ok() && r->has_value());
    return ledger::DecodeRecord((*r)->body).value();
  }

  fs::path dir_;
  FixedBundle bundles_;
  ManualClock clock_{1'760'000'000'000'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::NoteSigner> signer_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<ledger::EvidencePolicy> evidence_;
  std::unique_ptr<DecisionEngine> engine_;
};

TEST_F(DecisionEngineTest, AllowIsRecordedWithItsEvidence) {
  auto out =
      engine_->Decide(Input("read", "Doc", "plan", json::object{{"prompt", "summarize the plan"}}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(out->determining_policies, std::vector<std::string>{"read-own-team"});
  ledger::LedgerRecord rec = RecordAt(out->ledger_seq);
  EXPECT_EQ(rec.kind, ledger::RecordKind::kDecision);
  auto dr = ledger::DecisionRecord::FromJson(rec.body).value();
  EXPECT_EQ(dr.decision_id, out->decision_id);
  EXPECT_EQ(dr.identity.principal, "Agent::\"analyst\"");
  EXPECT_EQ(dr.identity.user, "User::\"alice\"");
  EXPECT_EQ(dr.request.resource, "Doc::\"plan\"");
  EXPECT_EQ(dr.policy_set_hash, DigestHex(bundles_.bundle->policy_hash));
  EXPECT_EQ(dr.trace_id, "0af7651916cd43dd8448eb211c80319c");
  // The prompt is sensitive: kept only as a digest.
  std::string body = json::serialize(rec.body);
  EXPECT_EQ(body.find("summarize the plan"), std::string::npos);
  EXPECT_NE(body.find("hmac_sha256"), std::string::npos);
}

TEST_F(DecisionEngineTest, DenialsCarryTheirReasonAndCode) {
  auto forbidden = engine_->Decide(Input("read", "Doc", "keys"));
  ASSERT_TRUE(forbidden.ok());
  EXPECT_EQ(forbidden->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(forbidden->code, kCodePolicyDenied);
  EXPECT_EQ(forbidden->reason, "secret documents are never readable by agents");
  EXPECT_EQ(forbidden->risk, ledger::RiskTier::kCritical);
  auto none = engine_->Decide(Input("read", "Doc", "other"));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->code, kCodeNoPermit);
  EXPECT_EQ(none->reason,
            "no policy permits Agent::\"analyst\" to perform Action::\"read\" on Doc::\"other\"");
  // Denials are recorded as carefully as allows.
  auto dr = ledger::DecisionRecord::FromJson(RecordAt(none->ledger_seq).body).value();
  EXPECT_EQ(dr.verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(dr.reason, none->reason);
}

TEST_F(DecisionEngineTest, ObligationsNarrowOrDeny) {
  auto narrowed = engine_->Decide(
      Input("query", "Tool", "sql",
            json::object{{"input", {{"limit", 5000}, {"debug", true}, {"q", "x"}}}}));
  ASSERT_TRUE(narrowed.ok());
  EXPECT_EQ(narrowed->verdict, ledger::Verdict::kAllow);
  ASSERT_TRUE(narrowed->narrowed_input.has_value());
  EXPECT_EQ(json::value(*narrowed->narrowed_input), json::parse(R"({"limit": 100, "q": "x"})"));
  EXPECT_EQ(narrowed->obligations.all.size(), 4u);
  auto within =
      engine_->Decide(Input("query", "Tool", "sql", json::object{{"input", {{"limit", 10}}}}));
  EXPECT_FALSE(within->narrowed_input.has_value());
  auto unmet = engine_->Decide(
      Input("write", "Tool", "fs", json::object{{"input", {{"path", "/etc/passwd"}}}}));
  ASSERT_TRUE(unmet.ok());
  EXPECT_EQ(unmet->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(unmet->code, kCodeObligationUnmet);
}

TEST_F(DecisionEngineTest, TheRecordKeepsTheRequestContextAndTheObligations) {
  // The context reaches the record whole: the caller's input and Writ's own keys; the
  // obligations of a narrowed allow too.
  auto out = engine_->Decide(Input(
      "query", "Tool", "sql",
      json::object{{"input", {{"limit", 5000}, {"q", "select 1"}, {"tags", {"a", "\u00e9"}}}}}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  auto dr = ledger::DecisionRecord::FromJson(RecordAt(out->ledger_seq).body).value();
  EXPECT_EQ(json::value(dr.request.context.at("input")),
            json::parse(R"({"limit": 5000, "q": "select 1", "tags": ["a", "\u00e9"]})"));
  EXPECT_EQ(dr.request.context.at("intent"), "quarterly report");
  EXPECT_EQ(dr.request.context.at("task"), "task-1");
  EXPECT_EQ(dr.obligations.size(), 4u);
  // The outcome keeps its own copy of what the record took.
  EXPECT_EQ(out->obligations.all.size(), 4u);
}

TEST(RequestDigestTest, IsTheSha256OfTheCanonicalRequest) {
  json::value input = json::parse(R"({"z": 1.5, "a": ["x", {"\u00e9": null}], "\ud83d\ude00": 2})");
  json::object o{{"principal", "Agent::\"a\""},
                 {"action", "Action::\"tools/call:q\""},
                 {"resource", "McpServer::\"sql\""},
                 {"input", input}};
  EXPECT_EQ(DecisionEngine::RequestDigest("Agent::\"a\"", "Action::\"tools/call:q\"",
                                          "McpServer::\"sql\"", input),
            DigestHex(Sha256(CanonicalJson(o).value())));
  // An input RFC 8785 cannot express binds by its serialized text.
  json::value big = json::parse(R"({"n": 18446744073709551615})");
  json::object ob{{"principal", "p"}, {"action", "a"}, {"resource", "r"}, {"input", big}};
  ASSERT_FALSE(CanonicalJson(ob).ok());
  EXPECT_EQ(DecisionEngine::RequestDigest("p", "a", "r", big),
            DigestHex(Sha256(json::serialize(ob))));
}

TEST_F(DecisionEngineTest, ApprovalHoldsUntilGrantedAndIsConsumedOnce) {
  json::object ctx{{"input", {{"amount", 250}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->verdict, ledger::Verdict::kApprovalRequired);
  ASSERT_FALSE(held->approval_id.empty());
  // Asking again while pending names the same approval.
  auto again = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  EXPECT_EQ(again->approval_id, held->approval_id);
  EXPECT_EQ(*store_->approvals().CountPending(clock_.NowMicros()), 1);
  ASSERT_TRUE(store_->approvals()
                  .DecideApproval(held->approval_id, true, "bob", "ok", false, clock_.NowMicros())
                  .ok());
  // A different request is not covered by the grant.
  auto other = engine_->Decide(
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 9999}}}}));
  EXPECT_EQ(other->verdict, ledger::Verdict::kApprovalRequired);
  EXPECT_NE(other->approval_id, held->approval_id);
  auto allowed = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(allowed->approval_id, held->approval_id);
  EXPECT_EQ(allowed->risk, ledger::RiskTier::kHigh);
  // The grant was consumed and recorded next to the decision.
  ledger::LedgerRecord grant = RecordAt(allowed->ledger_seq + 1);
  EXPECT_EQ(grant.kind, ledger::RecordKind::kApprovalGrant);
  auto after = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  EXPECT_EQ(after->verdict, ledger::Verdict::kApprovalRequired);
  EXPECT_NE(after->approval_id, held->approval_id);
}

// A listing probe (the MCP gateway's tools/list) has no arguments: permits that read them error
// (and the caller may still be allowed some calls); an approval-gated allow opens no approval.
TEST_F(DecisionEngineTest, ListingProbesOpenNoApprovals) {
  DecisionInput in = Input("refund", "Tool", "payments");
  in.listing = true;
  auto probe = engine_->Decide(in);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_EQ(probe->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(probe->code, kCodeNoPermit);
  EXPECT_EQ(probe->erroring_policies, std::vector<std::string>{"refund-needs-finance"});
  EXPECT_EQ(*store_->approvals().CountPending(clock_.NowMicros()), 0);

  DecisionInput gated =
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 5}}}});
  gated.listing = true;
  auto held = engine_->Decide(gated);
  EXPECT_EQ(held->verdict, ledger::Verdict::kApprovalRequired);
  EXPECT_TRUE(held->approval_id.empty());
  EXPECT_EQ(*store_->approvals().CountPending(clock_.NowMicros()), 0);
  // Recorded like any decision.
  EXPECT_EQ(RecordAt(held->ledger_seq).kind, ledger::RecordKind::kDecision);
}

TEST_F(DecisionEngineTest, ApprovalDeniedAndExpired) {
  json::object ctx{{"input", {{"amount", 10}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(
      store_->approvals()
          .DecideApproval(held->approval_id, false, "bob", "not today", false, clock_.NowMicros())
          .ok());
  DecisionInput in = Input("refund", "Tool", "payments", ctx);
  in.approval_id = held->approval_id;
  auto denied = engine_->Decide(in);
  EXPECT_EQ(denied->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(denied->code, kCodeApprovalDenied);
  EXPECT_EQ(denied->reason, "an approver of `finance` denied this request: not today");
  // A pending approval that expires is replaced by a new one.
  auto held2 = engine_->Decide(
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 11}}}}));
  clock_.Advance(2LL * 3600 * 1000000);
  auto held3 = engine_->Decide(
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 11}}}}));
  EXPECT_EQ(held3->verdict, ledger::Verdict::kApprovalRequired);
  EXPECT_NE(held3->approval_id, held2->approval_id);
}

// The use of an administrator's override is recorded as an override, not as a grant.
TEST_F(DecisionEngineTest, TheUseOfAnOverrideIsRecordedAsAnOverride) {
  json::object ctx{{"input", {{"amount", 300}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(store_->approvals()
                  .DecideApproval(held->approval_id, true, "apikey:admin", "incident 42", true,
                                  clock_.NowMicros())
                  .ok());
  auto allowed = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(allowed->transitions,
            (std::vector<ledger::TransitionClass>{ledger::TransitionClass::kDataExport,
                                                  ledger::TransitionClass::kApprovalOverride}));
  ledger::LedgerRecord used = RecordAt(allowed->ledger_seq + 1);
  EXPECT_EQ(used.kind, ledger::RecordKind::kApprovalOverride);
  auto r = ledger::ApprovalRecord::FromJson(used.body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->approval_id, held->approval_id);
  EXPECT_EQ(r->decision_id, allowed->decision_id);
  EXPECT_EQ(r->approver, "apikey:admin");
  EXPECT_EQ(r->group, "finance");
}

// A call naming an approval that is not its own (unknown, or of another request) is treated as
// naming none: it finds the approval pending for it rather than opening a second one.
TEST_F(DecisionEngineTest, NamingAnotherRequestsApprovalFindsItsOwn) {
  json::object ctx{{"input", {{"amount", 60}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_EQ(held->verdict, ledger::Verdict::kApprovalRequired);
  auto other = engine_->Decide(
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 61}}}}));
  ASSERT_EQ(other->verdict, ledger::Verdict::kApprovalRequired);
  ASSERT_NE(other->approval_id, held->approval_id);
  for (const std::string& named : {std::string("no-such-approval"), other->approval_id}) {
    DecisionInput in = Input("refund", "Tool", "payments", ctx);
    in.approval_id = named;
    auto again = engine_->Decide(in);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->verdict, ledger::Verdict::kApprovalRequired) << named;
    EXPECT_EQ(again->approval_id, held->approval_id) << named;
  }
  EXPECT_EQ(*store_->approvals().CountPending(clock_.NowMicros()), 2);
}

// A grant not used before the approval expires allows nothing; policies see it as expired.
TEST_F(DecisionEngineTest, AGrantNotUsedInTimeIsExpired) {
  json::object ctx{{"input", {{"amount", 40}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(store_->approvals()
                  .DecideApproval(held->approval_id, true, "bob", "", false, clock_.NowMicros())
                  .ok());
  clock_.Advance(2LL * 3600 * 1000000);
  DecisionInput in = Input("refund", "Tool", "payments", ctx);
  in.approval_id = held->approval_id;
  auto late = engine_->Decide(in);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->verdict, ledger::Verdict::kApprovalRequired);
  EXPECT_NE(late->approval_id, held->approval_id);
  ledger::LedgerRecord rec = RecordAt(late->ledger_seq);
  EXPECT_EQ(rec.body.at("request").at("context").at("approval").at("status"), "expired");
  EXPECT_EQ((*store_->approvals().GetApproval(held->approval_id))->status, "granted");
}

TEST_F(DecisionEngineTest, CallersCannotOverrideWritContext) {
  // A caller claiming an approval in its context gains nothing.
  auto out = engine_->Decide(
      Input("refund", "Tool", "payments",
            json::object{{"input", {{"amount", 1}}}, {"approval", {{"status", "granted"}}}}));
  EXPECT_EQ(out->verdict, ledger::Verdict::kApprovalRequired);
}

TEST_F(DecisionEngineTest, FailsClosedWhenTheLedgerCannotRecord) {
  ASSERT_TRUE(ledger_->Close().ok());
  auto out = engine_->Decide(Input("read", "Doc", "plan"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(out->code, kCodeLedgerUnavailable);
  EXPECT_EQ(engine_->metrics().ledger_failures.load(), 1u);
}

// A held decision asks for its approval in the same batch as its record; when that batch cannot
// be written the answer is a plain fail-closed deny and the approval is withdrawn.
TEST_F(DecisionEngineTest, AHeldDecisionRecordsItsApprovalRequestOrNothing) {
  json::object ctx{{"input", {{"amount", 70}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_EQ(held->verdict, ledger::Verdict::kApprovalRequired);
  auto dr = ledger::DecisionRecord::FromJson(RecordAt(held->ledger_seq).body).value();
  EXPECT_EQ(dr.approval_id, held->approval_id);
  ledger::LedgerRecord asked = RecordAt(held->ledger_seq + 1);
  EXPECT_EQ(asked.kind, ledger::RecordKind::kApprovalRequest);
  auto ar = ledger::ApprovalRecord::FromJson(asked.body).value();
  EXPECT_EQ(ar.approval_id, held->approval_id);
  EXPECT_EQ(ar.decision_id, held->decision_id);
  EXPECT_EQ(ar.task_id, "task-1");
  EXPECT_EQ(ar.group, "finance");
  EXPECT_EQ(ar.policy_set_hash, held->policy_version);
  auto stored = store_->approvals().GetApproval(held->approval_id).value();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(ar.request_digest, stored->request_digest);
  EXPECT_EQ(ar.expires_at, FormatRfc3339Micros(stored->expires_us));

  ASSERT_TRUE(ledger_->Close().ok());
  auto refused = engine_->Decide(
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 71}}}}));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(refused->code, kCodeLedgerUnavailable);
  EXPECT_TRUE(refused->approval_id.empty());
  // Only the first approval, whose request is recorded, is pending.
  EXPECT_EQ(*store_->approvals().CountPending(clock_.NowMicros()), 1);
}

// A grant used by a decision whose record cannot be made durable is not used up: the call was
// denied (fail closed), so the grant is still there for the call when the ledger records again.
TEST_F(DecisionEngineTest, AGrantIsNotUsedUpByADecisionThatCannotBeRecorded) {
  json::object ctx{{"input", {{"amount", 70}}}};
  auto held = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  ASSERT_EQ(held->verdict, ledger::Verdict::kApprovalRequired);
  ASSERT_TRUE(store_->approvals()
                  .DecideApproval(held->approval_id, true, "bob", "ok", false, clock_.NowMicros())
                  .ok());
  ASSERT_TRUE(ledger_->Close().ok());
  auto refused = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(refused->code, kCodeLedgerUnavailable);
  EXPECT_EQ(store_->approvals().GetApproval(held->approval_id).value()->status, "granted");

  // The ledger records again (reopened over the same store).
  engine_.reset();
  ledger_.reset();
  ledger::LedgerOptions lo;
  lo.origin = "test.writ/node1";
  ledger_ = std::move(ledger::Ledger::Open(store_->ledger(), *signer_, clock_, lo)).value();
  engine_ = std::make_unique<DecisionEngine>(bundles_, *ledger_, *evidence_, store_->approvals(),
                                             clock_, EngineOptions{"node1"});
  auto allowed = engine_->Decide(Input("refund", "Tool", "payments", ctx));
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(allowed->verdict, ledger::Verdict::kAllow);
  EXPECT_EQ(allowed->approval_id, held->approval_id);
  auto used = store_->approvals().GetApproval(held->approval_id).value();
  EXPECT_EQ(used->status, "consumed");
  EXPECT_EQ(used->consumed_by, allowed->decision_id);
}

TEST_F(DecisionEngineTest, BadRequestsAreRefusedAndNotRecorded) {
  uint64_t before = ledger_->TreeSize();
  DecisionInput in = Input("read", "Doc ", "plan");
  EXPECT_EQ(engine_->Decide(in).status().code(), StatusCode::kInvalidArgument);
  in = Input("read", "Doc", "plan");
  in.caller.agent.clear();
  EXPECT_EQ(engine_->Decide(in).status().code(), StatusCode::kInvalidArgument);
  // A number the ledger's canonical JSON cannot hold exactly (2^53 + 1) would make a decision
  // that cannot be recorded: refused before anything is decided.
  in = Input("read", "Doc", "plan", json::object{{"input", {{"amount", 9007199254740993LL}}}});
  auto inexact = engine_->Decide(in);
  EXPECT_EQ(inexact.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(inexact.status().message().find("input.amount"), std::string::npos)
      << inexact.status().ToString();
  EXPECT_EQ(ledger_->TreeSize(), before);
  // 2^53 itself is exact, and decided.
  in = Input("read", "Doc", "plan", json::object{{"input", {{"amount", 9007199254740992LL}}}});
  EXPECT_TRUE(engine_->Decide(in).ok());
}

TEST(BundleTest, RejectsBadBundlesWhole) {
  fs::path dir = fs::temp_directory_path() / ("writ-bundle-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "a.cedar") << "permit(principal, action, resource);";
  std::ofstream(dir / "b.cedar") << "@approval(\"x\") forbid(principal, action, resource);";
  auto r = LoadBundle(dir);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "policy `b.0`: @approval: approval applies to permit policies only");
  std::ofstream(dir / "b.cedar") << "permit(principal, action, resource) when { 1 + };";
  EXPECT_NE(LoadBundle(dir).status().message().find("b.cedar:1:"), std::string::npos);
  std::ofstream(dir / "b.cedar") << "@id(\"a.0\") permit(principal, action, resource);";
  EXPECT_EQ(LoadBundle(dir).status().message(), "b.cedar: duplicate policy id `a.0`");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace writ::authz

namespace writ::authz {
namespace {

TEST(BundleWatcherTest, ReloadsOnChangeAndKeepsTheLastGoodBundle) {
  fs::path dir = fs::temp_directory_path() / ("writ-watch-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "p.cedar") << "permit(principal, action, resource);";
  int loaded = 0;
  BundleWatcher w(dir, {}, [&](const Bundle&, const Bundle*) {
    ++loaded;
    return Status::Ok();
  });
  ASSERT_TRUE(w.Reload().ok());
  auto first = w.Current();
  ASSERT_NE(first, nullptr);
  w.Start(20);
  // A bad bundle is rejected; the first keeps serving.
  std::ofstream(dir / "p.cedar") << "permit(principal, action, resource) when { oops };";
  for (int i = 0; i < 200 && w.Stats().rejected == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(w.Stats().rejected, 1u);
  EXPECT_NE(w.Stats().last_error.find("p.cedar:1:"), std::string::npos);
  EXPECT_EQ(w.Current(), first);
  // A good change is picked up.
  std::ofstream(dir / "p.cedar") << "forbid(principal, action, resource);";
  for (int i = 0; i < 200 && w.Stats().loads < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(w.Stats().loads, 2u);
  EXPECT_NE(w.Current(), first);
  EXPECT_EQ(w.Current()->policies.policy(0).effect(), cedar::Effect::kForbid);
  EXPECT_EQ(loaded, 2);
  w.Stop();
  fs::remove_all(dir);
}

// A bundle whose on_loaded fails (its load could not be recorded) does not become current; the
// load is tried again at each poll, without another change, until on_loaded succeeds.
TEST(BundleWatcherTest, ABundleWhoseLoadIsNotRecordedIsNotAdoptedAndIsRetried) {
  fs::path dir =
      fs::temp_directory_path() / ("writ-watch-unrecorded-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "p.cedar") << "permit(principal, action, resource);";
  std::atomic<bool> recordable{true};
  std::atomic<int> calls{0};
  BundleWatcher w(dir, {}, [&](const Bundle&, const Bundle*) {
    ++calls;
    return recordable.load() ? Status::Ok() : Unavailable("the ledger is closed");
  });
  // Not even a first bundle is adopted while it cannot be recorded.
  recordable = false;
  Status first = w.Reload();
  EXPECT_EQ(first.code(), StatusCode::kUnavailable);
  EXPECT_NE(first.message().find("the ledger is closed"), std::string::npos);
  EXPECT_EQ(w.Current(), nullptr);
  EXPECT_EQ(w.Stats().loads, 0u);
  EXPECT_EQ(w.Stats().unrecorded, 1u);
  recordable = true;
  ASSERT_TRUE(w.Reload().ok());
  auto adopted = w.Current();
  ASSERT_NE(adopted, nullptr);
  EXPECT_TRUE(w.Stats().last_error.empty());

  // A change that cannot be recorded: the adopted bundle stays current, and the load is tried
  // again at the next polls although the directory does not change any more.
  recordable = false;
  std::ofstream(dir / "p.cedar") << "forbid(principal, action, resource) when { true };";
  w.Start(20);
  int before = calls.load();
  for (int i = 0; i < 300 && calls.load() < before + 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(calls.load(), before + 3);
  EXPECT_EQ(w.Current(), adopted);
  EXPECT_GE(w.Stats().unrecorded, 3u);
  EXPECT_NE(w.Stats().last_error.find("did not become current"), std::string::npos);
  EXPECT_EQ(w.Stats().loads, 1u);
  // Once it can be recorded, the next poll adopts it.
  recordable = true;
  for (int i = 0; i < 300 && w.Current() == adopted; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_NE(w.Current(), adopted);
  EXPECT_EQ(w.Current()->policies.policy(0).effect(), cedar::Effect::kForbid);
  EXPECT_EQ(w.Stats().loads, 2u);
  EXPECT_TRUE(w.Stats().last_error.empty());
  // Settled: no more calls without a change.
  int settled = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(calls.load(), settled);

  // RetryAtNextPoll: on_loaded is called again for the unchanged, current bundle.
  auto current = w.Current();
  w.RetryAtNextPoll();
  for (int i = 0; i < 300 && calls.load() == settled; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(calls.load(), settled + 1);
  EXPECT_EQ(w.Current(), current);
  EXPECT_EQ(w.Stats().loads, 2u);
  w.Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace writ::authz

namespace writ::authz {
namespace {

TEST_F(DecisionEngineTest, ExplainReconstructsThePathWithProofs) {
  ASSERT_TRUE(store_->blobs().PutBlob("application/json", bundles_.bundle->policy_blob).ok());
  auto allowed = engine_->Decide(Input("read", "Doc", "plan"));
  auto denied = engine_->Decide(Input("read", "Doc", "keys"));
  ASSERT_TRUE(allowed.ok() && denied.ok());
  ASSERT_TRUE(ledger_->Checkpoint().ok());
  ExplainOptions options;
  options.verifier_key = ledger::FormatVerifierKey(signer_->name(), signer_->public_key());
  auto by_decision = Explain(*store_, denied->decision_id, options);
  ASSERT_TRUE(by_decision.ok()) << by_decision.status().ToString();
  EXPECT_EQ(by_decision->at("kind"), "decision");
  EXPECT_EQ(by_decision->at("task_id"), "task-1");
  const json::array& path = by_decision->at("path").as_array();
  ASSERT_EQ(path.size(), 2u);  // both decisions of the task
  const json::object& focus = path[1].as_object();
  EXPECT_TRUE(focus.contains("focus"));
  EXPECT_TRUE(focus.contains("proof"));
  EXPECT_EQ(focus.at("proof").at("seq"), focus.at("seq"));
  EXPECT_NE(std::string(focus.at("policies").at("no-secrets").as_string())
                .find("forbid(principal, action, resource)"),
            std::string::npos);
  std::string tree = RenderExplainTree(*by_decision);
  EXPECT_NE(tree.find("deny Action::\"read\" on Doc::\"keys\""), std::string::npos) << tree;
  EXPECT_NE(tree.find("secret documents are never readable by agents"), std::string::npos);
  EXPECT_NE(tree.find("✓ #"), std::string::npos);
  auto by_task = Explain(*store_, "task-1", options);
  ASSERT_TRUE(by_task.ok());
  EXPECT_EQ(by_task->at("kind"), "task");
  EXPECT_EQ(Explain(*store_, "nothing-like-this", options).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace writ::authz

namespace writ::authz {
namespace {

class RecordingMinter : public CredentialMinter {
 public:
  Result<MintedCredential> Mint(const std::string& presented, const std::string& decision_id,
                                const CredentialAsk& ask) override {
    asks.push_back(ask);
    if (fail) return Unavailable("key ring unavailable");
    return MintedCredential{"cred-" + decision_id, "token-for-" + presented, 42, ask.scopes};
  }
  std::vector<CredentialAsk> asks;
  bool fail = false;
};

TEST_F(DecisionEngineTest, CredentialsAreMintedForAllowsAndNarrowed) {
  RecordingMinter minter;
  EngineOptions eo{"node1"};
  eo.minter = &minter;
  DecisionEngine engine(bundles_, *ledger_, *evidence_, store_->approvals(), clock_, eo);
  DecisionInput in = Input("query", "Tool", "sql", json::object{{"input", {{"limit", 1}}}});
  in.presented_token = "T";
  in.caller.scopes = {"read", "write"};
  in.credential = CredentialAsk{"sql.internal", 300, {}};
  auto out = engine.Decide(in);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->credential.has_value());
  ASSERT_EQ(minter.asks.size(), 1u);
  EXPECT_EQ(minter.asks[0].lifetime_s, 30);  // ttl(30s)
  EXPECT_EQ(minter.asks[0].scopes, std::vector<std::string>{"read"});
  auto dr = ledger::DecisionRecord::FromJson(RecordAt(out->ledger_seq).body).value();
  EXPECT_EQ(dr.credentials_issued, std::vector<std::string>{out->credential->id});
  // Nothing is minted for a denial, and a failed mint denies.
  DecisionInput denied = Input("read", "Doc", "keys");
  denied.credential = CredentialAsk{"docs", 0, {}};
  EXPECT_FALSE(engine.Decide(denied)->credential.has_value());
  EXPECT_EQ(minter.asks.size(), 1u);
  minter.fail = true;
  auto failed = engine.Decide(in);
  EXPECT_EQ(failed->verdict, ledger::Verdict::kDeny);
  EXPECT_EQ(failed->code, kCodeCredentialUnavailable);
}

// Stands in for TokenService::IssueCredential, which reads an empty scope list as "the parent
// token's scopes": a credential it would mint for such an ask carries every scope of the token.
class ParentScopesMinter : public CredentialMinter {
 public:
  Result<MintedCredential> Mint(const std::string&, const std::string& decision_id,
                                const CredentialAsk& ask) override {
    asks.push_back(ask);
    return MintedCredential{"cred-" + decision_id, "t", 42,
                            ask.scopes.empty() ? parent_scopes : ask.scopes};
  }
  std::vector<std::string> parent_scopes;
  std::vector<CredentialAsk> asks;
};

// scopes('read') narrows to what the policy allows; when nothing the caller holds (or asks for)
// is allowed, no credential is minted, rather than one that an empty list widens to all the
// token's scopes.
TEST_F(DecisionEngineTest, ScopesNarrowedToNothingMintNothing) {
  ParentScopesMinter minter;
  minter.parent_scopes = {"admin", "write"};
  EngineOptions eo{"node1"};
  eo.minter = &minter;
  DecisionEngine engine(bundles_, *ledger_, *evidence_, store_->approvals(), clock_, eo);
  DecisionInput in = Input("query", "Tool", "sql", json::object{{"input", {{"limit", 1}}}});
  in.presented_token = "T";
  in.caller.scopes = {"admin", "write"};
  for (std::vector<std::string> asked :
       {std::vector<std::string>{}, std::vector<std::string>{"write"}}) {
    in.credential = CredentialAsk{"sql.internal", 0, asked};
    auto out = engine.Decide(in);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->verdict, ledger::Verdict::kDeny);
    EXPECT_EQ(out->code, kCodeObligationUnmet);
    EXPECT_NE(out->reason.find("scopes"), std::string::npos) << out->reason;
    EXPECT_FALSE(out->credential.has_value());
    EXPECT_FALSE(out->narrowed_input.has_value());
    auto dr = ledger::DecisionRecord::FromJson(RecordAt(out->ledger_seq).body).value();
    EXPECT_EQ(dr.verdict, ledger::Verdict::kDeny);
    EXPECT_TRUE(dr.credentials_issued.empty());
  }
  EXPECT_TRUE(minter.asks.empty());
  // A caller holding an allowed scope still gets a credential with only that scope.
  in.caller.scopes = {"admin", "read"};
  in.credential = CredentialAsk{"sql.internal", 0, {}};
  auto ok = engine.Decide(in);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->verdict, ledger::Verdict::kAllow);
  ASSERT_EQ(minter.asks.size(), 1u);
  EXPECT_EQ(minter.asks[0].scopes, std::vector<std::string>{"read"});
  ASSERT_TRUE(ok->credential.has_value());
  EXPECT_EQ(ok->credential->scopes, std::vector<std::string>{"read"});
}

// An intent (and an upstream context) configured sensitive is digested wherever the decision
// puts it: the record's own field, its copy in request.context, and the approval's summary.
TEST_F(DecisionEngineTest, ASensitiveIntentIsNeverInClear) {
  const std::string intent = "quarterly report for the board";
  const std::string upstream_secret = "upstream-only-text";
  int amount = 250;  // each round holds a request of its own
  for (std::vector<std::string> paths :
       {std::vector<std::string>{"intent", "upstream"},
        std::vector<std::string>{"request.context.intent", "request.context.upstream"}}) {
    ledger::EvidenceConfig ec;
    ec.hmac_key = std::string(32, 'k');
    ec.sensitive_paths = paths;
    auto evidence = ledger::EvidencePolicy::Create(ec).value();
    DecisionEngine engine(bundles_, *ledger_, evidence, store_->approvals(), clock_,
                          EngineOptions{"node1"});
    json::object up{{"caller", upstream_secret}};
    DecisionInput allow = Input("read", "Doc", "plan", json::object{{"upstream", up}});
    allow.caller.intent = intent;
    DecisionInput held = Input("refund", "Tool", "payments",
                               json::object{{"input", {{"amount", ++amount}}}, {"upstream", up}});
    held.caller.intent = intent;
    held.caller.task_id = "task-" + paths.front();
    for (const DecisionInput& in : {allow, held}) {
      auto out = engine.Decide(in);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      auto r = store_->ledger().GetRecord("test.writ/node1", out->ledger_seq);
      ASSERT_TRUE(r.ok() && r->has_value());
      const std::string& bytes = (*r)->body;
      EXPECT_EQ(bytes.find(intent), std::string::npos) << paths.front() << ": " << bytes;
      EXPECT_EQ(bytes.find(upstream_secret), std::string::npos) << paths.front() << ": " << bytes;
      json::object body = RecordAt(out->ledger_seq).body;
      EXPECT_EQ(body.at("request").at("context").at("intent").at("hmac_sha256").as_string(),
                *ledger::SensitiveDigest(ec.hmac_key, json::string(intent)));
      if (out->verdict == ledger::Verdict::kApprovalRequired) {
        auto ap = store_->approvals().GetApproval(out->approval_id);
        ASSERT_TRUE(ap.ok() && ap->has_value());
        EXPECT_EQ((*ap)->summary.find(intent), std::string::npos) << (*ap)->summary;
        // The approver still sees for whom and for which task the request was made.
        auto summary = json::parse((*ap)->summary).as_object();
        EXPECT_EQ(summary.at("user"), "alice");
        EXPECT_EQ(summary.at("task").as_string(), in.caller.task_id);
        EXPECT_EQ(summary.at("intent").at("hmac_sha256").as_string(),
                  *ledger::SensitiveDigest(ec.hmac_key, json::string(intent)));
      }
    }
  }
  // Not configured sensitive, the approver reads the intent.
  DecisionInput plain =
      Input("refund", "Tool", "payments", json::object{{"input", {{"amount", 7}}}});
  auto out = engine_->Decide(plain);
  ASSERT_TRUE(out.ok());
  auto ap = store_->approvals().GetApproval(out->approval_id);
  ASSERT_TRUE(ap.ok() && ap->has_value());
  EXPECT_EQ(json::parse((*ap)->summary).at("intent"), "quarterly report");
}

// @log sets the depth of the decisions a policy determines, whichever way the default points;
// denials and high risk stay full.
TEST_F(DecisionEngineTest, LogAnnotationsOverrideTheDefaultDepthEitherWay) {
  fs::create_directories(dir_ / "logged");
  std::ofstream(dir_ / "logged" / "policies.cedar") << R"cedar(
@id("full-read") @log("full")
permit(principal, action == Action::"read", resource == Doc::"a");
@id("summary-read") @log("summary")
permit(principal, action == Action::"read", resource == Doc::"b");
@id("plain-read")
permit(principal, action == Action::"read", resource == Doc::"c");
@id("summary-risky") @log("summary") @risk("high")
permit(principal, action == Action::"read", resource == Doc::"d");
@id("summary-forbid") @log("summary")
forbid(principal, action == Action::"read", resource == Doc::"e");
@id("full-read-too") @log("full")
permit(principal, action == Action::"read", resource == Doc::"f");
@id("summary-read-too") @log("summary")
permit(principal, action == Action::"read", resource == Doc::"f");
)cedar";
  std::ofstream(dir_ / "logged" / "entities.json") << "[]";
  FixedBundle logged;
  logged.bundle = LoadBundle(dir_ / "logged").value();
  using ledger::EvidenceDepth;
  struct Case {
    const char* doc;
    EvidenceDepth under_full, under_summary;
  };
  const Case cases[] = {
      {"a", EvidenceDepth::kFull, EvidenceDepth::kFull},
      {"b", EvidenceDepth::kSummary, EvidenceDepth::kSummary},
      {"c", EvidenceDepth::kFull, EvidenceDepth::kSummary},
      {"d", EvidenceDepth::kFull, EvidenceDepth::kFull},  // high risk
      {"e", EvidenceDepth::kFull, EvidenceDepth::kFull},  // a denial
      {"f", EvidenceDepth::kFull, EvidenceDepth::kFull},  // one determining policy asks full
  };
  for (EvidenceDepth default_depth : {EvidenceDepth::kFull, EvidenceDepth::kSummary}) {
    ledger::EvidenceConfig ec;
    ec.default_depth = default_depth;
    auto evidence = ledger::EvidencePolicy::Create(ec).value();
    DecisionEngine engine(logged, *ledger_, evidence, store_->approvals(), clock_,
                          EngineOptions{"node1"});
    for (const Case& c : cases) {
      auto out = engine.Decide(Input("read", "Doc", c.doc));
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      auto dr = ledger::DecisionRecord::FromJson(RecordAt(out->ledger_seq).body).value();
      EvidenceDepth want = default_depth == EvidenceDepth::kFull ? c.under_full : c.under_summary;
      EXPECT_EQ(dr.evidence, want)
          << "Doc::" << c.doc << " under default " << ledger::EvidenceDepthName(default_depth);
    }
  }
}

}  // namespace
}  // namespace writ::authz
