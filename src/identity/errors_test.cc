#include "identity/errors.h"

#include <gtest/gtest.h>

#include <set>

namespace writ::identity {
namespace {

TEST(IdentityErrorsTest, EveryCodeHasOneDistinctNameThatRoundTrips) {
  std::set<std::string_view> names;
  for (int i = 0; i < kIdentityErrorCount; ++i) {
    auto e = static_cast<IdentityError>(i);
    std::string_view name = IdentityErrorName(e);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ParseIdentityErrorName(name), e);
    Status s = IdentityFailure(e, "why");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message(), std::string(name) + ": why");
    EXPECT_EQ(IdentityErrorOf(s), e);
  }
  EXPECT_EQ(IdentityErrorName(IdentityError::kJwksUnavailable), "jwks_unavailable");
}

TEST(IdentityErrorsTest, StatusCodesSayWhatKindOfFailure) {
  EXPECT_EQ(IdentityFailure(IdentityError::kTokenMalformed, "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IdentityFailure(IdentityError::kExpired, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(IdentityFailure(IdentityError::kJwksUnavailable, "x").code(), StatusCode::kUnavailable);
}

TEST(IdentityErrorsTest, OtherStatusesHaveNoIdentityCode) {
  EXPECT_FALSE(IdentityErrorOf(Status::Ok()).has_value());
  EXPECT_FALSE(IdentityErrorOf(InvalidArgument("plain")).has_value());
  // The right name with the wrong StatusCode is not an identity failure.
  EXPECT_FALSE(IdentityErrorOf(InvalidArgument("token_expired: x")).has_value());
}

}  // namespace
}  // namespace writ::identity
