#include "cedar/extensions/datetime.h"

#include <gtest/gtest.h>

#include <string>

namespace cedar {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

int64_t DurationMs(std::string_view text) {
  auto d = Duration::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.error().message);
  return d.ok() ? d->ms : -1;
}

std::string DurationError(std::string_view text) {
  auto d = Duration::Parse(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->ms : 0);
  return d.ok() ? "" : d.error().message;
}

int64_t DatetimeMs(std::string_view text) {
  auto d = Datetime::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.error().message);
  return d.ok() ? d->ms : -1;
}

Datetime Dt(std::string_view text) {
  return Datetime{DatetimeMs(text)};
}

std::string DatetimeError(std::string_view text) {
  auto d = Datetime::Parse(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->ms : 0);
  return d.ok() ? "" : d.error().message;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- Duration ----

TEST(DurationTest, ParsesUnits) {
  EXPECT_EQ(DurationMs("0ms"), 0);
  EXPECT_EQ(DurationMs("1ms"), 1);
  EXPECT_EQ(DurationMs("1s"), kSecond);
  EXPECT_EQ(DurationMs("1m"), kMinute);
  EXPECT_EQ(DurationMs("1h"), kHour);
  EXPECT_EQ(DurationMs("1d"), kDay);
  EXPECT_EQ(DurationMs("-1d"), -86400000);
  EXPECT_EQ(Duration::Parse("1d2h").value().ms, 93600000);
  EXPECT_EQ(DurationMs("1d2h3m4s5ms"), 93784005);
  EXPECT_EQ(DurationMs("2h30m"), 9000000);
  EXPECT_EQ(DurationMs("-1d12h"), -129600000);
  EXPECT_EQ(DurationMs("1h30m45s"), 5445000);
  EXPECT_EQ(DurationMs("4s100ms"), 4100);
  EXPECT_EQ(DurationMs("1m1ms"), 60001);
  EXPECT_EQ(DurationMs("1m0ms"), 60000);
  EXPECT_EQ(DurationMs("1d1ms"), 86400001);
  EXPECT_EQ(DurationMs("1h1m1s"), 3661000);
  EXPECT_EQ(DurationMs("0d0h0m0s0ms"), 0);
  EXPECT_EQ(DurationMs("24h"), DurationMs("1d"));
  EXPECT_EQ(DurationMs("4m70s"), 310000);
}

TEST(DurationTest, SignAndLeadingZeros) {
  EXPECT_EQ(DurationMs("-0s"), 0);
  EXPECT_EQ(DurationMs("-0ms"), 0);
  EXPECT_EQ(DurationMs("01s"), 1000);
  EXPECT_EQ(DurationMs("0001d"), kDay);
  EXPECT_EQ(DurationMs("00000000000000000000001ms"), 1);
}

TEST(DurationTest, Bounds) {
  EXPECT_EQ(DurationMs("9223372036854775807ms"), INT64_MAX);
  EXPECT_EQ(DurationMs("-9223372036854775808ms"), INT64_MIN);
  EXPECT_EQ(DurationMs("106751991167d"), 106751991167 * kDay);
  EXPECT_EQ(DurationMs("-106751991167d"), -106751991167 * kDay);
  EXPECT_EQ(DurationMs("2562047788015h"), 9223372036854000000);
  EXPECT_EQ(DurationMs("153722867280912m"), 9223372036854720000);
  EXPECT_EQ(DurationMs("9223372036854775s"), 9223372036854775000);
  EXPECT_EQ(DurationMs("106751991167d25975807ms"), INT64_MAX);
  EXPECT_EQ(DurationMs("-106751991167d25975808ms"), INT64_MIN);
}

TEST(DurationTest, Overflow) {
  for (const char* text :
       {"106751991168d", "-106751991168d", "2562047788016h", "153722867280913m",
        "9223372036854776s", "9223372036854775808ms", "-9223372036854775809ms",
        "1d9223372036854775807ms", "106751991167d25975808ms", "-106751991167d25975809ms",
        "99999999999999999999ms", "18446744073709551616ms", "213503982335d"}) {
    EXPECT_TRUE(Contains(DurationError(text), "too large")) << text;
  }
}

TEST(DurationTest, RejectsMalformed) {
  EXPECT_TRUE(Contains(DurationError("1h1d"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1s1d"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1ms1s"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1s1m"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1ms1m"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1d1d"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1s1s"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1m1m"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("1ms1ms"), "repeated or out of order"));
  EXPECT_TRUE(Contains(DurationError("d"), "has no amount"));
  EXPECT_TRUE(Contains(DurationError("ms"), "has no amount"));
  EXPECT_TRUE(Contains(DurationError("1dh"), "has no amount"));
  EXPECT_TRUE(Contains(DurationError("1mm"), "has no amount"));
  EXPECT_TRUE(Contains(DurationError("1msm"), "has no amount"));
  EXPECT_EQ(DurationError(""),
            "`` is not a valid duration: it is empty (expected an optional `-` and amounts with "
            "units d, h, m, s, ms in that order, e.g. `1d2h30m`)");
  EXPECT_TRUE(Contains(DurationError("-"), "no amount follows the `-`"));
  EXPECT_TRUE(Contains(DurationError("1.5s"), "expected a unit after the amount `1`, found `.`"));
  EXPECT_TRUE(Contains(DurationError("1w"), "expected a unit after the amount `1`, found `w`"));
  EXPECT_TRUE(Contains(DurationError("1"), "has no unit"));
  EXPECT_TRUE(Contains(DurationError("1d2"), "has no unit"));
  EXPECT_TRUE(Contains(DurationError("1ms1"), "has no unit"));
  EXPECT_TRUE(Contains(DurationError("1d2h3m4s5ms6"), "has no unit"));
  for (const char* text :
       {"1d h", "+1s", "--1s", "1d-1s", "1D", "1H", "1MS", "1Ms", "1w", "1y", " 1s", "1s ",
        "1d2h3m4s5ms ", "1 s", "1.5s", "\xd9\xa1s" /* Arabic-Indic one */}) {
    EXPECT_TRUE(Contains(DurationError(text), "is not a valid duration")) << text;
  }
}

TEST(DurationTest, ConversionsTruncateTowardZero) {
  EXPECT_EQ(Duration{DurationMs("1d")}.ToMilliseconds(), 86400000);
  EXPECT_EQ(Duration{DurationMs("1d")}.ToSeconds(), 86400);
  EXPECT_EQ(Duration{DurationMs("1d")}.ToMinutes(), 1440);
  EXPECT_EQ(Duration{DurationMs("1d")}.ToHours(), 24);
  EXPECT_EQ(Duration{DurationMs("1d")}.ToDays(), 1);
  EXPECT_EQ(Duration{DurationMs("4s100ms")}.ToSeconds(), 4);
  EXPECT_EQ(Duration{DurationMs("100ms")}.ToSeconds(), 0);
  EXPECT_EQ(Duration{DurationMs("4m70s")}.ToMinutes(), 5);
  EXPECT_EQ(Duration{DurationMs("4h70m")}.ToHours(), 5);
  EXPECT_EQ(Duration{DurationMs("4d30h")}.ToDays(), 5);
  EXPECT_EQ(Duration{DurationMs("-1s500ms")}.ToSeconds(), -1);
  EXPECT_EQ(Duration{DurationMs("-1500ms")}.ToSeconds(), -1);
  EXPECT_EQ(Duration{DurationMs("-999ms")}.ToSeconds(), 0);
  EXPECT_EQ(Duration{DurationMs("-59s")}.ToMinutes(), 0);
  EXPECT_EQ(Duration{DurationMs("-61m")}.ToHours(), -1);
  EXPECT_EQ(Duration{DurationMs("-47h")}.ToDays(), -1);
  EXPECT_EQ(Duration{INT64_MIN}.ToSeconds(), -9223372036854775);
  EXPECT_EQ(Duration{INT64_MIN}.ToDays(), -106751991167);
}

TEST(DurationTest, ToString) {
  EXPECT_EQ(Duration{0}.ToString(), "0ms");
  EXPECT_EQ(Duration{-250}.ToString(), "-250ms");
  EXPECT_EQ(Duration{93784005}.ToString(), "1d2h3m4s5ms");
  EXPECT_EQ(Duration{kDay + kMinute}.ToString(), "1d1m");
  EXPECT_EQ(Duration{-129600000}.ToString(), "-1d12h");
  EXPECT_EQ(Duration{INT64_MIN}.ToString(), "-106751991167d7h12m55s808ms");
  for (int64_t ms : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{999}, int64_t{60000},
                     int64_t{-93784005}, kDay, INT64_MAX, INT64_MIN, INT64_MIN + 1}) {
    Duration d{ms};
    auto back = Duration::Parse(d.ToString());
    ASSERT_TRUE(back.ok()) << d.ToString();
    EXPECT_EQ(back->ms, ms) << d.ToString();
  }
}

TEST(DurationTest, Ordering) {
  EXPECT_GT(Duration{DurationMs("1ms")}, Duration{DurationMs("-1d")});
  EXPECT_EQ(Duration{DurationMs("1d2h3m4s5ms")}, Duration{DurationMs("93784005ms")});
}

// ---- Datetime ----

TEST(DatetimeTest, ParsesTheFiveFormats) {
  const int64_t day = 1728950400000;  // 2024-10-15T00:00:00Z
  EXPECT_EQ(DatetimeMs("2024-10-15"), day);
  EXPECT_EQ(DatetimeMs("2024-10-15T11:35:00Z"), day + 11 * kHour + 35 * kMinute);
  EXPECT_EQ(DatetimeMs("2024-10-15T11:35:00.123Z"), day + 11 * kHour + 35 * kMinute + 123);
  EXPECT_EQ(DatetimeMs("2024-10-15T11:35:00+0100"), day + 10 * kHour + 35 * kMinute);
  EXPECT_EQ(DatetimeMs("2024-10-15T11:35:00.000+0100"), day + 10 * kHour + 35 * kMinute);
  EXPECT_EQ(DatetimeMs("2024-10-15T11:35:00.007-0130"), day + 13 * kHour + 5 * kMinute + 7);
  EXPECT_EQ(DatetimeMs("2024-01-01T00:00:00.000+0000"), DatetimeMs("2024-01-01"));
  EXPECT_EQ(DatetimeMs("2024-01-01T00:00:00-0000"), DatetimeMs("2024-01-01"));
  EXPECT_EQ(DatetimeMs("1970-01-01"), 0);
  EXPECT_EQ(DatetimeMs("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(DatetimeMs("2000-03-01"), 951868800000);
}

TEST(DatetimeTest, ExtremeYearsAndOffsets) {
  EXPECT_EQ(DatetimeMs("0000-01-01"), -62167219200000);
  EXPECT_EQ(DatetimeMs("9999-12-31T23:59:59.999Z"), 253402300799999);
  // The earliest and latest instants the text forms can reach.
  EXPECT_EQ(DatetimeMs("0000-01-01T00:00:00+2359"), -62167219200000 - 23 * kHour - 59 * kMinute);
  EXPECT_EQ(DatetimeMs("9999-12-31T23:59:59-2359"), 253402300799000 + 23 * kHour + 59 * kMinute);
  EXPECT_EQ(DatetimeMs("2024-01-01T00:00:00+2359"), DatetimeMs("2023-12-31T00:01:00Z"));
  EXPECT_EQ(DatetimeMs("2024-01-01T00:00:00-2359"), DatetimeMs("2024-01-01T23:59:00Z"));
}

TEST(DatetimeTest, LeapYears) {
  EXPECT_EQ(DatetimeMs("2024-02-29"), DatetimeMs("2024-03-01") - kDay);
  EXPECT_EQ(DatetimeMs("2000-02-29"), DatetimeMs("2000-03-01") - kDay);
  EXPECT_EQ(DatetimeMs("0400-02-29"), DatetimeMs("0400-03-01") - kDay);
  EXPECT_EQ(DatetimeMs("0004-02-29"), DatetimeMs("0004-03-01") - kDay);
  EXPECT_EQ(DatetimeMs("0000-02-29"), DatetimeMs("0000-03-01") - kDay);
  EXPECT_EQ(DatetimeError("2023-02-29"),
            "`2023-02-29` is not a valid datetime: February 2023 has no day 29");
  EXPECT_TRUE(Contains(DatetimeError("1900-02-29"), "February 1900 has no day 29"));
  EXPECT_TRUE(Contains(DatetimeError("0100-02-29"), "February 100 has no day 29"));
  EXPECT_TRUE(Contains(DatetimeError("2024-02-30"), "has no day 30"));
  EXPECT_TRUE(Contains(DatetimeError("2024-04-31"), "April 2024 has no day 31"));
}

TEST(DatetimeTest, RejectsOutOfRangeFields) {
  EXPECT_TRUE(Contains(DatetimeError("2024-13-01"), "month 13"));
  EXPECT_TRUE(Contains(DatetimeError("2024-00-01"), "month 00"));
  EXPECT_TRUE(Contains(DatetimeError("2024-01-00"), "has no day 00"));
  EXPECT_TRUE(Contains(DatetimeError("2024-01-32"), "has no day 32"));
  for (const char* text : {"2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z", "2024-01-01T23:59:60Z",
                           "2016-12-31T23:59:60.000Z", "2024-01-01T99:00:00+0000"}) {
    EXPECT_TRUE(Contains(DatetimeError(text), "the time")) << text;
  }
  for (const char* text : {"2024-01-01T00:00:00+2400", "2024-01-01T00:00:00+0060",
                           "2024-01-01T00:00:00-9959", "2024-01-01T00:00:00.000-2360"}) {
    EXPECT_TRUE(Contains(DatetimeError(text), "the offset")) << text;
  }
}

TEST(DatetimeTest, RejectsMalformed) {
  for (const char* text : {"", "2024-1-01", "24-01-01", "02024-01-01", "00011-12-13", "+2024-01-01",
                           "-2024-01-01", " 2024-01-01", "2024/01/01",
                           "\xd9\xa1\xd9\xa9\xd9\xa7"
                           "\xd9\xa0-01-01"}) {
    EXPECT_TRUE(Contains(DatetimeError(text), "must start with a date")) << text;
  }
  for (const char* text :
       {"2024-01-01t00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00Z", "2024-01-01T",
        "2024-01-01Z", "2024-10-15Z", "2024-01-01T01:02", "2024-01-01T-1:00:00Z", "2022-10-10 "}) {
    EXPECT_TRUE(Contains(DatetimeError(text), "followed by `Thh:mm:ss`")) << text;
  }
  for (const char* text :
       {"2024-01-01T00:00:00", "2024-01-01T00:00:00.000", "2024-01-01T00:00:00.1Z",
        "2024-01-01T00:00:00.12Z", "2024-01-01T00:00:00.1234Z", "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00z", "2024-01-01T00:00:00+01", "2024-01-01T00:00:00+01:00",
        "2024-01-01T00:00:00+010", "2024-01-01T00:00:00+01000", "2024-01-01T00:00:00.000Z ",
        "2024-01-01T00:00:00.-01Z", "2024-10-15T11:38:02ZZ", "2024-01-01T00:00:00+0100Z",
        "2024-01-01T00:00:00Z+0100"}) {
    EXPECT_TRUE(Contains(DatetimeError(text), "optional `.SSS`")) << text;
  }
}

TEST(DatetimeTest, OffsetAndOverflow) {
  EXPECT_EQ(Dt("2024-10-15").Offset(Duration{kHour}).value(), Dt("2024-10-15T01:00:00Z"));
  EXPECT_EQ(Dt("2024-10-15T00:18:00Z").Offset(Duration{42 * kMinute}).value(),
            Dt("2024-10-15T01:00:00Z"));
  EXPECT_EQ(Dt("2024-10-16T01:00:00Z").Offset(Duration{-kDay}).value(), Dt("2024-10-15T01:00:00Z"));
  EXPECT_EQ(Dt("0000-03-01").Offset(Duration{-kDay}).value(), Dt("0000-02-29"));
  EXPECT_EQ(Datetime{INT64_MIN + 1}.Offset(Duration{-1}).value().ms, INT64_MIN);
  EXPECT_EQ(Datetime{0}.Offset(Duration{INT64_MAX}).value().ms, INT64_MAX);
  EXPECT_FALSE(Datetime{INT64_MIN + 1}.Offset(Duration{-2}).ok());
  EXPECT_FALSE(Datetime{INT64_MAX}.Offset(Duration{1}).ok());
  auto overflow = Dt("2024-01-01").Offset(Duration{INT64_MAX});
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().code, ErrorCode::kEvaluation);
  EXPECT_TRUE(Contains(overflow.error().message, "overflows")) << overflow.error().message;
}

TEST(DatetimeTest, DurationSinceAndOverflow) {
  EXPECT_EQ(Dt("2024-10-15T01:00:00Z").DurationSince(Dt("2024-10-15")).value().ms, kHour);
  EXPECT_EQ(Dt("2024-10-14T23:18:00Z").DurationSince(Dt("2024-10-15")).value().ms, -42 * kMinute);
  EXPECT_EQ(Dt("2024-10-16T00:00:00-0500").DurationSince(Dt("2024-10-15")).value().ms,
            kDay + 5 * kHour);
  EXPECT_EQ(Dt("0000-01-01").DurationSince(Dt("1970-01-01")).value().ms, -62167219200000);
  EXPECT_EQ(Datetime{INT64_MAX}.DurationSince(Datetime{0}).value().ms, INT64_MAX);
  EXPECT_EQ(Datetime{-1}.DurationSince(Datetime{INT64_MIN}).value().ms, INT64_MAX);
  EXPECT_EQ(Datetime{INT64_MIN}.DurationSince(Datetime{0}).value().ms, INT64_MIN);
  EXPECT_FALSE(Datetime{INT64_MAX}.DurationSince(Datetime{-1}).ok());
  EXPECT_FALSE(Datetime{0}.DurationSince(Datetime{INT64_MIN}).ok());
  EXPECT_FALSE(Datetime{INT64_MIN}.DurationSince(Datetime{1}).ok());
}

TEST(DatetimeTest, ToDateAndToTime) {
  EXPECT_EQ(Dt("2025-02-20T10:35:00Z").ToDate().value(), Dt("2025-02-20"));
  EXPECT_EQ(Dt("2025-02-20T22:00:00-0500").ToDate().value(), Dt("2025-02-21"));
  EXPECT_EQ(Dt("2025-02-20T10:35:00Z").ToTime().ms, 10 * kHour + 35 * kMinute);
  EXPECT_EQ(Dt("2025-02-20T10:35:00-0500").ToTime().ms, 15 * kHour + 35 * kMinute);
  EXPECT_EQ(Dt("2025-02-20T22:00:00-0500").ToTime().ms, 3 * kHour);
  EXPECT_EQ(Dt("2024-10-15").ToTime().ms, 0);
}

TEST(DatetimeTest, ToDateRoundsDownBefore1970) {
  EXPECT_EQ(Dt("1969-12-31T23:00:00Z").ToDate().value(), Dt("1969-12-31"));
  EXPECT_EQ(Dt("1969-12-31T23:00:00Z").ToTime().ms, 23 * kHour);
  EXPECT_EQ(Dt("1969-12-31").ToDate().value(), Dt("1969-12-31"));
  EXPECT_EQ(Dt("1969-12-31").ToTime().ms, 0);
  EXPECT_EQ(Dt("1969-12-31T23:59:59.999Z").ToTime().ms, kDay - 1);
  EXPECT_EQ(Datetime{-1}.ToDate().value().ms, -kDay);
  EXPECT_EQ(Datetime{-kDay}.ToDate().value().ms, -kDay);
  EXPECT_EQ(Datetime{-kDay - 1}.ToDate().value().ms, -2 * kDay);
  EXPECT_EQ(Dt("0000-01-01T00:00:00+2359").ToTime().ms, kMinute);
  EXPECT_EQ(Dt("0000-01-01T00:00:00+2359").ToDate().value().ms, DatetimeMs("0000-01-01") - kDay);
}

TEST(DatetimeTest, ToDateAndToTimeAtTheLimits) {
  // The day holding INT64_MAX starts within range; the one holding INT64_MIN does not.
  EXPECT_EQ(Datetime{INT64_MAX}.ToDate().value().ms, 9223372036828800000);
  EXPECT_EQ(Datetime{INT64_MAX}.ToTime().ms, 25975807);
  EXPECT_EQ(Datetime{INT64_MIN}.ToTime().ms, 60424192);
  EXPECT_EQ(Datetime{-9223372036828800000}.ToDate().value().ms, -9223372036828800000);
  for (int64_t ms : {INT64_MIN, INT64_MIN + 1, int64_t{-9223372036828800001}}) {
    auto date = Datetime{ms}.ToDate();
    ASSERT_FALSE(date.ok()) << ms;
    EXPECT_EQ(date.error().code, ErrorCode::kEvaluation);
  }
}

TEST(DatetimeTest, Ordering) {
  EXPECT_LT(Dt("2024-10-15"), Dt("2024-10-16"));
  EXPECT_LE(Dt("2024-10-15"), Dt("2024-10-15"));
  EXPECT_FALSE(Dt("2024-10-15") > Dt("2024-10-15T00:00:00.001Z"));
  EXPECT_EQ(Dt("2024-10-15T11:35:00Z"), Dt("2024-10-15T11:35:00.000Z"));
}

TEST(DatetimeTest, ToString) {
  EXPECT_EQ(Datetime{0}.ToString(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Datetime{-1}.ToString(), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(Dt("2024-10-15T11:35:00.123+0100").ToString(), "2024-10-15T10:35:00.123Z");
  EXPECT_EQ(Dt("0000-01-01").ToString(), "0000-01-01T00:00:00.000Z");
  EXPECT_EQ(Dt("0004-02-29T01:02:03Z").ToString(), "0004-02-29T01:02:03.000Z");
  EXPECT_EQ(Dt("9999-12-31T23:59:59.999Z").ToString(), "9999-12-31T23:59:59.999Z");
  // Outside the four-digit years the value is shown as a count of milliseconds.
  EXPECT_EQ(Dt("0000-01-01T00:00:00+0001").ToString(), "-62167219260000");
  EXPECT_EQ(Dt("9999-12-31T23:59:59-0001").ToString(), "253402300859000");
  EXPECT_EQ(Datetime{INT64_MIN}.ToString(), "-9223372036854775808");
  for (const char* text : {"1970-01-01", "1969-12-31T23:59:59.999Z", "2024-02-29T12:00:00-0130"}) {
    auto dt = Datetime::Parse(text);
    ASSERT_TRUE(dt.ok()) << text;
    auto back = Datetime::Parse(dt->ToString());
    ASSERT_TRUE(back.ok()) << dt->ToString();
    EXPECT_EQ(*back, *dt);
  }
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{951782400000}, int64_t{-62167219200000},
                     int64_t{253402300799999}, int64_t{1728992100123}, int64_t{-86400001}}) {
    Datetime dt{ms};
    auto back = Datetime::Parse(dt.ToString());
    ASSERT_TRUE(back.ok()) << dt.ToString();
    EXPECT_EQ(back->ms, ms) << dt.ToString();
  }
}

}  // namespace
}  // namespace cedar
