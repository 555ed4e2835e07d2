#include "cedar/extensions/datetime.h"

#include <cstddef>

namespace cedar {

namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kEvaluation, std::move(message));
}

std::string Quote(std::string_view s) {
  return "`" + std::string(s) + "`";
}

// ---- duration ----

struct Unit {
  std::string_view suffix;
  int64_t ms;
};

// In the order they must appear.
constexpr Unit kUnits[] = {
    {"d", kMsPerDay}, {"h", kMsPerHour}, {"m", kMsPerMinute}, {"s", kMsPerSecond}, {"ms", 1},
};
constexpr int kUnitCount = 5;

// The unit spelled at the start of `rest` ("ms" is tried before "m"), or -1.
int MatchUnit(std::string_view rest) {
  if (rest.starts_with("ms")) return 4;
  if (rest.starts_with("d")) return 0;
  if (rest.starts_with("h")) return 1;
  if (rest.starts_with("m")) return 2;
  if (rest.starts_with("s")) return 3;
  return -1;
}

Error DurationOverflow(std::string_view text) {
  return Invalid("duration " + Quote(text) +
                 " is too large: a duration must lie between -9223372036854775808ms and "
                 "9223372036854775807ms");
}

Error DurationFormat(std::string_view text, const std::string& detail) {
  return Invalid(Quote(text) + " is not a valid duration: " + detail +
                 " (expected an optional `-` and amounts with units d, h, m, s, ms in that "
                 "order, e.g. `1d2h30m`)");
}

// ---- datetime ----

bool IsLeapYear(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to the given proleptic Gregorian date. Counts whole 400-year eras
// (146097 days each) from 0000-03-01 so that February, the only variable month, comes last.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t year_of_era = y - era * 400;
  int64_t month_from_march = m > 2 ? m - 3 : m + 9;
  int64_t day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

// Inverse of DaysFromCivil.
CivilDate CivilFromDays(int64_t days) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t day_of_era = days - era * 146097;
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t month_from_march = (5 * day_of_year + 2) / 153;
  int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

// Reads exactly `n` ASCII digits at `s[at]`.
bool Digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t k = at; k < at + n; ++k) {
    if (!IsDigit(s[k])) return false;
    out = out * 10 + (s[k] - '0');
  }
  return true;
}

// The non-negative remainder of a / b: before 1970 a day still starts at its own midnight.
int64_t FloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

std::string TwoDigits(int v) {
  return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)};
}

// A datetime as a message shows it: ISO 8601 when it has a four-digit year.
std::string Describe(const Datetime& dt) {
  std::string s = dt.ToString();
  if (s.find('T') != std::string::npos) return s;
  return s + " (milliseconds since 1970-01-01T00:00:00Z)";
}

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

}  // namespace

Result<Duration> Duration::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  if (text.empty()) return DurationFormat(text, "it is empty");
  if (i == text.size()) return DurationFormat(text, "no amount follows the `-`");
  // The magnitude is summed unsigned: the most negative duration has no positive counterpart.
  const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
  uint64_t total = 0;
  bool overflow = false;
  int next_unit = 0;  // units before this index have been used or skipped
  while (i < text.size()) {
    size_t begin = i;
    uint64_t amount = 0;
    while (i < text.size() && IsDigit(text[i])) {
      uint64_t digit = static_cast<uint64_t>(text[i] - '0');
      if (amount > (UINT64_MAX - digit) / 10) overflow = true;
      amount = amount * 10 + digit;
      ++i;
    }
    if (i == begin) {
      if (MatchUnit(text.substr(i)) >= 0) {
        return DurationFormat(
            text, "a unit at position " + std::to_string(i + 1) + " has no amount before it");
      }
      return DurationFormat(
          text, "unexpected " + Quote(text.substr(i, 1)) + " at position " + std::to_string(i + 1));
    }
    int unit = MatchUnit(text.substr(i));
    if (unit < 0) {
      if (i == text.size()) {
        return DurationFormat(
            text, "the amount " + Quote(text.substr(begin)) + " at the end has no unit");
      }
      return DurationFormat(text, "expected a unit after the amount " +
                                      Quote(text.substr(begin, i - begin)) + ", found " +
                                      Quote(text.substr(i, 1)));
    }
    if (unit < next_unit) {
      return DurationFormat(
          text, "unit `" + std::string(kUnits[unit].suffix) + "` is repeated or out of order");
    }
    next_unit = unit + 1;
    i += kUnits[unit].suffix.size();
    uint64_t part = 0;
    if (__builtin_mul_overflow(amount, static_cast<uint64_t>(kUnits[unit].ms), &part) ||
        __builtin_add_overflow(total, part, &total) || total > limit) {
      overflow = true;
    }
  }
  // Reported after the whole text is known to be well-formed.
  if (overflow) return DurationOverflow(text);
  Duration d;
  d.ms = negative ? static_cast<int64_t>(0 - total) : static_cast<int64_t>(total);
  return d;
}

std::string Duration::ToString() const {
  if (ms == 0) return "0ms";
  uint64_t rest = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  std::string out = ms < 0 ? "-" : "";
  for (int k = 0; k < kUnitCount; ++k) {
    uint64_t size = static_cast<uint64_t>(kUnits[k].ms);
    uint64_t amount = rest / size;
    rest %= size;
    if (amount != 0) out += std::to_string(amount) + std::string(kUnits[k].suffix);
  }
  return out;
}

Result<Datetime> Datetime::Parse(std::string_view text) {
  // Messages are built only on error: this runs for every datetime in every request.
  auto quoted = [&] { return Quote(text); };
  int year = 0, month = 0, day = 0;
  if (!Digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day)) {
    return Invalid(quoted() + " is not a valid datetime: it must start with a date `YYYY-MM-DD`");
  }
  if (month < 1 || month > 12) {
    return Invalid(quoted() + " is not a valid datetime: month " + TwoDigits(month) +
                   " is not between 01 and 12");
  }
  if (day < 1 || day > DaysInMonth(year, month)) {
    return Invalid(quoted() + " is not a valid datetime: " + kMonthNames[month - 1] + " " +
                   std::to_string(year) + " has no day " + TwoDigits(day));
  }
  int64_t ms = DaysFromCivil(year, month, day) * kMsPerDay;
  if (text.size() == 10) {
    Datetime dt;
    dt.ms = ms;
    return dt;
  }

  int hour = 0, minute = 0, second = 0;
  if (text[10] != 'T' || !Digits(text, 11, 2, hour) || text.size() < 19 || text[13] != ':' ||
      !Digits(text, 14, 2, minute) || text[16] != ':' || !Digits(text, 17, 2, second)) {
    return Invalid(quoted() +
                   " is not a valid datetime: the date must be followed by `Thh:mm:ss` and "
                   "a time zone");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return Invalid(quoted() + " is not a valid datetime: the time " +
                   std::string(text.substr(11, 8)) +
                   " is out of range (hours 00-23, minutes and seconds 00-59; leap seconds are "
                   "not supported)");
  }
  ms += hour * kMsPerHour + minute * kMsPerMinute + second * kMsPerSecond;

  auto tail_error = [&] {
    return quoted() +
           " is not a valid datetime: the time must be followed by an optional `.SSS` (exactly "
           "three digits) and then `Z` or an offset `+hhmm` / `-hhmm`";
  };
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    int millis = 0;
    if (!Digits(text, i + 1, 3, millis)) return Invalid(tail_error());
    ms += millis;
    i += 4;
  }
  if (i + 1 == text.size() && text[i] == 'Z') {
    Datetime dt;
    dt.ms = ms;
    return dt;
  }
  int offset_hours = 0, offset_minutes = 0;
  if (i + 5 != text.size() || (text[i] != '+' && text[i] != '-') ||
      !Digits(text, i + 1, 2, offset_hours) || !Digits(text, i + 3, 2, offset_minutes)) {
    return Invalid(tail_error());
  }
  if (offset_hours > 23 || offset_minutes > 59) {
    return Invalid(quoted() + " is not a valid datetime: the offset " +
                   std::string(text.substr(i)) + " is out of range (hours 00-23, minutes 00-59)");
  }
  // Local time = UTC + offset, so UTC = local time - offset.
  int64_t offset = offset_hours * kMsPerHour + offset_minutes * kMsPerMinute;
  ms += text[i] == '+' ? -offset : offset;
  Datetime dt;
  dt.ms = ms;
  return dt;
}

std::string Datetime::ToString() const {
  // Floor division, written so that it cannot overflow.
  int64_t days = ms / kMsPerDay - (FloorMod(ms, kMsPerDay) != 0 && ms < 0 ? 1 : 0);
  int64_t in_day = FloorMod(ms, kMsPerDay);
  CivilDate date = CivilFromDays(days);
  if (date.year < 0 || date.year > 9999) return std::to_string(ms);
  std::string year = std::to_string(date.year);
  std::string out(4 - year.size(), '0');
  out += year + "-" + TwoDigits(date.month) + "-" + TwoDigits(date.day) + "T";
  out += TwoDigits(static_cast<int>(in_day / kMsPerHour)) + ":";
  out += TwoDigits(static_cast<int>(in_day / kMsPerMinute % 60)) + ":";
  out += TwoDigits(static_cast<int>(in_day / kMsPerSecond % 60)) + ".";
  int millis = static_cast<int>(in_day % kMsPerSecond);
  out += static_cast<char>('0' + millis / 100);
  out += TwoDigits(millis % 100) + "Z";
  return out;
}

Result<Datetime> Datetime::Offset(Duration d) const {
  Datetime out;
  if (__builtin_add_overflow(ms, d.ms, &out.ms)) {
    return Invalid("offsetting datetime " + Describe(*this) + " by duration " + d.ToString() +
                   " overflows the range of a datetime");
  }
  return out;
}

Result<Duration> Datetime::DurationSince(Datetime other) const {
  Duration out;
  if (__builtin_sub_overflow(ms, other.ms, &out.ms)) {
    return Invalid("the duration between datetimes " + Describe(*this) + " and " + Describe(other) +
                   " overflows the range of a duration");
  }
  return out;
}

Result<Datetime> Datetime::ToDate() const {
  // Days start at multiples of 24h since the epoch, so before 1970 this rounds down; for the
  // earliest instants of the range the start of their day lies below it.
  Datetime out;
  if (__builtin_sub_overflow(ms, FloorMod(ms, kMsPerDay), &out.ms)) {
    return Invalid("the date of datetime " + Describe(*this) +
                   " lies before the earliest representable datetime");
  }
  return out;
}

Duration Datetime::ToTime() const {
  Duration d;
  d.ms = FloorMod(ms, kMsPerDay);
  return d;
}

}  // namespace cedar
