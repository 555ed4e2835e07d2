// Revocations, single-use consumption and assertion ids survive a restart: everything is closed
// and a fresh object graph is opened over the same data directory.
#include <gtest/gtest.h>

#include "identity/identity_test_util.h"
#include "ledger_event_sink.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;
namespace json = boost::json;

TEST(RestartTest, RevocationsAndConsumptionSurviveAFreshObjectGraph) {
  auto dir = TestDir("writ-restart-");
  auto agent_key = JwsSigningKey::Generate(JwsAlgorithm::kES256).value();
  std::string revoked_token, revoked_task_token, revoked_user_token, live_token, used_cred,
      unused_cred, assertion;
  {
    LedgerBackedIdentity id;
    ASSERT_TRUE(id.Open(dir).ok());
    IdentityWorld& w = id.world;
    ASSERT_TRUE(w.agents
                    ->Register({"planner", "alice", "platform",
                                json::serialize(agent_key.Public("k").ToJson()), ""})
                    .ok());
    auto task = [&](const char* task_id, const char* user) {
      TaskTokenRequest r;
      r.agent = "planner";
      r.user = {user, ""};
      r.task_id = task_id;
      r.lifetime_s = 3600;
      return w.tokens->IssueTaskToken(r).value();
    };
    IssuedToken a = task("t-a", "alice");
    IssuedToken b = task("t-b", "alice");
    IssuedToken c = task("t-c", "mallory");
    IssuedToken d = task("t-d", "alice");
    revoked_token = a.token;
    revoked_task_token = b.token;
    revoked_user_token = c.token;
    live_token = d.token;
    ASSERT_TRUE(w.tokens->Revoke(store::RevocationTarget::kToken, a.claims.token_id, "r").ok());
    ASSERT_TRUE(w.tokens->EndTask("t-b").ok());
    ASSERT_TRUE(w.tokens->Revoke(store::RevocationTarget::kUser, "mallory", "left").ok());
    used_cred = w.tokens->IssueCredential({d.token, "dec-1", "svc", {}, 300}).value().token;
    unused_cred = w.tokens->IssueCredential({d.token, "dec-2", "svc", {}, 300}).value().token;
    ASSERT_TRUE(w.tokens->ConsumeCredential(used_cred, "svc", "dec-1").ok());
    int64_t now = w.clock.NowMicros() / 1000000;
    std::string client = "spiffe://writ.test/agent/planner";
    assertion = SignJwt(agent_key, {{"kid", "k"}},
                        {{"iss", client},
                         {"sub", client},
                         {"aud", kTokenEndpoint},
                         {"exp", now + 120},
                         {"jti", "once"}});
    ASSERT_TRUE(w.agents->AuthenticateAssertion(assertion).ok());
    id.Close();
  }
  {
    LedgerBackedIdentity id;  // a fresh object graph: new store, index, keys, service
    ASSERT_TRUE(id.Open(dir).ok());
    IdentityWorld& w = id.world;
    EXPECT_EQ(w.index->size(), 3u);
    EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(revoked_token).status()),
              IdentityError::kTokenRevoked);
    EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(revoked_task_token).status()),
              IdentityError::kTaskRevoked);
    EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(revoked_user_token).status()),
              IdentityError::kUserRevoked);
    EXPECT_TRUE(w.tokens->Verify(live_token).ok());
    EXPECT_EQ(IdentityErrorOf(w.tokens->ConsumeCredential(used_cred, "svc", "dec-1").status()),
              IdentityError::kCredentialUsed);
    EXPECT_FALSE(w.tokens->Introspect(used_cred, "svc").at("active").as_bool());
    EXPECT_TRUE(w.tokens->ConsumeCredential(unused_cred, "svc", "dec-2").ok());
    EXPECT_EQ(IdentityErrorOf(w.agents->AuthenticateAssertion(assertion).status()),
              IdentityError::kAssertionReplayed);
    // Both runs' events are in the one ledger.
    EXPECT_GE(id.DenialRecords(IdentityError::kCredentialUsed), 1);
    EXPECT_EQ(id.Bodies("credential_use").size(), 2u);
    id.Close();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace writ::identity
