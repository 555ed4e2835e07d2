#include "server/request.h"

#include <gtest/gtest.h>

#include "server/json_body.h"

namespace writ::server {
namespace {

TEST(RequestTest, SplitsTargetIntoPathAndDecodedQuery) {
  Request r;
  ASSERT_TRUE(r.set_target("/v1/decisions?agent=a%2Fb&verdict=deny&q=two+words&flag&=x").ok());
  EXPECT_EQ(r.path(), "/v1/decisions");
  EXPECT_EQ(r.query(), "agent=a%2Fb&verdict=deny&q=two+words&flag&=x");
  EXPECT_EQ(r.query_param("agent").value(), "a/b");
  EXPECT_EQ(r.query_param("q").value(), "two words");
  EXPECT_EQ(r.query_param("flag").value(), "");
  EXPECT_FALSE(r.query_param("missing").has_value());
  EXPECT_EQ(r.query_param_count(), 5u);
  EXPECT_EQ(r.query_param_at(4).first, "");
  EXPECT_EQ(r.query_param_at(4).second, "x");
}

TEST(RequestTest, AcceptsAbsoluteFormAndAsterisk) {
  Request r;
  ASSERT_TRUE(r.set_target("http://writ.example:8080/healthz?x=1").ok());
  EXPECT_EQ(r.path(), "/healthz");
  EXPECT_EQ(r.query_param("x").value(), "1");
  ASSERT_TRUE(r.set_target("HTTPS://host").ok());
  EXPECT_EQ(r.path(), "/");
  ASSERT_TRUE(r.set_target("*").ok());
  EXPECT_EQ(r.path(), "*");
}

TEST(RequestTest, RefusesBadTargetsAndEscapes) {
  Request r;
  EXPECT_FALSE(r.set_target("healthz").ok());
  EXPECT_FALSE(r.set_target("").ok());
  EXPECT_FALSE(r.set_target("/x?a=%zz").ok());
  EXPECT_FALSE(r.set_target("/x?a=%4").ok());
  EXPECT_FALSE(r.set_target("/x?a=%ff").ok());  // decodes to invalid UTF-8
  EXPECT_EQ(r.query_param_count(), 0u);
}

TEST(RequestTest, PathParamsAreDecodedAndChecked) {
  Request r;
  ASSERT_TRUE(r.AddPathParam("id", "a%20b%2Fc").ok());
  EXPECT_EQ(r.path_param("id").value(), "a b/c");
  EXPECT_FALSE(r.path_param("other").has_value());
  EXPECT_FALSE(r.AddPathParam("x", "%").ok());
  EXPECT_FALSE(r.AddPathParam("x", "%c3").ok());
  EXPECT_FALSE(r.path_param("x").has_value());
  EXPECT_TRUE(r.AddPathParam("x", "plus+stays").ok());
  EXPECT_EQ(r.path_param("x").value(), "plus+stays");
}

TEST(RequestTest, HeadersAreCaseInsensitiveAndResetKeepsNothing) {
  Request r;
  r.AddHeader("Content-Type", "application/json");
  r.AddHeader("X-Twice", "1");
  r.AddHeader("x-twice", "2");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("X-TWICE"), "1");
  EXPECT_TRUE(r.has_header("x-twice"));
  EXPECT_FALSE(r.has_header("Authorization"));
  EXPECT_EQ(r.header("Authorization"), "");
  r.mutable_body() = "body";
  r.mutable_caller().kind = CallerKind::kApiKey;
  r.mutable_caller().credential = 5;
  ASSERT_TRUE(r.set_target("/a?b=c").ok());
  r.Reset();
  EXPECT_EQ(r.header_count(), 0u);
  EXPECT_EQ(r.header("content-type"), "");
  EXPECT_EQ(r.body(), "");
  EXPECT_EQ(r.caller().kind, CallerKind::kAnonymous);
  EXPECT_FALSE(r.caller().credential.has_value());
  EXPECT_EQ(r.query_param_count(), 0u);
  EXPECT_EQ(r.json_limits().max_depth, JsonLimits{}.max_depth);
}

TEST(PercentDecodeTest, DecodesAndRejects) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%41%62+c", false, &out));
  EXPECT_EQ(out, "aAb+c");
  EXPECT_TRUE(PercentDecode("a+c", true, &out));
  EXPECT_EQ(out, "a c");
  EXPECT_FALSE(PercentDecode("%", false, &out));
  EXPECT_FALSE(PercentDecode("%a", false, &out));
  EXPECT_FALSE(PercentDecode("%ag", false, &out));
}

}  // namespace
}  // namespace writ::server
