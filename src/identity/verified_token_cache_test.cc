#include "identity/verified_token_cache.h"

#include <gtest/gtest.h>

#include "identity/token_service.h"

namespace writ::identity {
namespace {

std::shared_ptr<const VerifiedToken> Token(const std::string& jti) {
  auto t = std::make_shared<VerifiedToken>();
  t->claims.token_id = jti;
  return t;
}

TEST(VerifiedTokenCacheTest, EntriesExpireAndCapacityIsBounded) {
  VerifiedTokenCache cache(64);
  Digest a = Sha256("a");
  cache.Insert(a, Token("a"), /*valid_until_us=*/100, /*now_us=*/0);
  ASSERT_NE(cache.Find(a, 99), nullptr);
  EXPECT_EQ(cache.Find(a, 99)->claims.token_id, "a");
  EXPECT_EQ(cache.Find(a, 100), nullptr);  // never served past its end
  EXPECT_EQ(cache.Find(a, 50), nullptr);   // and dropped once seen expired
  EXPECT_EQ(cache.Find(Sha256("b"), 0), nullptr);
  for (int i = 0; i < 10000; ++i) {
    cache.Insert(Sha256(std::to_string(i)), Token(std::to_string(i)), 1000, 0);
  }
  EXPECT_LE(cache.size(), 64u);
  // The newest entries are kept.
  EXPECT_NE(cache.Find(Sha256("9999"), 1), nullptr);
}

}  // namespace
}  // namespace writ::identity
