#include "server/api_keys.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "store/sqlite_store.h"

namespace writ::server {
namespace {

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-server-apikeys-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::SqliteOptions o;
    o.data_dir = dir_.string();
    auto s = store::OpenSqliteStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  store::ApiKeyStore& keys() { return store_->api_keys(); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{1'700'000'000'000'000};
};

TEST_F(ApiKeysTest, CreatedKeyHasTheDocumentedShapeAndOnlyItsHashIsStored) {
  auto issued = CreateApiKey(keys(), "ci-bot", Role::kApprover, clock_);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->key.size(), 63u);
  EXPECT_EQ(issued->key.substr(0, 3), "wk_");
  EXPECT_EQ(ApiKeyId(issued->key), issued->id);
  EXPECT_EQ(issued->created_us, clock_.NowMicros());
  auto stored = keys().GetApiKey(issued->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->name, "ci-bot");
  EXPECT_EQ((*stored)->role, "approver");
  EXPECT_EQ((*stored)->key_hash, std::string(DigestBytes(Sha256(issued->key))));
  // The secret part appears nowhere in the stored row.
  std::string secret = issued->key.substr(20);
  for (const std::string& field : {(*stored)->id, (*stored)->name, (*stored)->key_hash}) {
    EXPECT_EQ(field.find(secret), std::string::npos);
  }
}

TEST_F(ApiKeysTest, KeysAreDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto k = CreateApiKey(keys(), "k" + std::to_string(i), Role::kViewer, clock_);
    ASSERT_TRUE(k.ok());
    EXPECT_TRUE(seen.insert(k->key).second);
  }
}

TEST_F(ApiKeysTest, NamesAreCheckedAndUniqueAmongActiveKeys) {
  EXPECT_EQ(CreateApiKey(keys(), "", Role::kViewer, clock_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateApiKey(keys(), "has space", Role::kViewer, clock_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateApiKey(keys(), std::string(65, 'a'), Role::kViewer, clock_).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(CreateApiKey(keys(), "ops@team.example", Role::kAdmin, clock_).ok());
  auto dup = CreateApiKey(keys(), "ops@team.example", Role::kViewer, clock_);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message().substr(0, 10), "name_taken");
  auto all = keys().ListApiKeys();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(ApiKeysTest, ApiKeyIdRejectsAnythingNotShapedLikeAKey) {
  auto k = CreateApiKey(keys(), "x", Role::kViewer, clock_);
  ASSERT_TRUE(k.ok());
  std::string key = k->key;
  EXPECT_FALSE(ApiKeyId(key).empty());
  EXPECT_TRUE(ApiKeyId(key.substr(0, 62)).empty());
  EXPECT_TRUE(ApiKeyId(key + "a").empty());
  std::string upper = key;
  upper[4] = 'A';
  EXPECT_TRUE(ApiKeyId(upper).empty());
  std::string bad_secret = key;
  bad_secret[40] = '.';
  EXPECT_TRUE(ApiKeyId(bad_secret).empty());
  EXPECT_TRUE(ApiKeyId("eyJhbGciOiJFZERTQSJ9.e30.sig").empty());
}

TEST_F(ApiKeysTest, AuthenticatesTheKeyAndOnlyTheKey) {
  auto k = CreateApiKey(keys(), "viewer-1", Role::kViewer, clock_);
  ASSERT_TRUE(k.ok());
  ApiKeyAuthenticator auth(keys());
  auto caller = auth.Authenticate(k->key);
  ASSERT_TRUE(caller.ok()) << caller.error().message;
  EXPECT_EQ(caller->kind, CallerKind::kApiKey);
  EXPECT_EQ(caller->id, k->id);
  EXPECT_EQ(caller->name, "viewer-1");
  EXPECT_EQ(caller->role, Role::kViewer);

  // Same id, different secret.
  std::string forged = k->key;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  auto refused = auth.Authenticate(forged);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().status, 401);
  EXPECT_EQ(refused.error().code, "invalid_api_key");
  EXPECT_EQ(refused.error().message.find(forged), std::string::npos);
  EXPECT_EQ(auth.Authenticate("wk_garbage").error().code, "invalid_api_key");
}

TEST_F(ApiKeysTest, KeyCreatedAfterTheCopyWasLoadedWorksAtOnce) {
  ApiKeyAuthenticator::Options o;
  o.refresh_interval = std::chrono::hours(1);
  o.miss_reload_interval = std::chrono::milliseconds(0);
  ApiKeyAuthenticator auth(keys(), o);
  ASSERT_TRUE(auth.Reload().ok());
  auto k = CreateApiKey(keys(), "late", Role::kAdmin, clock_);
  ASSERT_TRUE(k.ok());
  auto caller = auth.Authenticate(k->key);
  ASSERT_TRUE(caller.ok()) << caller.error().message;
  EXPECT_EQ(caller->role, Role::kAdmin);
}

TEST_F(ApiKeysTest, RevocationTakesEffectWithinTheRefreshInterval) {
  auto k = CreateApiKey(keys(), "soon-gone", Role::kAdmin, clock_);
  ASSERT_TRUE(k.ok());
  ApiKeyAuthenticator::Options o;
  o.refresh_interval = std::chrono::milliseconds(50);
  ApiKeyAuthenticator auth(keys(), o);
  ASSERT_TRUE(auth.Authenticate(k->key).ok());
  auto revoked = RevokeApiKey(keys(), "soon-gone", clock_);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->id, k->id);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  auto refused = auth.Authenticate(k->key);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "api_key_revoked");
  EXPECT_EQ(RevokeApiKey(keys(), "soon-gone", clock_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(RevokeApiKey(keys(), k->id, clock_).status().code(), StatusCode::kNotFound);
}

TEST_F(ApiKeysTest, RevokeByIdLeavesOtherKeysAlone) {
  auto a = CreateApiKey(keys(), "a", Role::kViewer, clock_);
  auto b = CreateApiKey(keys(), "b", Role::kViewer, clock_);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(RevokeApiKey(keys(), a->id, clock_).ok());
  ApiKeyAuthenticator auth(keys());
  EXPECT_EQ(auth.Authenticate(a->key).error().code, "api_key_revoked");
  EXPECT_TRUE(auth.Authenticate(b->key).ok());
}

TEST_F(ApiKeysTest, ConcurrentAuthenticationAgreesWithTheStore) {
  auto k = CreateApiKey(keys(), "busy", Role::kViewer, clock_);
  ASSERT_TRUE(k.ok());
  ApiKeyAuthenticator::Options o;
  o.refresh_interval = std::chrono::milliseconds(1);
  ApiKeyAuthenticator auth(keys(), o);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        if (auth.Authenticate(k->key).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1200);
}

}  // namespace
}  // namespace writ::server
