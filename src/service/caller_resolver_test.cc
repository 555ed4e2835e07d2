#include "service/caller_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "base/jose.h"
#include "identity/errors.h"
#include "identity/events.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/records.h"
#include "store/sqlite_store.h"

namespace writ::service {
namespace {

namespace json = boost::json;

class CallerResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-resolver-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::SqliteOptions so;
    so.data_dir = dir_.string();
    store_ = std::move(store::OpenSqliteStore(so)).value();
    identity::AgentRegistryOptions ao;
    ao.trust_domain = "writ.test";
    ao.token_endpoint = "https://writ.test/oauth/token";
    agents_ = std::make_unique<identity::AgentRegistry>(store_->identity(), events_, clock_, ao);
    auto key = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value();
    for (const char* name : {"payments-orchestrator", "refund-agent"}) {
      identity::AgentRegistration reg;
      reg.name = name;
      reg.owner = "ops@acme.example";
      reg.team = "payments";
      reg.public_jwk = json::serialize(key.Public("k1").ToJson());
      ASSERT_TRUE(agents_->Register(reg).ok());
    }
    resolver_ = std::make_unique<CallerResolver>(*agents_, store_->ledger(), "writ.test");
  }
  void TearDown() override {
    resolver_.reset();
    agents_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static identity::VerifiedToken Delegated() {
    identity::VerifiedToken t;
    t.claims.kind = identity::TokenKind::kDelegated;
    t.claims.subject = "spiffe://writ.test/agent/refund-agent";
    t.claims.token_id = "tok-2";
    t.claims.task_id = "task-1";
    t.claims.user = identity::UserRef{"alice", "https://idp.test"};
    t.claims.scopes = {"payments:refund"};
    t.claims.depth = 2;
    // Nearest prior actor first.
    t.claims.actors = {"spiffe://writ.test/agent/payments-orchestrator",
                       "spiffe://writ.test/agent/root-agent"};
    return t;
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  identity::CollectingEventSink events_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<identity::AgentRegistry> agents_;
  std::unique_ptr<CallerResolver> resolver_;
};

TEST_F(CallerResolverTest, MapsTheTokenAndTheRegistry) {
  resolver_->RememberTask("task-1", TaskInfo{"refund a duplicate charge", {"employees"}});
  auto c = resolver_->Resolve(Delegated());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->agent, "refund-agent");
  EXPECT_EQ(c->spiffe_id, "spiffe://writ.test/agent/refund-agent");
  EXPECT_EQ(c->team, "payments");
  EXPECT_EQ(c->owner, "ops@acme.example");
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->user_groups, std::vector<std::string>{"employees"});
  EXPECT_EQ(c->task_id, "task-1");
  EXPECT_EQ(c->token_id, "tok-2");
  EXPECT_EQ(c->intent, "refund a duplicate charge");
  EXPECT_EQ(c->delegation_depth, 2);
  EXPECT_EQ(c->scopes, std::vector<std::string>{"payments:refund"});
  // Outermost first; an agent outside the registry keeps its name.
  EXPECT_EQ(c->actor_chain, (std::vector<std::string>{"root-agent", "payments-orchestrator"}));
}

TEST_F(CallerResolverTest, ReadsATaskBackFromItsStartRecord) {
  {
    auto signer = std::make_unique<ledger::Ed25519NoteSigner>(
        "writ.test/node-1", Ed25519PrivateKey::Generate().value());
    ledger::LedgerOptions lo;
    lo.origin = "writ.test/node-1";
    auto ledger = ledger::Ledger::Open(store_->ledger(), *signer, clock_, lo).value();
    ledger::TaskStartRecord rec;
    rec.task_id = "task-1";
    rec.intent = "reconcile march payouts";
    json::object body = rec.ToJson();
    body[kTaskStartGroupsField] = json::array{"employees", "finance-approvers"};
    ASSERT_TRUE(
        ledger->Append(ledger::MakeEntry(ledger::RecordKind::kTaskStart, body).value()).ok());
    ASSERT_TRUE(ledger->Close().ok());
  }
  auto c = resolver_->Resolve(Delegated());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->intent, "reconcile march payouts");
  EXPECT_EQ(c->user_groups, (std::vector<std::string>{"employees", "finance-approvers"}));
  EXPECT_FALSE(resolver_->FindTask("task-2").ok());
}

TEST_F(CallerResolverTest, UnknownTaskLeavesIntentEmpty) {
  auto c = resolver_->Resolve(Delegated());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->intent, "");
  EXPECT_TRUE(c->user_groups.empty());
}

TEST_F(CallerResolverTest, RefusesUnregisteredAgentsAndOtherDomains) {
  identity::VerifiedToken t = Delegated();
  t.claims.subject = "spiffe://writ.test/agent/ghost";
  auto unknown = resolver_->Resolve(t);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(identity::IdentityErrorOf(unknown.status()), identity::IdentityError::kClientUnknown);
  t.claims.subject = "spiffe://elsewhere.test/agent/refund-agent";
  EXPECT_FALSE(resolver_->Resolve(t).ok());
}

}  // namespace
}  // namespace writ::service
