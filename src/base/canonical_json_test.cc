#include "base/canonical_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace writ {
namespace {

double FromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical serialisation.
TEST(CanonicalJsonTest, Rfc8785NumberVectors) {
  struct {
    uint64_t bits;
    const char* want;
  } vectors[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& v : vectors) {
    auto s = FormatJsonNumber(FromBits(v.bits));
    ASSERT_TRUE(s.ok()) << std::hex << v.bits;
    EXPECT_EQ(*s, v.want) << std::hex << v.bits;
  }
  EXPECT_FALSE(FormatJsonNumber(FromBits(0x7fffffffffffffff)).ok());  // NaN
  EXPECT_FALSE(FormatJsonNumber(FromBits(0x7ff0000000000000)).ok());  // Infinity
}

// RFC 8785 §3.2.2 example input and its canonical output.
TEST(CanonicalJsonTest, Rfc8785Example) {
  const char* input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  auto out = CanonicalizeJsonText(input);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3 sorting example: UTF-16 code unit order, not code point order.
TEST(CanonicalJsonTest, Rfc8785SortingByUtf16) {
  const char* input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  auto out = CanonicalizeJsonText(input);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<std::string> names = {"Carriage Return",
                                    "One",
                                    "Control",
                                    "Latin Small Letter O With Diaeresis",
                                    "Euro Sign",
                                    "Emoji: Grinning Face",
                                    "Hebrew Letter Dalet With Dagesh"};
  size_t pos = 0;
  for (const auto& n : names) {
    size_t at = out->find(n);
    ASSERT_NE(at, std::string::npos) << n;
    EXPECT_GT(at, pos) << n << " is out of order in " << *out;
    pos = at;
  }
  // U+1F600 (surrogates D83D DE00) sorts before U+FB33 although its code point is larger.
  EXPECT_TRUE(Utf16Less("\xf0\x9f\x98\x80", "\xef\xac\xb3"));
  EXPECT_FALSE(Utf16Less("\xef\xac\xb3", "\xf0\x9f\x98\x80"));
  EXPECT_TRUE(Utf16Less("a", "ab"));
  EXPECT_FALSE(Utf16Less("ab", "ab"));
}

// UTF-16 code units of valid UTF-8, for comparing against.
std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[k])); };
    uint32_t cp;
    if (b(i) < 0x80) {
      cp = b(i);
      i += 1;
    } else if (b(i) < 0xE0) {
      cp = (b(i) & 0x1F) << 6 | (b(i + 1) & 0x3F);
      i += 2;
    } else if (b(i) < 0xF0) {
      cp = (b(i) & 0x0F) << 12 | (b(i + 1) & 0x3F) << 6 | (b(i + 2) & 0x3F);
      i += 3;
    } else {
      cp = (b(i) & 0x07) << 18 | (b(i + 1) & 0x3F) << 12 | (b(i + 2) & 0x3F) << 6 |
           (b(i + 3) & 0x3F);
      i += 4;
    }
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      out.push_back(static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    }
  }
  return out;
}

TEST(CanonicalJsonTest, Utf16LessAgreesWithUtf16CodeUnitsOnRandomStrings) {
  // Code points from every UTF-8 length and both sides of the surrogate range, including the
  // pairs whose UTF-16 order is not their code point order (U+E000-U+FFFF against U+10000 on).
  const char* pieces[] = {"a",      "b",      "\x7f",       "\u00e9",     "\u07ff",
                          "\u0800", "\u2000", "\ud7ff",     "\ue000",     "\uefff",
                          "\uff61", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff"};
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  auto random_string = [&] {
    std::string s;
    for (uint64_t n = next() % 4; n > 0; --n) s += pieces[next() % std::size(pieces)];
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string a = random_string(), b = random_string();
    ASSERT_EQ(Utf16Less(a, b), ToUtf16(a) < ToUtf16(b)) << i;
  }
}

TEST(CanonicalJsonTest, IntegersBeyondDoublePrecisionAreRefused) {
  EXPECT_EQ(*CanonicalizeJsonText("9007199254740992"), "9007199254740992");
  EXPECT_EQ(*CanonicalizeJsonText("-9007199254740992"), "-9007199254740992");
  EXPECT_EQ(*CanonicalizeJsonText("123"), "123");
  auto big = CanonicalizeJsonText("9007199254740993");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(CanonicalizeJsonText("18446744073709551615").ok());
  EXPECT_FALSE(CanonicalizeJsonText("9223372036854775807").ok());
  // 2^60 is exactly a double: accepted and printed as ECMAScript would.
  EXPECT_EQ(*CanonicalizeJsonText("1152921504606846976"), "1152921504606847000");
  // A double beyond 2^53 follows the number rules.
  EXPECT_EQ(*CanonicalizeJsonText("1e30"), "1e+30");
}

TEST(CanonicalJsonTest, IntegersPrintAsTheirDoubles) {
  // Integers are written from their digits below 2^53 and through the double above it: both
  // ways give what the double's shortest form gives.
  std::vector<int64_t> values = {0, 1, -1, 9, 10, -10, 999999, 1000000, 123456789012345};
  for (int64_t e = 1;; e *= 7) {
    values.insert(values.end(), {e, -e, e - 1});
    if (e > INT64_MAX / 7) break;  // the next power would overflow
  }
  for (int64_t m : {(int64_t{1} << 53) - 1, int64_t{1} << 53, (int64_t{1} << 53) + 2}) {
    values.insert(values.end(), {m, -m});
  }
  for (int64_t v : values) {
    double d = static_cast<double>(v);
    bool exact = static_cast<int64_t>(d) == v;
    auto as_int = CanonicalJson(boost::json::value(v));
    ASSERT_EQ(as_int.ok(), exact) << v;
    if (!exact) continue;
    EXPECT_EQ(*as_int, *FormatJsonNumber(d)) << v;
    if (v >= 0) {
      EXPECT_EQ(*CanonicalJson(boost::json::value(static_cast<uint64_t>(v))), *as_int);
    }
  }
}

TEST(CanonicalJsonTest, LargeObjectsAreSortedToo) {
  // Objects of more members than are sorted on the stack.
  boost::json::object o;
  std::string expected = "{";
  for (int i = 99; i >= 0; --i) o["k" + std::to_string(i)] = i;
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back("k" + std::to_string(i));
  std::sort(keys.begin(), keys.end());
  for (const auto& k : keys) {
    if (expected.size() > 1) expected += ',';
    expected += "\"" + k + "\":" + k.substr(1);
  }
  expected += '}';
  EXPECT_EQ(*CanonicalJson(o), expected);
}

TEST(CanonicalJsonTest, StringsEscapeOnlyWhatTheRfcSays) {
  boost::json::value v = boost::json::string("tab\there \x01 \x1f / \xc3\xa9 \"q\" \\");
  EXPECT_EQ(*CanonicalJson(v), "\"tab\\there \\u0001 \\u001f / \xc3\xa9 \\\"q\\\" \\\\\"");
}

TEST(CanonicalJsonTest, InvalidUtf8IsRefusedAndLeavesNoOutput) {
  std::string out = "prefix";
  boost::json::value bad = boost::json::string("\xff");
  EXPECT_FALSE(AppendCanonicalJson(bad, &out).ok());
  EXPECT_EQ(out, "prefix");
  boost::json::object obj;
  obj["ok"] = 1;
  obj[std::string("\xed\xa0\x80")] = 2;  // an encoded surrogate
  EXPECT_FALSE(CanonicalJson(obj).ok());
  EXPECT_FALSE(CanonicalJson(boost::json::string("\xc0\xaf")).ok());  // overlong '/'
}

TEST(CanonicalJsonTest, DeepNestingIsRefused) {
  std::string deep(kMaxCanonicalJsonDepth + 5, '[');
  deep += std::string(kMaxCanonicalJsonDepth + 5, ']');
  EXPECT_FALSE(CanonicalizeJsonText(deep).ok());
  boost::json::value v = boost::json::array();
  boost::json::value* cur = &v;
  for (int i = 0; i < kMaxCanonicalJsonDepth + 2; ++i) {
    cur->as_array().push_back(boost::json::array());
    cur = &cur->as_array().back();
  }
  EXPECT_FALSE(CanonicalJson(v).ok());
}

// The object overloads (no copy into a value) give the same bytes and the same errors.
TEST(CanonicalJsonTest, ObjectOverloadsMatchTheValueOnes) {
  auto parsed = ParseJson(R"({"z":[1,{"b":null,"a":"\u00e9"}],"a":{"y":2.5,"x":true},"":-0})");
  ASSERT_TRUE(parsed.ok());
  const boost::json::object& obj = parsed->as_object();
  auto from_object = CanonicalJson(obj);
  auto from_value = CanonicalJson(*parsed);
  ASSERT_TRUE(from_object.ok() && from_value.ok());
  EXPECT_EQ(*from_object, *from_value);
  // Sorted members, -0 as 0, the escape written as the character itself (RFC 8785).
  EXPECT_EQ(*from_object,
            "{\"\":0,\"a\":{\"x\":true,\"y\":2.5},\"z\":[1,{\"a\":\"\xC3\xA9\",\"b\":null}]}");

  std::string out = "prefix:";
  ASSERT_TRUE(AppendCanonicalJson(obj, &out).ok());
  EXPECT_EQ(out, "prefix:" + *from_value);

  // An error leaves the output as it was.
  boost::json::object bad;
  bad["fine"] = "yes";
  bad["n"] = static_cast<int64_t>((1LL << 53) + 1);  // not exact as a double
  out = "prefix:";
  EXPECT_FALSE(AppendCanonicalJson(bad, &out).ok());
  EXPECT_EQ(out, "prefix:");
  EXPECT_FALSE(CanonicalJson(bad).ok());

  // Depth counts from the object itself.
  boost::json::object deep;
  boost::json::object* cur = &deep;
  for (int i = 0; i < kMaxCanonicalJsonDepth + 2; ++i) {
    cur = &(*cur)["k"].emplace_object();
  }
  EXPECT_FALSE(CanonicalJson(deep).ok());
}

TEST(CanonicalJsonTest, ParseRoundsDecimalTextCorrectly) {
  // Boost.JSON 1.81's own parser yields the neighbouring double for this text.
  auto v = ParseJson("[333333333.33333329, 0.1, 1e400]");
  EXPECT_FALSE(v.ok());
  v = ParseJson("[333333333.33333329, 0.1, 5e-324]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->as_array()[0].as_double(), FromBits(0x41b3de4355555555));
  EXPECT_EQ(v->as_array()[1].as_double(), 0.1);
  EXPECT_EQ(v->as_array()[2].as_double(), FromBits(1));
  EXPECT_FALSE(ParseJson("[1] x").ok());
}

TEST(CanonicalJsonTest, MalformedTextIsRefused) {
  EXPECT_FALSE(CanonicalizeJsonText("{").ok());
  EXPECT_FALSE(CanonicalizeJsonText("{\"a\":1,}").ok());
  EXPECT_FALSE(CanonicalizeJsonText("NaN").ok());
}

TEST(CanonicalJsonTest, OrderAndWhitespaceDoNotMatter) {
  auto a = CanonicalizeJsonText(R"({"b": [1, 2.0, {"z": null, "a": true}], "a": "x"})");
  auto b = CanonicalizeJsonText(R"({"a":"x","b":[1,2,{"a":true,"z":null}]})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, R"({"a":"x","b":[1,2,{"a":true,"z":null}]})");
}

}  // namespace
}  // namespace writ

namespace writ {
namespace {

TEST(CheckCanonicalNumbersTest, NamesTheFirstNumberTheCanonicalFormRefuses) {
  boost::json::object ok{{"a", 9007199254740992LL}, {"b", {1, 2.5, -9007199254740992LL}}};
  EXPECT_TRUE(CheckCanonicalNumbers(ok).ok());
  EXPECT_TRUE(CanonicalJson(ok).ok());
  boost::json::object bad{{"input", {{"list", {1, 9007199254740993LL}}}}};
  Status s = CheckCanonicalNumbers(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("`input.list[1]`"), std::string::npos) << s.ToString();
  EXPECT_FALSE(CanonicalJson(bad).ok());  // the two agree
  boost::json::object big{{"n", uint64_t{18446744073709551615ULL}}};
  EXPECT_FALSE(CheckCanonicalNumbers(big).ok());
}

}  // namespace
}  // namespace writ
