#include "store/sqlite_api_key_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "store/api_key_store.h"
#include "store/sqlite_store.h"

namespace writ::store {
namespace {

class ApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-apikeys-" + std::to_string(::getpid()) + "-" +
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
  ApiKeyStore& keys() { return store_->api_keys(); }

  static StoredApiKey Key(std::string id, std::string name, std::string role = "viewer",
                          int64_t created = 10) {
    StoredApiKey k;
    k.id = std::move(id);
    k.name = std::move(name);
    k.role = std::move(role);
    k.key_hash = std::string(32, '\x01');
    k.key_hash[0] = '\0';  // the hash is bytes, not text
    k.created_us = created;
    return k;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ApiKeyStoreTest, InsertThenGetReturnsEveryField) {
  ASSERT_TRUE(keys().InsertApiKey(Key("k1", "ci", "admin", 42)).ok());
  auto got = keys().GetApiKey("k1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  const StoredApiKey& k = **got;
  EXPECT_EQ(k.id, "k1");
  EXPECT_EQ(k.name, "ci");
  EXPECT_EQ(k.role, "admin");
  EXPECT_EQ(k.key_hash, Key("x", "y").key_hash);
  EXPECT_EQ(k.key_hash.size(), 32u);
  EXPECT_EQ(k.created_us, 42);
  EXPECT_EQ(k.revoked_us, 0);
}

TEST_F(ApiKeyStoreTest, MissingKeyIsEmpty) {
  auto got = keys().GetApiKey("nope");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(ApiKeyStoreTest, DuplicateIdOrActiveNameIsRefusedAndChangesNothing) {
  ASSERT_TRUE(keys().InsertApiKey(Key("k1", "ci")).ok());
  Status dup_id = keys().InsertApiKey(Key("k1", "other"));
  EXPECT_EQ(dup_id.code(), StatusCode::kAlreadyExists);
  Status dup_name = keys().InsertApiKey(Key("k2", "ci"));
  EXPECT_EQ(dup_name.code(), StatusCode::kAlreadyExists);
  auto all = keys().ListApiKeys();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "ci");
}

TEST_F(ApiKeyStoreTest, NameIsFreeAgainOnceItsKeyIsRevoked) {
  ASSERT_TRUE(keys().InsertApiKey(Key("k1", "ci")).ok());
  ASSERT_TRUE(keys().RevokeApiKey("k1", 99).ok());
  EXPECT_TRUE(keys().InsertApiKey(Key("k2", "ci", "viewer", 11)).ok());
  auto all = keys().ListApiKeys();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "k1");
  EXPECT_EQ((*all)[0].revoked_us, 99);
  EXPECT_EQ((*all)[1].id, "k2");
  EXPECT_EQ((*all)[1].revoked_us, 0);
}

TEST_F(ApiKeyStoreTest, RevokeTellsMissingFromAlreadyRevoked) {
  EXPECT_EQ(keys().RevokeApiKey("ghost", 1).code(), StatusCode::kNotFound);
  ASSERT_TRUE(keys().InsertApiKey(Key("k1", "ci")).ok());
  ASSERT_TRUE(keys().RevokeApiKey("k1", 5).ok());
  EXPECT_EQ(keys().RevokeApiKey("k1", 6).code(), StatusCode::kFailedPrecondition);
  auto got = keys().GetApiKey("k1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->revoked_us, 5);  // the first revocation time stays
}

TEST_F(ApiKeyStoreTest, KeysSurviveReopenAndReadOnlyStoreRefusesWrites) {
  ASSERT_TRUE(keys().InsertApiKey(Key("k1", "ci", "approver")).ok());
  Open(/*read_only=*/true);
  auto got = keys().GetApiKey("k1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->role, "approver");
  EXPECT_EQ(keys().InsertApiKey(Key("k2", "x")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys().RevokeApiKey("k1", 1).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace writ::store
