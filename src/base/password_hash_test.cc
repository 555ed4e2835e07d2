#include "base/password_hash.h"

#include <gtest/gtest.h>

namespace writ {
namespace {

TEST(PasswordHashTest, HashesAreSaltedArgon2idAndVerify) {
  auto a = HashPassword("correct horse", MinimumPasswordHashCost());
  auto b = HashPassword("correct horse", MinimumPasswordHashCost());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find("correct horse"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*a, "correct horse"));
  EXPECT_TRUE(VerifyPassword(*b, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*a, "correct horsE"));
  EXPECT_FALSE(VerifyPassword(*a, ""));
}

TEST(PasswordHashTest, BadInputs) {
  EXPECT_EQ(HashPassword("", MinimumPasswordHashCost()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HashPassword("x", PasswordHashCost{0, 1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA", "x"));
  EXPECT_FALSE(VerifyPassword(std::string(500, 'a'), "x"));
}

}  // namespace
}  // namespace writ
