#include "service/ledger_event_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "ledger/checkpoint.h"
#include "ledger/records.h"
#include "store/sqlite_store.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using identity::EventType;
using identity::IdentityEvent;

constexpr const char* kDomain = "writ.test";

class LedgerEventSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-sink-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::SqliteOptions so;
    so.data_dir = dir_.string();
    store_ = std::move(store::OpenSqliteStore(so)).value();
    signer_ = std::make_unique<ledger::Ed25519NoteSigner>("writ.test/node-1",
                                                          Ed25519PrivateKey::Generate().value());
    ledger::LedgerOptions lo;
    lo.origin = "writ.test/node-1";
    ledger_ = std::move(ledger::Ledger::Open(store_->ledger(), *signer_, clock_, lo)).value();
    ledger::EvidenceConfig ec;
    evidence_.emplace(std::move(ledger::EvidencePolicy::Create(ec)).value());
    sink_ = std::make_unique<LedgerEventSink>(*ledger_, *evidence_, clock_, kDomain);
  }
  void TearDown() override {
    sink_.reset();
    ledger_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The records of the task, oldest first, once the ledger is closed (every append done).
  std::vector<store::StoredRecord> Records(const std::string& task_id) {
    EXPECT_TRUE(ledger_->Close().ok());
    store::RecordQuery q;
    q.task_id = task_id;
    q.limit = 100;
    return store_->ledger().QueryRecords(q).value();
  }
  static json::object Body(const store::StoredRecord& r) {
    return ledger::DecodeRecord(r.body).value().body;
  }

  static IdentityEvent Event(EventType type) {
    IdentityEvent e;
    e.type = type;
    e.time_us = 1'700'000'000'000'000;
    e.task_id = "task-1";
    e.agent = "spiffe://writ.test/agent/refund-agent";
    e.user = "alice";
    return e;
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::NoteSigner> signer_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::optional<ledger::EvidencePolicy> evidence_;
  std::unique_ptr<LedgerEventSink> sink_;
};

TEST(AgentPrincipalTest, NamesAgentsOfTheTrustDomainOnly) {
  EXPECT_EQ(AgentPrincipal("spiffe://writ.test/agent/mailer", kDomain), "Agent::\"mailer\"");
  EXPECT_EQ(AgentPrincipal("spiffe://other.test/agent/mailer", kDomain), "");
  EXPECT_EQ(AgentPrincipal("spiffe://writ.test/workload/x", kDomain), "");
  EXPECT_EQ(AgentPrincipal("", kDomain), "");
}

TEST_F(LedgerEventSinkTest, TaskTokenIssueCarriesTheExpectedDecision) {
  IdentityEvent e = Event(EventType::kTokenIssued);
  e.token_id = "tok-1";
  e.detail["kind"] = "task";
  e.detail["audience"] = "writ";
  e.detail["scope"] = "payments:read payments:refund";
  e.detail["expires"] = "2023-11-14T22:23:20.000000Z";
  sink_->ExpectDecision(LedgerEventSink::TaskKey("task-1"), "dec-7");
  ASSERT_TRUE(sink_->Record(e).ok());
  // The expectation is consumed by the event it was for.
  IdentityEvent again = e;
  again.token_id = "tok-2";
  ASSERT_TRUE(sink_->Record(again).ok());

  auto rows = Records("task-1");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].kind, "credential_issue");
  EXPECT_EQ(rows[0].decision_id, "dec-7");
  EXPECT_EQ(rows[0].principal, "Agent::\"refund-agent\"");
  auto rec = ledger::CredentialRecord::FromJson(Body(rows[0])).value();
  EXPECT_EQ(rec.credential_id, "tok-1");
  EXPECT_EQ(rec.credential_type, "task_token");
  EXPECT_EQ(rec.audience, "writ");
  EXPECT_EQ(rec.expires_at, "2023-11-14T22:23:20.000000Z");
  EXPECT_EQ(rec.scopes, (std::vector<std::string>{"payments:read", "payments:refund"}));
  EXPECT_EQ(rows[1].decision_id, "");
  EXPECT_EQ(sink_->Stats().recorded, 2u);
}

TEST_F(LedgerEventSinkTest, ExchangeBecomesADelegationWithTheChainOutermostFirst) {
  IdentityEvent e = Event(EventType::kTokenExchanged);
  e.token_id = "child";
  e.parent_token_id = "parent";
  e.detail["kind"] = "delegated";
  e.detail["scope"] = "payments:refund";
  e.detail["depth"] = 2;
  e.detail["txn"] = "0af7651916cd43dd8448eb211c80319c";
  // Nearest prior actor first, as in the token.
  e.detail["actors"] = json::array{"spiffe://writ.test/agent/refund-lead",
                                   "spiffe://writ.test/agent/payments-orchestrator"};
  sink_->ExpectDecision(LedgerEventSink::TokenKey("child"), "dec-9");
  ASSERT_TRUE(sink_->Record(e).ok());
  auto rows = Records("task-1");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "delegation");
  EXPECT_EQ(rows[0].decision_id, "dec-9");
  auto rec = ledger::DelegationRecord::FromJson(Body(rows[0])).value();
  EXPECT_EQ(rec.principal, "Agent::\"refund-lead\"");
  EXPECT_EQ(rec.delegate, "Agent::\"refund-agent\"");
  EXPECT_EQ(rec.parent_token_id, "parent");
  EXPECT_EQ(rec.child_token_id, "child");
  EXPECT_EQ(rec.actor_chain, (std::vector<std::string>{"payments-orchestrator", "refund-lead"}));
  EXPECT_EQ(rec.depth, 2);
  EXPECT_EQ(rec.trace_id, "0af7651916cd43dd8448eb211c80319c");
}

TEST_F(LedgerEventSinkTest, RevocationsAndUses) {
  IdentityEvent order = Event(EventType::kRevocation);
  order.agent.clear();
  order.message = "task ended";
  order.detail["target"] = "task";
  order.detail["value"] = "task-1";
  order.detail["revocation_id"] = 12;
  ASSERT_TRUE(sink_->Record(order).ok());
  IdentityEvent revoked = Event(EventType::kTokenRevoked);
  revoked.token_id = "cred-1";
  revoked.decision_id = "dec-3";
  revoked.message = "task ended";
  revoked.detail["kind"] = "credential";
  revoked.detail["cause"] = "task:task-1";
  ASSERT_TRUE(sink_->Record(revoked).ok());
  IdentityEvent used = Event(EventType::kCredentialUsed);
  used.token_id = "cred-2";
  used.decision_id = "dec-4";
  used.detail["kind"] = "credential";
  ASSERT_TRUE(sink_->Record(used).ok());

  auto rows = Records("task-1");
  ASSERT_EQ(rows.size(), 3u);
  auto o = ledger::CredentialRecord::FromJson(Body(rows[0])).value();
  EXPECT_EQ(rows[0].kind, "credential_revoke");
  EXPECT_EQ(o.credential_type, "revocation");
  EXPECT_EQ(o.credential_id, "revocation:12");
  EXPECT_EQ(o.revoked_via, "task:task-1");
  EXPECT_EQ(o.reason, "task ended");
  auto t = ledger::CredentialRecord::FromJson(Body(rows[1])).value();
  EXPECT_EQ(rows[1].kind, "credential_revoke");
  EXPECT_EQ(rows[1].decision_id, "dec-3");
  EXPECT_EQ(t.credential_type, "jit");
  EXPECT_EQ(t.revoked_via, "task:task-1");
  EXPECT_EQ(rows[2].kind, "credential_use");
  EXPECT_EQ(rows[2].decision_id, "dec-4");
}

TEST_F(LedgerEventSinkTest, RefusalIsADenyDecision) {
  IdentityEvent e = Event(EventType::kRefused);
  e.token_id = "tok-5";
  e.error = "token_expired";
  e.message = "token_expired: the token expired";
  e.detail["what"] = "token";
  e.detail["token_sha256"] = std::string(64, 'a');
  ASSERT_TRUE(sink_->Record(e).ok());
  auto rows = Records("task-1");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "decision");
  EXPECT_EQ(rows[0].verdict, "deny");
  EXPECT_FALSE(rows[0].decision_id.empty());
  auto rec = ledger::DecisionRecord::FromJson(Body(rows[0])).value();
  EXPECT_EQ(rec.request.action, "Action::\"identity/token\"");
  EXPECT_EQ(rec.request.resource, "Token::\"tok-5\"");
  EXPECT_EQ(rec.identity.principal, "Agent::\"refund-agent\"");
  EXPECT_EQ(rec.identity.user, "User::\"alice\"");
  EXPECT_EQ(rec.reason, "token_expired: the token expired");
  EXPECT_EQ(rec.node, "writ.test/node-1");
  ASSERT_TRUE(rec.upstream.contains("detail"));
}

TEST_F(LedgerEventSinkTest, KeyRotation) {
  IdentityEvent e;
  e.type = EventType::kKeyRotated;
  e.detail["kid"] = "new-kid";
  e.detail["retired"] = json::array{"old-kid"};
  ASSERT_TRUE(sink_->Record(e).ok());
  ASSERT_TRUE(ledger_->Close().ok());
  store::RecordQuery q;
  q.kind = "key_rotation";
  auto rows = store_->ledger().QueryRecords(q).value();
  ASSERT_EQ(rows.size(), 1u);
  auto rec = ledger::KeyRotationRecord::FromJson(Body(rows[0])).value();
  EXPECT_EQ(rec.key_use, "token_signing");
  EXPECT_EQ(rec.old_key_id, "old-kid");
  EXPECT_EQ(rec.new_key_id, "new-kid");
}

TEST_F(LedgerEventSinkTest, IssuingFailsWhenTheLedgerCannotRecord) {
  ASSERT_TRUE(ledger_->Close().ok());
  IdentityEvent e = Event(EventType::kTokenIssued);
  e.token_id = "tok-1";
  EXPECT_FALSE(sink_->Record(e).ok());
  EXPECT_EQ(sink_->Stats().failures, 1u);
}

}  // namespace
}  // namespace writ::service
