#include "base/clock.h"

#include <gtest/gtest.h>

namespace writ {
namespace {

TEST(ClockTest, FormatsRfc3339InUtc) {
  EXPECT_EQ(FormatRfc3339Micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339Micros(1714564800123456), "2024-05-01T12:00:00.123456Z");
  EXPECT_EQ(FormatRfc3339Micros(951782400000000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339Micros(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(ClockTest, ParsesWhatItFormatsAndOffsets) {
  for (int64_t t : {int64_t{0}, int64_t{1714564800123456}, int64_t{951782400000000},
                    int64_t{4102444799999999}}) {
    auto back = ParseRfc3339(FormatRfc3339Micros(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(*ParseRfc3339("2024-05-01T14:00:00+02:00"), 1714564800000000);
  EXPECT_EQ(*ParseRfc3339("2024-05-01T12:00:00.5Z"), 1714564800500000);
  EXPECT_EQ(*ParseRfc3339("2024-05-01"), 1714521600000000);
}

TEST(ClockTest, RejectsMalformedTimes) {
  for (const char* bad :
       {"", "2024", "2024-13-01", "2024-05-01T12:00", "2024-05-01T12:00:00", "2024-05-01T25:00:00Z",
        "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(ClockTest, RejectsDaysTheMonthDoesNotHave) {
  // Not read as the first days of the next month.
  for (const char* bad :
       {"2026-02-29", "2026-02-29T12:00:00Z", "2100-02-29", "2024-02-30", "2026-04-31T00:00:00Z",
        "2026-06-31", "2026-09-31", "2026-11-31", "2026-01-00", "2026-01-32"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
  for (const char* good : {"2024-02-29", "2000-02-29T00:00:00Z", "2026-01-31", "2026-03-31",
                           "2026-04-30", "2026-12-31T23:59:59Z"}) {
    EXPECT_TRUE(ParseRfc3339(good).ok()) << good;
  }
  EXPECT_EQ(*ParseRfc3339("2024-02-29"), 1709164800000000);
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock c(100);
  EXPECT_EQ(c.NowMicros(), 100);
  c.Advance(50);
  EXPECT_EQ(c.NowMicros(), 150);
  c.Set(7);
  EXPECT_EQ(c.NowMicros(), 7);
  SystemClock sys;
  EXPECT_GT(sys.NowMicros(), 1600000000000000);
  int64_t a = MonotonicMicros();
  EXPECT_GE(MonotonicMicros(), a);
}

}  // namespace
}  // namespace writ
