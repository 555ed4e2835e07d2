// Cedar's `datetime` and `duration` extension types, both counted in milliseconds in an i64.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "cedar/error.h"

namespace cedar {

struct Duration {
  int64_t ms = 0;

  // Parses `-?` followed by one or more of `<n>d <n>h <n>m <n>s <n>ms` in that order, each at
  // most once, e.g. "1d2h", "-3m", "250ms". Overflow is an error.
  static Result<Duration> Parse(std::string_view text);
  std::string ToString() const;  // e.g. "1d2h3m4s5ms", "-250ms", "0ms"

  int64_t ToMilliseconds() const { return ms; }
  int64_t ToSeconds() const { return ms / 1000; }  // truncation toward zero
  int64_t ToMinutes() const { return ms / 60000; }
  int64_t ToHours() const { return ms / 3600000; }
  int64_t ToDays() const { return ms / 86400000; }

  friend bool operator==(const Duration&, const Duration&) = default;
  friend auto operator<=>(const Duration&, const Duration&) = default;
};

struct Datetime {
  int64_t ms = 0;  // milliseconds since 1970-01-01T00:00:00Z

  // Parses the five formats Cedar accepts: "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ",
  // "YYYY-MM-DDThh:mm:ss.SSSZ", "YYYY-MM-DDThh:mm:ss(+|-)hhmm",
  // "YYYY-MM-DDThh:mm:ss.SSS(+|-)hhmm".
  static Result<Datetime> Parse(std::string_view text);
  // "YYYY-MM-DDThh:mm:ss.SSSZ" when the year is in 0..9999; otherwise the millisecond count.
  std::string ToString() const;

  Result<Datetime> Offset(Duration d) const;             // overflow is an error
  Result<Duration> DurationSince(Datetime other) const;  // overflow is an error
  Result<Datetime> ToDate() const;                       // midnight UTC of the same day
  Duration ToTime() const;                               // time elapsed since that midnight

  friend bool operator==(const Datetime&, const Datetime&) = default;
  friend auto operator<=>(const Datetime&, const Datetime&) = default;
};

}  // namespace cedar
