#include "server/json_body.h"

#include <gtest/gtest.h>

#include <string>

namespace writ::server {
namespace {

std::string Code(const ApiResult<boost::json::value>& r) {
  return r.ok() ? "ok" : r.error().code;
}

class JsonBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    limits_.max_depth = 4;
    limits_.max_string_bytes = 8;
  }
  const Request& Body(std::string body, std::string content_type = "application/json") {
    req_.Reset();
    if (!content_type.empty()) req_.AddHeader("Content-Type", content_type);
    req_.mutable_body() = std::move(body);
    req_.set_json_limits(&limits_);
    return req_;
  }
  JsonLimits limits_;
  Request req_;
};

TEST_F(JsonBodyTest, AcceptsAnObjectWithDeclaredFields) {
  auto r = ParseJsonBody(Body(R"({"name":"ci","role":"admin"})"), {"name", "role"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->at("name").as_string(), "ci");
}

TEST_F(JsonBodyTest, ContentTypeMustBeJson) {
  EXPECT_EQ(Code(ParseJsonBody(Body("{}", ""))), "unsupported_media_type");
  EXPECT_EQ(Code(ParseJsonBody(Body("{}", "text/plain"))), "unsupported_media_type");
  EXPECT_EQ(Code(ParseJsonBody(Body("{}", "application/json; charset=latin1"))),
            "unsupported_media_type");
  EXPECT_EQ(ParseJsonBody(Body("{}", "text/plain")).error().status, 415);
  EXPECT_EQ(Code(ParseJsonBody(Body("{}", "Application/JSON; Charset=\"UTF-8\""))), "ok");
  EXPECT_EQ(Code(ParseJsonBody(Body("{}", "application/problem+json"))), "ok");
}

TEST_F(JsonBodyTest, EachBadBodyHasItsCode) {
  EXPECT_EQ(Code(ParseJsonBody(Body(""))), "empty_body");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"a\":\"\xff\"}"))), "invalid_utf8");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"a\":\"\xc0\xaf\"}"))), "invalid_utf8");  // overlong '/'
  EXPECT_EQ(Code(ParseJsonBody(Body("[[[[[1]]]]]"))), "json_too_deep");
  EXPECT_EQ(Code(ParseJsonBody(Body("[[[[1]]]]"))), "ok");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"a\":1,}"))), "malformed_json");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"a\":1} x"))), "malformed_json");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"a\":1} \n"))), "ok");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"a\":1"))), "malformed_json");
  EXPECT_EQ(Code(ParseJsonBody(Body("// c\n{}"))), "malformed_json");
  EXPECT_EQ(Code(ParseJsonBody(Body("\"123456789\""))), "json_string_too_long");
  EXPECT_EQ(Code(ParseJsonBody(Body("\"12345678\""))), "ok");
  EXPECT_EQ(Code(ParseJsonBody(Body("{\"123456789\":1}"))), "json_string_too_long");
  // Escapes count after unescaping: 8 bytes.
  EXPECT_EQ(Code(ParseJsonBody(Body(R"("\u00e9\u00e9\u00e9\u00e9")"))), "ok");
  EXPECT_EQ(Code(ParseJsonBody(Body(R"({"a":1,"b":{"a":2},"a":3})"))), "duplicate_field");
  EXPECT_EQ(Code(ParseJsonBody(Body(R"({"a":1,"b":{"a":2}})"))), "ok");
  EXPECT_EQ(Code(ParseJsonBody(Body(R"([1,2])"), {"a"})), "not_an_object");
  EXPECT_EQ(Code(ParseJsonBody(Body(R"({"a":1,"zz":2})"), {"a"})), "unknown_field");
  EXPECT_EQ(Code(ParseJsonBody(Body(R"({"a":1,"zz":2})"))), "ok");  // no field list: any
}

TEST_F(JsonBodyTest, LoneSurrogateEscapeIsRefused) {
  auto r = ParseJsonText(R"(["\ud800"])", JsonLimits{});
  // Either refused, or (never) accepted as invalid text: it must not produce invalid UTF-8.
  if (r.ok()) {
    EXPECT_TRUE(IsValidUtf8(r->as_array()[0].as_string()));
  } else {
    EXPECT_EQ(r.error().code, "malformed_json");
  }
}

TEST_F(JsonBodyTest, ErrorsAre400ExceptContentType) {
  for (const char* body : {"", "[", "\xff", "[[[[[[]]]]]]"}) {
    auto r = ParseJsonBody(Body(body));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 400) << body;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST_F(JsonBodyTest, CheckFieldsNamesTheObject) {
  boost::json::object o{{"x", 1}, {"y", 2}};
  std::string_view fields[] = {"x"};
  auto e = CheckFields(o, fields, "`context`");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "unknown_field");
  EXPECT_NE(e->message.find("`context`"), std::string::npos);
  EXPECT_NE(e->message.find("`y`"), std::string::npos);
  std::string_view both[] = {"x", "y"};
  EXPECT_FALSE(CheckFields(o, both, "o").has_value());
}

TEST(Utf8Test, FollowsRfc3629) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9"));           // é
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));       // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));   // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("abcdefgh\xc3"));      // truncated after the fast path
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xf0\x80\x80\xaf"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));  // bad continuation
}

}  // namespace
}  // namespace writ::server
