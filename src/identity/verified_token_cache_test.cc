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

TEST(VerifiedTokenCacheTest, HitsOnlyTheExactBytesUntilTheirEnd) {
  VerifiedTokenCache cache(64);
  const std::string token = "aGVhZGVy.Y2xhaW1z.c2lnbmF0dXJlLWJ5dGVz";
  cache.Insert(token, Token("a"), /*valid_until_us=*/100, /*now_us=*/0);
  ASSERT_NE(cache.Find(token, 99), nullptr);
  EXPECT_EQ(cache.Find(token, 99)->claims.token_id, "a");
  // Same signature, other claims; same claims, other signature; no signature: all misses.
  EXPECT_EQ(cache.Find("aGVhZGVy.Y2xhaW1T.c2lnbmF0dXJlLWJ5dGVz", 99), nullptr);
  EXPECT_EQ(cache.Find("aGVhZGVy.Y2xhaW1z.c2lnbmF0dXJlLWJ5dGVZ", 99), nullptr);
  EXPECT_EQ(cache.Find("aGVhZGVy.Y2xhaW1z.", 99), nullptr);
  EXPECT_EQ(cache.Find("aGVhZGVy", 99), nullptr);
  EXPECT_EQ(cache.Find(token, 100), nullptr);  // never served past its end
  EXPECT_EQ(cache.Find(token, 50), nullptr);   // and dropped once seen expired
}

TEST(VerifiedTokenCacheTest, CapacityIsBoundedAndKeepsTheNewest) {
  VerifiedTokenCache cache(64);
  for (int i = 0; i < 10000; ++i) {
    std::string t = "h.c." + std::to_string(i);
    cache.Insert(t, Token(std::to_string(i)), 1000, 0);
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_NE(cache.Find("h.c.9999", 1), nullptr);
}

}  // namespace
}  // namespace writ::identity
