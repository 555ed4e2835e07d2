// Ending a task revokes its whole delegation tree at once: every token and credential that
// descends from the task becomes inactive, and the ledger holds each revocation.
#include <gtest/gtest.h>

#include <set>

#include "identity/identity_test_util.h"
#include "ledger_event_sink.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;

TEST(CascadeTest, EndingATaskRevokesTheWholeTreeAndRecordsEachRevocation) {
  auto dir = TestDir("writ-cascade-");
  LedgerBackedIdentity id;
  ASSERT_TRUE(id.Open(dir).ok());
  IdentityWorld& w = id.world;
  for (const char* name : {"orchestrator", "researcher", "writer", "reviewer", "fetcher"}) {
    ASSERT_TRUE(w.agents->Register({name, "alice", "platform", "", ""}).ok());
  }
  TaskTokenRequest tr;
  tr.agent = "orchestrator";
  tr.user = {"alice", "https://idp"};
  tr.task_id = "task-cascade";
  tr.scopes = {"read", "search", "write"};
  IssuedToken root = w.tokens->IssueTaskToken(tr).value();

  // A tree three delegations deep, with two branches, and a credential at every level.
  auto delegate = [&](const IssuedToken& parent, const char* actor) {
    ExchangeRequest r{parent.token, actor, {}, "", 0};
    auto t = w.tokens->Exchange(r, nullptr);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return std::move(t).value();
  };
  IssuedToken d1 = delegate(root, "researcher");
  IssuedToken d1b = delegate(root, "writer");
  IssuedToken d2 = delegate(d1, "fetcher");
  IssuedToken d3 = delegate(d2, "reviewer");
  ASSERT_EQ(d3.claims.depth, 3);
  std::vector<IssuedToken> tokens = {root, d1, d1b, d2, d3};
  std::vector<IssuedToken> credentials;
  int n = 0;
  for (const IssuedToken& t : tokens) {
    auto c = w.tokens->IssueCredential(
        {t.token, "dec-" + std::to_string(n++), "https://tool.example", {}, 60});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    credentials.push_back(std::move(c).value());
  }
  // Another task of the same user and agent is not touched.
  tr.task_id = "task-other";
  IssuedToken other = w.tokens->IssueTaskToken(tr).value();

  for (const IssuedToken& t : tokens) ASSERT_TRUE(w.tokens->Verify(t.token).ok());
  for (const IssuedToken& c : credentials) {
    VerifyOptions o;
    o.credential_only = true;
    o.audience = "https://tool.example";
    ASSERT_TRUE(w.tokens->Verify(c.token, o).ok());
  }

  auto outcome = w.tokens->EndTask("task-cascade");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->tokens.size(), tokens.size() + credentials.size());

  // Every one of them is inactive at once, through the cache as well.
  for (const IssuedToken& t : tokens) {
    EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(t.token).status()), IdentityError::kTaskRevoked);
    EXPECT_FALSE(w.tokens->Introspect(t.token).at("active").as_bool());
  }
  for (const IssuedToken& c : credentials) {
    EXPECT_FALSE(w.tokens->Introspect(c.token, "https://tool.example").at("active").as_bool());
    EXPECT_EQ(
        IdentityErrorOf(w.tokens->ConsumeCredential(c.token, "https://tool.example", "").status()),
        IdentityError::kTaskRevoked);
  }
  EXPECT_TRUE(w.tokens->Verify(other.token).ok());
  // No new delegation can hang off the ended task.
  ExchangeRequest r{d3.token, "writer", {}, "", 0};
  EXPECT_EQ(IdentityErrorOf(w.tokens->Exchange(r, nullptr).status()),
            IdentityError::kParentRevoked);

  // The ledger holds the revocation order and one revocation record per token and credential.
  std::set<std::string> revoked_in_ledger;
  int orders = 0;
  for (const auto& body : id.Bodies("credential_revoke")) {
    if (body.at("event").as_string() == "revocation") {
      ++orders;
      EXPECT_EQ(body.at("task_id").as_string(), "task-cascade");
      EXPECT_EQ(body.at("detail").at("tokens").as_int64(), 10);
    } else {
      EXPECT_EQ(body.at("event").as_string(), "token_revoked");
      EXPECT_EQ(body.at("detail").at("cause").as_string(), "task:task-cascade");
      revoked_in_ledger.insert(std::string(body.at("token_id").as_string()));
    }
  }
  EXPECT_EQ(orders, 1);
  std::set<std::string> expected;
  for (const IssuedToken& t : tokens) expected.insert(t.claims.token_id);
  for (const IssuedToken& c : credentials) expected.insert(c.claims.token_id);
  EXPECT_EQ(revoked_in_ledger, expected);
  // Issues and delegations were recorded too.
  EXPECT_EQ(id.Bodies("delegation").size(), 4u);
  EXPECT_EQ(id.Bodies("credential_issue").size(), 2u + credentials.size());
  id.Close();
  std::filesystem::remove_all(dir);
}

TEST(CascadeTest, RevokingAMiddleTokenSparesItsAncestorsAndSiblings) {
  auto dir = TestDir("writ-cascade-");
  LedgerBackedIdentity id;
  ASSERT_TRUE(id.Open(dir).ok());
  IdentityWorld& w = id.world;
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(w.agents->Register({name, "o", "t", "", ""}).ok());
  }
  TaskTokenRequest tr;
  tr.agent = "a";
  tr.user = {"u", ""};
  IssuedToken root = w.tokens->IssueTaskToken(tr).value();
  ExchangeRequest r{root.token, "b", {}, "", 0};
  IssuedToken mid = w.tokens->Exchange(r, nullptr).value();
  r = {root.token, "c", {}, "", 0};
  IssuedToken sibling = w.tokens->Exchange(r, nullptr).value();
  r = {mid.token, "d", {}, "", 0};
  IssuedToken leaf = w.tokens->Exchange(r, nullptr).value();
  auto outcome = w.tokens->Revoke(store::RevocationTarget::kToken, mid.claims.token_id, "x");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->tokens.size(), 2u);
  EXPECT_TRUE(w.tokens->Verify(root.token).ok());
  EXPECT_TRUE(w.tokens->Verify(sibling.token).ok());
  EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(mid.token).status()), IdentityError::kTokenRevoked);
  EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(leaf.token).status()),
            IdentityError::kAncestorRevoked);
  // Revoking agent b reaches what b holds and what descends from it, on any task.
  auto by_agent = w.tokens->Revoke(store::RevocationTarget::kAgent, "c", "compromised");
  ASSERT_TRUE(by_agent.ok());
  EXPECT_EQ(IdentityErrorOf(w.tokens->Verify(sibling.token).status()),
            IdentityError::kAgentRevoked);
  EXPECT_TRUE(w.tokens->Verify(root.token).ok());
  id.Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace writ::identity
