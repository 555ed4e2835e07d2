#include "identity/jws_policy.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "identity/errors.h"

namespace writ::identity {
namespace {

std::optional<IdentityError> HeaderCode(const std::string& header) {
  return IdentityErrorOf(
      CheckJwsHeader(header, {JwsAlgorithm::kEdDSA, JwsAlgorithm::kES256}, true).status());
}

TEST(JwsPolicyTest, HeaderRules) {
  EXPECT_TRUE(
      CheckJwsHeader("{\"alg\":\"EdDSA\",\"kid\":\"k-1.a_b\"}", {JwsAlgorithm::kEdDSA}, true).ok());
  EXPECT_EQ(HeaderCode("{\"alg\":\"none\",\"kid\":\"k\"}"), IdentityError::kAlgorithmNone);
  EXPECT_EQ(HeaderCode("{\"alg\":\"NoNe\",\"kid\":\"k\"}"), IdentityError::kAlgorithmNone);
  EXPECT_EQ(HeaderCode("{\"alg\":\"HS256\",\"kid\":\"k\"}"), IdentityError::kAlgorithmNotAllowed);
  EXPECT_EQ(HeaderCode("{\"alg\":\"RS256\",\"kid\":\"k\"}"), IdentityError::kAlgorithmNotAllowed);
  EXPECT_EQ(HeaderCode("{\"kid\":\"k\"}"), IdentityError::kTokenMalformed);
  EXPECT_EQ(HeaderCode("not json"), IdentityError::kTokenMalformed);
  EXPECT_EQ(HeaderCode("{\"alg\":\"EdDSA\"}"), IdentityError::kKeyIdInvalid);
  EXPECT_EQ(HeaderCode("{\"alg\":\"EdDSA\",\"kid\":\"../../etc/passwd\"}"),
            IdentityError::kKeyIdInvalid);
  EXPECT_EQ(HeaderCode("{\"alg\":\"EdDSA\",\"kid\":\"1' OR '1'='1\"}"),
            IdentityError::kKeyIdInvalid);
  EXPECT_EQ(HeaderCode("{\"alg\":\"EdDSA\",\"kid\":7}"), IdentityError::kKeyIdInvalid);
  EXPECT_EQ(HeaderCode("{\"alg\":\"EdDSA\",\"kid\":\"k\",\"crit\":[\"exp\"]}"),
            IdentityError::kHeaderUnsupported);
  // Key-carrying headers are ignored, not trusted and not an error by themselves.
  auto h = CheckJwsHeader(
      "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"jku\":\"http://x\",\"x5u\":\"http://y\",\"jwk\":{}}",
      {JwsAlgorithm::kEdDSA}, true);
  EXPECT_TRUE(h.ok());
}

TEST(JwsPolicyTest, TimesAndAudiences) {
  EXPECT_TRUE(CheckTimes(100, 50, 50, 99, 0).ok());
  EXPECT_EQ(IdentityErrorOf(CheckTimes(100, std::nullopt, std::nullopt, 100, 0)),
            IdentityError::kExpired);
  EXPECT_TRUE(CheckTimes(100, std::nullopt, std::nullopt, 109, 10).ok());
  EXPECT_EQ(IdentityErrorOf(CheckTimes(200, 150, std::nullopt, 100, 10)),
            IdentityError::kNotYetValid);
  EXPECT_TRUE(CheckTimes(200, 105, std::nullopt, 100, 10).ok());
  boost::json::object c{{"aud", boost::json::array{"a", "b"}}};
  EXPECT_TRUE(AudienceContains(c, "b"));
  EXPECT_FALSE(AudienceContains(c, "c"));
  std::optional<int64_t> t;
  boost::json::object d{{"exp", 1.5}, {"bad", "x"}};
  EXPECT_TRUE(ReadNumericDate(d, "exp", &t).ok());
  EXPECT_EQ(t, 1);
  EXPECT_FALSE(ReadNumericDate(d, "bad", &t).ok());
  EXPECT_TRUE(ReadNumericDate(d, "none", &t).ok());
  EXPECT_FALSE(t.has_value());
}

}  // namespace
}  // namespace writ::identity
