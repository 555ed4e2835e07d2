#include "store/sqlite_identity_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/identity_store.h"
#include "store/sqlite_store.h"

namespace writ::store {
namespace {

class IdentityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-idstore-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(bool read_only = false) {
    store_.reset();
    SqliteOptions o;
    o.data_dir = dir_.string();
    o.read_only = read_only;
    auto s = OpenSqliteStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  IdentityStore& ids() { return store_->identity(); }

  static StoredToken Token(std::string jti, std::string parent, std::string task, std::string agent,
                           std::string user, int64_t expires = 1000) {
    StoredToken t;
    t.jti = std::move(jti);
    t.kind = parent.empty() ? "task" : "delegated";
    t.parent_jti = std::move(parent);
    t.task_id = std::move(task);
    t.agent = std::move(agent);
    t.user = std::move(user);
    t.audience = "writ";
    t.scopes = "read write";
    t.issued_us = 10;
    t.expires_us = expires;
    return t;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(IdentityStoreTest, RotationRetiresTheSigningKeyAtomically) {
  StoredSigningKey a{"k1", "EdDSA", "{}", "sealed-1", 100, 0, 0};
  ASSERT_TRUE(ids().RotateSigningKey(a, 0).ok());
  StoredSigningKey b{"k2", "ES256", "{}", "sealed-2", 200, 0, 0};
  ASSERT_TRUE(ids().RotateSigningKey(b, 900).ok());
  auto keys = ids().ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid, "k1");
  EXPECT_EQ((*keys)[0].retired_us, 200);
  EXPECT_EQ((*keys)[0].verify_until_us, 900);
  EXPECT_EQ((*keys)[0].sealed_private, "sealed-1");
  EXPECT_EQ((*keys)[1].retired_us, 0);
  // A duplicate kid changes nothing: the current key keeps signing.
  StoredSigningKey dup{"k2", "EdDSA", "{}", "x", 300, 0, 0};
  EXPECT_FALSE(ids().RotateSigningKey(dup, 1000).ok());
  keys = ids().ListSigningKeys();
  EXPECT_EQ((*keys)[1].retired_us, 0);
  EXPECT_EQ((*keys)[0].verify_until_us, 900);
}

TEST_F(IdentityStoreTest, AgentsAreUniqueByNameAndSpiffeId) {
  StoredAgent a{"planner", "spiffe://t/agent/planner", "alice", "ops", "{\"k\":1}", "", 5};
  ASSERT_TRUE(ids().InsertAgent(a).ok());
  EXPECT_EQ(ids().InsertAgent(a).code(), StatusCode::kAlreadyExists);
  StoredAgent b = a;
  b.name = "other";
  EXPECT_EQ(ids().InsertAgent(b).code(), StatusCode::kAlreadyExists);
  auto got = ids().GetAgent("planner");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->owner, "alice");
  EXPECT_EQ((*got)->public_jwk, "{\"k\":1}");
  EXPECT_TRUE((*got)->secret_hash.empty());
  EXPECT_FALSE(ids().GetAgent("nobody")->has_value());
  EXPECT_EQ(ids().ListAgents()->size(), 1u);
}

TEST_F(IdentityStoreTest, RevocationReachesDescendantsThroughParentLinks) {
  ASSERT_TRUE(ids().InsertToken(Token("root", "", "task-1", "a", "alice")).ok());
  ASSERT_TRUE(ids().InsertToken(Token("c1", "root", "task-1", "b", "alice")).ok());
  ASSERT_TRUE(ids().InsertToken(Token("c2", "c1", "task-1", "c", "alice")).ok());
  ASSERT_TRUE(ids().InsertToken(Token("old", "c1", "task-1", "c", "alice", 50)).ok());
  ASSERT_TRUE(ids().InsertToken(Token("other", "", "task-2", "b", "bob")).ok());
  EXPECT_EQ(ids().InsertToken(Token("c1", "", "t", "a", "u")).code(), StatusCode::kAlreadyExists);

  auto names = [&](RevocationTarget t, const std::string& v) {
    std::vector<std::string> out;
    auto reached = ids().TokensReachedBy(t, v, 100);
    EXPECT_TRUE(reached.ok()) << reached.status().ToString();
    if (!reached.ok()) return out;
    for (const StoredToken& tok : *reached) out.push_back(tok.jti);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names(RevocationTarget::kToken, "c1"), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(names(RevocationTarget::kTask, "task-1"),
            (std::vector<std::string>{"c1", "c2", "root"}));
  // Agent b's tokens and what descends from them, on any task.
  EXPECT_EQ(names(RevocationTarget::kAgent, "b"), (std::vector<std::string>{"c1", "c2", "other"}));
  EXPECT_EQ(names(RevocationTarget::kUser, "bob"), (std::vector<std::string>{"other"}));
  EXPECT_TRUE(names(RevocationTarget::kToken, "nothing").empty());
}

TEST_F(IdentityStoreTest, SingleUseConsumptionIsOnceEvenUnderRaces) {
  StoredToken t = Token("cred", "root", "task", "a", "u");
  t.single_use = true;
  ASSERT_TRUE(ids().InsertToken(t).ok());
  ASSERT_TRUE(ids().InsertToken(Token("plain", "", "task", "a", "u")).ok());
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = ids().ConsumeToken("cred", 77);
      if (r.ok() && *r) wins.fetch_add(1);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(ids().GetToken("cred")->value().consumed_us, 77);
  EXPECT_FALSE(*ids().ConsumeToken("plain", 1));  // not single-use
  EXPECT_EQ(ids().ConsumeToken("missing", 1).status().code(), StatusCode::kNotFound);
}

TEST_F(IdentityStoreTest, AssertionIdsAreRecordedOnceAndPruned) {
  EXPECT_TRUE(*ids().RecordAssertionJti("agent-a", "j1", 100));
  EXPECT_FALSE(*ids().RecordAssertionJti("agent-a", "j1", 100));
  EXPECT_TRUE(*ids().RecordAssertionJti("agent-b", "j1", 100));
  EXPECT_EQ(*ids().PruneAssertionJtis(50), 0);
  EXPECT_EQ(*ids().PruneAssertionJtis(101), 2);
  EXPECT_TRUE(*ids().RecordAssertionJti("agent-a", "j1", 300));
}

TEST_F(IdentityStoreTest, RevocationsAreIdempotentAndFormAFeed) {
  StoredRevocation r{0, RevocationTarget::kTask, "task-1", "task ended", 10};
  EXPECT_TRUE(*ids().InsertRevocation(&r));
  int64_t first = r.id;
  StoredRevocation again{0, RevocationTarget::kTask, "task-1", "other reason", 20};
  EXPECT_FALSE(*ids().InsertRevocation(&again));
  EXPECT_EQ(again.id, first);
  EXPECT_EQ(again.reason, "task ended");
  StoredRevocation u{0, RevocationTarget::kUser, "task-1", "same value, other kind", 30};
  EXPECT_TRUE(*ids().InsertRevocation(&u));
  auto all = ids().ListRevocations(0);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].target, RevocationTarget::kUser);
  auto after = ids().ListRevocations(first);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, u.id);
}

TEST_F(IdentityStoreTest, SecretsAreListedWithoutTheirValue) {
  StoredSecret s{"github", "sealed-bytes", "https://api.github.com", "bot token", 1, 1};
  ASSERT_TRUE(ids().PutSecret(s).ok());
  s.sealed_value = "sealed-bytes-2";
  s.updated_us = 2;
  ASSERT_TRUE(ids().PutSecret(s).ok());
  auto got = ids().GetSecret("github");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->sealed_value, "sealed-bytes-2");
  EXPECT_EQ((*got)->created_us, 1);
  auto list = ids().ListSecrets();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].sealed_value.empty());
}

TEST_F(IdentityStoreTest, SurvivesReopenAndRefusesWritesReadOnly) {
  ASSERT_TRUE(ids().InsertToken(Token("t", "", "task", "a", "u")).ok());
  StoredRevocation r{0, RevocationTarget::kToken, "t", "x", 1};
  ASSERT_TRUE(*ids().InsertRevocation(&r));
  Open(/*read_only=*/true);
  EXPECT_TRUE(ids().GetToken("t")->has_value());
  EXPECT_EQ(ids().ListRevocations(0)->size(), 1u);
  EXPECT_EQ(ids().InsertToken(Token("t2", "", "task", "a", "u")).code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace writ::store
