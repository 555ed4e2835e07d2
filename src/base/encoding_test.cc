#include "base/encoding.h"

#include <gtest/gtest.h>

namespace writ {
namespace {

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  auto d = HexDecode("0001ABff");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::string("\x00\x01\xab\xff", 4));
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
  EXPECT_EQ(HexDecode("0g").status().code(), StatusCode::kInvalidArgument);
}

// RFC 4648 §10 test vectors.
TEST(EncodingTest, Base64Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  const char* url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(plain[i]), b64[i]);
    EXPECT_EQ(Base64UrlEncode(plain[i]), url[i]);
    auto d = Base64Decode(b64[i]);
    ASSERT_TRUE(d.ok()) << b64[i];
    EXPECT_EQ(*d, plain[i]);
    auto u = Base64UrlDecode(url[i]);
    ASSERT_TRUE(u.ok()) << url[i];
    EXPECT_EQ(*u, plain[i]);
  }
}

TEST(EncodingTest, AlphabetsDiffer) {
  std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_FALSE(Base64Decode("-_-_").ok());
  EXPECT_FALSE(Base64UrlDecode("+/+/").ok());
}

TEST(EncodingTest, StrictDecoding) {
  EXPECT_FALSE(Base64Decode("Zg=").ok());     // wrong length
  EXPECT_FALSE(Base64Decode("Zh==").ok());    // non-zero trailing bits
  EXPECT_FALSE(Base64Decode("Zm9v\n").ok());  // whitespace
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok());  // padding in base64url
  EXPECT_FALSE(Base64UrlDecode("Z").ok());
}

TEST(EncodingTest, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string s = all.substr(0, n);
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), s);
    EXPECT_EQ(*HexDecode(HexEncode(s)), s);
  }
}

}  // namespace
}  // namespace writ
