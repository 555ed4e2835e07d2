#include "identity/revocation_index.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <thread>

#include <filesystem>

#include "store/sqlite_store.h"

namespace writ::identity {
namespace {

using store::RevocationTarget;

TokenClaims Grandchild() {
  TokenClaims c;
  c.kind = TokenKind::kDelegated;
  c.token_id = "t3";
  c.subject = "spiffe://t/agent/c";
  c.task_id = "task-1";
  c.user.subject = "alice";
  c.depth = 2;
  c.actors = {"spiffe://t/agent/b", "spiffe://t/agent/a"};
  c.ancestors = {"t1", "t2"};
  return c;
}

TEST(RevocationIndexTest, EveryPartOfTheLineageRevokes) {
  TokenClaims c = Grandchild();
  RevocationKeys keys = RevocationIndex::KeysFor(c);
  struct Case {
    RevocationTarget target;
    const char* value;
    IdentityError expected;
  };
  for (const Case& k :
       {Case{RevocationTarget::kToken, "t3", IdentityError::kTokenRevoked},
        Case{RevocationTarget::kToken, "t1", IdentityError::kAncestorRevoked},
        Case{RevocationTarget::kToken, "t2", IdentityError::kAncestorRevoked},
        Case{RevocationTarget::kTask, "task-1", IdentityError::kTaskRevoked},
        Case{RevocationTarget::kAgent, "spiffe://t/agent/c", IdentityError::kAgentRevoked},
        Case{RevocationTarget::kAgent, "spiffe://t/agent/a", IdentityError::kAgentRevoked},
        Case{RevocationTarget::kUser, "alice", IdentityError::kUserRevoked}}) {
    RevocationIndex index;
    EXPECT_FALSE(index.Check(c, keys).has_value());
    index.Apply(k.target, k.value);
    EXPECT_EQ(index.Check(c, keys), k.expected) << k.value;
  }
}

TEST(RevocationIndexTest, UnrelatedRevocationsDoNotTouchTheToken) {
  TokenClaims c = Grandchild();
  RevocationKeys keys = RevocationIndex::KeysFor(c);
  RevocationIndex index;
  index.Apply(RevocationTarget::kToken, "t4");
  index.Apply(RevocationTarget::kTask, "t3");  // a task named like the token
  index.Apply(RevocationTarget::kUser, "spiffe://t/agent/c");
  index.Apply(RevocationTarget::kAgent, "alice");
  for (int i = 0; i < 5000; ++i)
    index.Apply(RevocationTarget::kToken, "other-" + std::to_string(i));
  EXPECT_FALSE(index.Check(c, keys).has_value());
  EXPECT_EQ(index.size(), 5004u);
  EXPECT_TRUE(index.IsRevoked(RevocationTarget::kToken, "other-4999"));
  EXPECT_FALSE(index.IsRevoked(RevocationTarget::kToken, "other-5000"));
  index.Apply(RevocationTarget::kToken, "t4");  // idempotent
  EXPECT_EQ(index.size(), 5004u);
}

TEST(RevocationIndexTest, LoadsFromTheStoreAndCatchesUpFromItsPosition) {
  auto dir = std::filesystem::temp_directory_path() / ("writ-revidx-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  store::SqliteOptions o;
  o.data_dir = dir.string();
  auto s = store::OpenSqliteStore(o);
  ASSERT_TRUE(s.ok());
  store::IdentityStore& ids = (*s)->identity();
  store::StoredRevocation r1{0, RevocationTarget::kTask, "task-1", "ended", 1};
  ASSERT_TRUE(ids.InsertRevocation(&r1).ok());
  RevocationIndex index;
  EXPECT_EQ(index.LoadFromStore(ids).value(), 1u);
  EXPECT_EQ(index.feed_position(), r1.id);
  store::StoredRevocation r2{0, RevocationTarget::kUser, "alice", "left", 2};
  ASSERT_TRUE(ids.InsertRevocation(&r2).ok());
  EXPECT_EQ(index.LoadFromStore(ids).value(), 1u);
  EXPECT_EQ(index.LoadFromStore(ids).value(), 0u);
  EXPECT_TRUE(index.IsRevoked(RevocationTarget::kUser, "alice"));
  EXPECT_EQ(index.feed_position(), r2.id);
  s->reset();
  std::filesystem::remove_all(dir);
}

// What another process stores (here: a second store handle on the same file, as `writ revoke`
// beside `writ serve`) is read by CatchUp once the last load is `max_age` old, not before.
TEST(RevocationIndexTest, CatchUpReadsWhatAnotherProcessStoredOnceTheLastLoadIsOld) {
  auto dir =
      std::filesystem::temp_directory_path() / ("writ-revidx-cu-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  store::SqliteOptions o;
  o.data_dir = dir.string();
  auto server = store::OpenSqliteStore(o);
  ASSERT_TRUE(server.ok());
  auto other = store::OpenSqliteStore(o);
  ASSERT_TRUE(other.ok());
  RevocationIndex index;
  ASSERT_TRUE(index.LoadFromStore((*server)->identity()).ok());

  store::StoredRevocation r{0, RevocationTarget::kTask, "task-9", "ended elsewhere", 1};
  ASSERT_TRUE((*other)->identity().InsertRevocation(&r).ok());
  constexpr int64_t kHour = 3600LL * 1000 * 1000;
  ASSERT_TRUE(index.CatchUp((*server)->identity(), kHour).ok());  // loaded just now: no read
  EXPECT_FALSE(index.IsRevoked(RevocationTarget::kTask, "task-9"));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(index.CatchUp((*server)->identity(), 1000).ok());  // 1 ms old: reads
  EXPECT_TRUE(index.IsRevoked(RevocationTarget::kTask, "task-9"));
  EXPECT_EQ(index.feed_position(), r.id);
  server->reset();
  other->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace writ::identity
