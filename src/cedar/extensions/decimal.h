// Cedar's `decimal` extension type: a fixed-point number with four digits after the point,
// stored as a signed 64-bit count of ten-thousandths.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "cedar/error.h"

namespace cedar {

struct Decimal {
  int64_t raw = 0;  // value * 10^4

  // Parses `-?[0-9]+\.[0-9]{1,4}`; the value must fit in i64 after scaling.
  static Result<Decimal> Parse(std::string_view text);
  // Shortest form that parses back to the same value, e.g. "1.5", "-0.0001", "3.0".
  std::string ToString() const;

  friend bool operator==(const Decimal&, const Decimal&) = default;
  friend auto operator<=>(const Decimal&, const Decimal&) = default;
};

}  // namespace cedar
