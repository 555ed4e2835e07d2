#include "service/form.h"

#include <gtest/gtest.h>

namespace writ::service {
namespace {

TEST(FormTest, DecodesPairs) {
  auto f = ParseForm("grant_type=urn%3Aietf%3Aparams&scope=a+b&empty=&flag");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->GetOr("grant_type"), "urn:ietf:params");
  EXPECT_EQ(f->GetOr("scope"), "a b");
  EXPECT_TRUE(f->Has("empty"));
  EXPECT_EQ(f->GetOr("empty"), "");
  EXPECT_TRUE(f->Has("flag"));
  EXPECT_FALSE(f->Has("missing"));
  EXPECT_EQ(f->size(), 4u);
}

TEST(FormTest, EncodesWhatItParses) {
  std::string body = EncodeForm({{"grant_type", "urn:ietf:params:oauth"},
                                 {"scope", "a b+c"},
                                 {"empty", ""},
                                 {"utf8", "caf\xc3\xa9&x=1"}});
  EXPECT_EQ(body,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth&scope=a%20b%2Bc&empty=&utf8=caf%C3%A9%26x%3D1");
  auto f = ParseForm(body);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->GetOr("scope"), "a b+c");
  EXPECT_EQ(f->GetOr("utf8"), "caf\xc3\xa9&x=1");
  EXPECT_EQ(f->size(), 4u);
}

TEST(FormTest, SkipsEmptyPairs) {
  auto f = ParseForm("&a=1&&b=2&");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 2u);
  EXPECT_EQ(f->GetOr("b"), "2");
  auto empty = ParseForm("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

TEST(FormTest, RefusesRepeatsBadEscapesAndBadUtf8) {
  auto repeated = ParseForm("token=a&token=b");
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.status().message().find("more than once"), std::string::npos);
  EXPECT_FALSE(ParseForm("a=%zz").ok());
  EXPECT_FALSE(ParseForm("a=%4").ok());
  EXPECT_FALSE(ParseForm("a=%ff%fe").ok());
  EXPECT_FALSE(ParseForm("=value").ok());
  EXPECT_FALSE(ParseForm("a=1&b=2&c=3", 2).ok());
}

TEST(FormTest, ContentType) {
  EXPECT_TRUE(IsFormContentType("application/x-www-form-urlencoded"));
  EXPECT_TRUE(IsFormContentType("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
  EXPECT_TRUE(IsFormContentType("application/x-www-form-urlencoded;charset=\"utf-8\""));
  EXPECT_FALSE(IsFormContentType("application/json"));
  EXPECT_FALSE(IsFormContentType(""));
  EXPECT_FALSE(IsFormContentType("application/x-www-form-urlencoded; charset=latin1"));
  EXPECT_FALSE(IsFormContentType("application/x-www-form-urlencoded; boundary"));
}

}  // namespace
}  // namespace writ::service
