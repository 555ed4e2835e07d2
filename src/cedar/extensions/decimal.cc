#include "cedar/extensions/decimal.h"

#include <cstddef>

namespace cedar {

namespace {

constexpr int kFractionDigits = 4;
constexpr uint64_t kScale = 10000;
// Magnitudes allowed for a positive and for a negative value: 2^63 - 1 and 2^63.
constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
constexpr uint64_t kMaxNegative = kMaxPositive + 1;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

Error Malformed(std::string_view text) {
  return MakeError(ErrorCode::kEvaluation,
                   "`" + std::string(text) +
                       "` is not a well-formed decimal: expected an optional `-`, one or more "
                       "digits, a `.` and one to four digits, e.g. `-12.5`");
}

Error OutOfRange(std::string_view text) {
  return MakeError(ErrorCode::kEvaluation,
                   "`" + std::string(text) +
                       "` is out of range for a decimal: values must lie between "
                       "-922337203685477.5808 and 922337203685477.5807");
}

}  // namespace

Result<Decimal> Decimal::Parse(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  size_t int_begin = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  size_t int_end = i;
  if (int_end == int_begin || i >= text.size() || text[i] != '.') return Malformed(text);
  ++i;
  size_t frac_begin = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  size_t frac_end = i;
  if (frac_end == frac_begin || i != text.size()) return Malformed(text);
  // The magnitude is accumulated unsigned so that the most negative value, whose magnitude
  // has no positive i64 counterpart, is still reachable.
  const uint64_t limit = negative ? kMaxNegative : kMaxPositive;
  uint64_t magnitude = 0;
  for (size_t k = int_begin; k < int_end; ++k) {
    uint64_t digit = static_cast<uint64_t>(text[k] - '0');
    if (magnitude > (limit - digit) / 10) return OutOfRange(text);
    magnitude = magnitude * 10 + digit;
  }
  if (magnitude > limit / kScale) return OutOfRange(text);
  // Checked after the whole number, as Cedar does: a whole number out of range is reported as
  // such even when the fraction is also too long.
  if (frac_end - frac_begin > kFractionDigits) {
    return MakeError(ErrorCode::kEvaluation, "too many digits after the decimal point in `" +
                                                 std::string(text) + "`: at most 4 are supported");
  }
  magnitude *= kScale;
  uint64_t fraction = 0;
  uint64_t unit = kScale;
  for (size_t k = frac_begin; k < frac_end; ++k) {
    unit /= 10;
    fraction += static_cast<uint64_t>(text[k] - '0') * unit;
  }
  if (magnitude > limit - fraction) return OutOfRange(text);
  magnitude += fraction;

  Decimal d;
  d.raw = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return d;
}

std::string Decimal::ToString() const {
  // Two's-complement negation in unsigned arithmetic is defined for INT64_MIN as well.
  uint64_t magnitude = raw < 0 ? 0 - static_cast<uint64_t>(raw) : static_cast<uint64_t>(raw);
  std::string out = raw < 0 ? "-" : "";
  out += std::to_string(magnitude / kScale);
  out += '.';
  uint64_t fraction = magnitude % kScale;
  char digits[kFractionDigits];
  for (int k = kFractionDigits - 1; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int keep = kFractionDigits;
  while (keep > 1 && digits[keep - 1] == '0') --keep;
  out.append(digits, static_cast<size_t>(keep));
  return out;
}

}  // namespace cedar
