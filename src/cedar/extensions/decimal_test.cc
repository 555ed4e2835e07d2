#include "cedar/extensions/decimal.h"

#include <gtest/gtest.h>

#include <string>

namespace cedar {
namespace {

int64_t Raw(std::string_view text) {
  auto d = Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.error().message);
  return d.ok() ? d->raw : -1;
}

std::string ErrorOf(std::string_view text) {
  auto d = Decimal::Parse(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->raw : 0);
  return d.ok() ? "" : d.error().message;
}

TEST(DecimalTest, ParsesScaledValues) {
  EXPECT_EQ(Raw("1.0"), 10000);
  EXPECT_EQ(Raw("-1.0"), -10000);
  EXPECT_EQ(Raw("123.456"), 1234560);
  EXPECT_EQ(Raw("0.1234"), 1234);
  EXPECT_EQ(Raw("-0.0123"), -123);
  EXPECT_EQ(Raw("55.1"), 551000);
  EXPECT_EQ(Raw("1.2345"), 12345);
  EXPECT_EQ(Raw("-0.0001"), -1);
  EXPECT_EQ(Raw("0.0001"), 1);
  EXPECT_EQ(Raw("12345.1234"), 123451234);
}

TEST(DecimalTest, LeadingZerosAndNegativeZero) {
  EXPECT_EQ(Raw("00.000"), 0);
  EXPECT_EQ(Raw("001.5"), 15000);
  EXPECT_EQ(Raw("-001.5"), -15000);
  EXPECT_EQ(Raw("-0.0"), 0);
  EXPECT_EQ(Raw("00000000000000000000001.0"), 10000);
  EXPECT_EQ(Raw("-00000000000000000000000.0"), 0);
  EXPECT_EQ(Raw("0922337203685477.5807"), INT64_MAX);
  EXPECT_EQ(Decimal::Parse("-0.0").value(), Decimal::Parse("0.0").value());
}

TEST(DecimalTest, I64Bounds) {
  EXPECT_EQ(Raw("922337203685477.5807"), INT64_MAX);
  EXPECT_EQ(Raw("-922337203685477.5808"), INT64_MIN);
  EXPECT_EQ(Raw("922337203685477.58"), INT64_MAX - 7);
  EXPECT_EQ(Raw("-922337203685477.0"), INT64_MIN + 5808);
}

TEST(DecimalTest, Overflow) {
  for (const char* text :
       {"922337203685477.5808", "-922337203685477.5809", "1000000000000000.0",
        "-1000000000000000.0", "922337203685478.0", "99999999999999999999.0",
        "18446744073709551616.0", "99999999999999999999.12345", "1000000000000000.12345"}) {
    std::string message = ErrorOf(text);
    EXPECT_NE(message.find("out of range"), std::string::npos) << text << ": " << message;
  }
}

TEST(DecimalTest, TooManyFractionDigits) {
  EXPECT_EQ(ErrorOf("1.23456"),
            "too many digits after the decimal point in `1.23456`: at most 4 are supported");
  for (const char* text :
       {"0.12345", "0.12340", "1.00000", "922337203685477.58070", "-922337203685477.58080"}) {
    std::string message = ErrorOf(text);
    EXPECT_NE(message.find("too many digits"), std::string::npos) << text << ": " << message;
  }
}

TEST(DecimalTest, Malformed) {
  for (const char* text :
       {"1.",    ".5",       "+1.0",  " 1.0",  "1.0 ",
        "1 .0",  "1.0.",     "1234",  "1.a",   "-.",
        "-",     "",         ".",     "--1.0", "-1.-0",
        "1.+0",  "0x1.0",    "1e2.0", "1.0e2", "1,5",
        "1_0.5", "1.23456a", "- 1.0", "1.0\n", "\xd9\xa1.\xd9\xa0" /* Arabic-Indic digits */}) {
    std::string message = ErrorOf(text);
    EXPECT_NE(message.find("not a well-formed decimal"), std::string::npos)
        << text << ": " << message;
  }
}

TEST(DecimalTest, ErrorsAreEvaluationErrors) {
  auto d = Decimal::Parse("1.");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kEvaluation);
  EXPECT_NE(d.error().message.find("`1.`"), std::string::npos);
}

TEST(DecimalTest, Ordering) {
  auto d = [](std::string_view s) { return Decimal::Parse(s).value(); };
  EXPECT_LT(d("-0.0001"), d("0.0"));
  EXPECT_GT(d("1.5"), d("1.4999"));
  EXPECT_LE(d("-1.5"), d("-1.5"));
  EXPECT_FALSE(d("-1.5") >= d("-1.4"));
  EXPECT_LT(d("-922337203685477.5808"), d("-922337203685477.5807"));
  EXPECT_EQ(d("1.0"), d("1.00"));
  EXPECT_NE(d("1.0"), d("-1.0"));
}

TEST(DecimalTest, ToStringIsShortest) {
  auto str = [](std::string_view s) { return Decimal::Parse(s).value().ToString(); };
  EXPECT_EQ(str("1.5000"), "1.5");
  EXPECT_EQ(str("-0.0001"), "-0.0001");
  EXPECT_EQ(str("3.0"), "3.0");
  EXPECT_EQ(str("-0.0"), "0.0");
  EXPECT_EQ(str("001.05"), "1.05");
  EXPECT_EQ(str("-12.3400"), "-12.34");
  EXPECT_EQ(str("922337203685477.5807"), "922337203685477.5807");
  EXPECT_EQ(str("-922337203685477.5808"), "-922337203685477.5808");
  EXPECT_EQ(Decimal{-5}.ToString(), "-0.0005");
  EXPECT_EQ(Decimal{10}.ToString(), "0.001");
}

TEST(DecimalTest, ToStringParsesBack) {
  for (int64_t raw : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{9999}, int64_t{-10000},
                      int64_t{123456789}, INT64_MAX, INT64_MIN, INT64_MIN + 1}) {
    Decimal d{raw};
    auto back = Decimal::Parse(d.ToString());
    ASSERT_TRUE(back.ok()) << d.ToString();
    EXPECT_EQ(back->raw, raw) << d.ToString();
  }
}

}  // namespace
}  // namespace cedar
