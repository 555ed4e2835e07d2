#include "cedar/extensions/ipaddr.h"

#include <cstddef>
#include <optional>

namespace cedar {

namespace {

constexpr uint8_t kV4Bits = 32;
constexpr uint8_t kV6Bits = 128;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kEvaluation, std::move(message));
}

// Dotted quad: exactly four decimal numbers 0..255, no sign, no leading zero.
bool ParseV4(std::string_view s, std::array<uint8_t, 16>& bytes) {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    size_t begin = i;
    unsigned value = 0;
    while (i < s.size() && IsDigit(s[i]) && i - begin < 3) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    size_t len = i - begin;
    if (len == 0 || value > 255) return false;
    if (len > 1 && s[begin] == '0') return false;
    bytes[static_cast<size_t>(part)] = static_cast<uint8_t>(value);
  }
  return i == s.size();
}

// Colon-separated groups of one to four hex digits; an empty piece yields no groups.
bool ParseV6Groups(std::string_view s, uint16_t* groups, int& count, int max) {
  count = 0;
  if (s.empty()) return true;
  size_t i = 0;
  while (true) {
    size_t begin = i;
    unsigned value = 0;
    while (i < s.size() && HexValue(s[i]) >= 0) {
      if (i - begin == 4) return false;
      value = value * 16 + static_cast<unsigned>(HexValue(s[i]));
      ++i;
    }
    if (i == begin || count == max) return false;
    groups[count++] = static_cast<uint16_t>(value);
    if (i == s.size()) return true;
    if (s[i] != ':') return false;
    ++i;
  }
}

// RFC 4291 section 2.2 forms 1 and 2 (full and `::`-compressed); the form with an embedded
// dotted quad is not accepted.
bool ParseV6(std::string_view s, std::array<uint8_t, 16>& bytes) {
  uint16_t head[8];
  uint16_t tail[8];
  int head_count = 0;
  int tail_count = 0;
  size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!ParseV6Groups(s, head, head_count, 8) || head_count != 8) return false;
  } else {
    std::string_view left = s.substr(0, gap);
    std::string_view right = s.substr(gap + 2);
    if (!ParseV6Groups(left, head, head_count, 7)) return false;
    if (!ParseV6Groups(right, tail, tail_count, 7)) return false;
    // `::` stands for at least one group of zeros.
    if (head_count + tail_count > 7) return false;
  }
  bytes.fill(0);
  for (int g = 0; g < head_count; ++g) {
    bytes[static_cast<size_t>(2 * g)] = static_cast<uint8_t>(head[g] >> 8);
    bytes[static_cast<size_t>(2 * g + 1)] = static_cast<uint8_t>(head[g] & 0xff);
  }
  for (int g = 0; g < tail_count; ++g) {
    int at = 8 - tail_count + g;
    bytes[static_cast<size_t>(2 * at)] = static_cast<uint8_t>(tail[g] >> 8);
    bytes[static_cast<size_t>(2 * at + 1)] = static_cast<uint8_t>(tail[g] & 0xff);
  }
  return true;
}

Result<uint8_t> ParsePrefix(std::string_view text, std::string_view digits, uint8_t max) {
  const std::string where = "in `" + std::string(text) + "`";
  if (digits.empty()) return Invalid("missing prefix length after `/` " + where);
  for (char c : digits) {
    if (!IsDigit(c)) {
      return Invalid("the prefix length `" + std::string(digits) + "` " + where +
                     " must be a decimal number");
    }
  }
  if (digits.size() > 1 && digits[0] == '0') {
    return Invalid("the prefix length `" + std::string(digits) + "` " + where +
                   " must not have leading zeros");
  }
  // Any valid length has at most three digits; longer ones are out of range.
  unsigned value = 0;
  if (digits.size() <= 3) {
    for (char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (digits.size() > 3 || value > max) {
    return Invalid("the prefix length `" + std::string(digits) + "` " + where +
                   " is too large: at most " + std::to_string(max) + " is allowed for an " +
                   (max == kV4Bits ? "IPv4" : "IPv6") + " address");
  }
  return static_cast<uint8_t>(value);
}

// True when the first `bits` bits of `a` and `b` agree.
bool SamePrefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, unsigned bits) {
  size_t whole = bits / 8;
  for (size_t k = 0; k < whole; ++k) {
    if (a[k] != b[k]) return false;
  }
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

IpAddr Range(bool v6, std::array<uint8_t, 16> bytes, uint8_t prefix) {
  IpAddr r;
  r.v6 = v6;
  r.bytes = bytes;
  r.prefix = prefix;
  return r;
}

}  // namespace

Result<IpAddr> IpAddr::Parse(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  std::optional<std::string_view> prefix;
  if (slash != std::string_view::npos) prefix = text.substr(slash + 1);

  IpAddr ip;
  if (address.find(':') != std::string_view::npos) {
    if (!ParseV6(address, ip.bytes)) {
      std::string_view last = address.substr(address.rfind(':') + 1);
      if (last.find('.') != std::string_view::npos) {
        return Invalid("`" + std::string(text) +
                       "` is not supported: IPv6 addresses with an embedded IPv4 address "
                       "(like `::ffff:127.0.0.1`) must be written in hexadecimal groups");
      }
      return Invalid("`" + std::string(address) + "` is not a valid IPv6 address");
    }
    ip.v6 = true;
  } else if (!ParseV4(address, ip.bytes)) {
    return Invalid("`" + std::string(address) +
                   "` is not a valid IPv4 address: expected four numbers from 0 to 255 "
                   "without leading zeros, separated by `.`");
  }
  uint8_t max = ip.v6 ? kV6Bits : kV4Bits;
  ip.prefix = max;
  if (prefix) {
    auto p = ParsePrefix(text, *prefix, max);
    if (!p) return p.take_error();
    ip.prefix = *p;
  }
  return ip;
}

std::string IpAddr::ToString() const {
  std::string out;
  if (!v6) {
    for (size_t k = 0; k < 4; ++k) {
      if (k > 0) out += '.';
      out += std::to_string(bytes[k]);
    }
  } else {
    uint16_t groups[8];
    for (size_t g = 0; g < 8; ++g) {
      groups[g] = static_cast<uint16_t>((bytes[2 * g] << 8) | bytes[2 * g + 1]);
    }
    // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
    int best_at = -1;
    int best_len = 1;
    for (int g = 0; g < 8;) {
      if (groups[g] != 0) {
        ++g;
        continue;
      }
      int start = g;
      while (g < 8 && groups[g] == 0) ++g;
      if (g - start > best_len) {
        best_at = start;
        best_len = g - start;
      }
    }
    static constexpr char kHex[] = "0123456789abcdef";
    auto append_group = [&](uint16_t v) {
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        int nibble = (v >> shift) & 0xf;
        if (nibble != 0 || started || shift == 0) {
          out += kHex[nibble];
          started = true;
        }
      }
    };
    for (int g = 0; g < 8; ++g) {
      if (g == best_at) {
        out += "::";
        g += best_len - 1;
        continue;
      }
      if (g > 0 && g != best_at + best_len) out += ':';
      append_group(groups[g]);
    }
  }
  if (prefix != (v6 ? kV6Bits : kV4Bits)) out += "/" + std::to_string(prefix);
  return out;
}

bool IpAddr::IsInRange(const IpAddr& range) const {
  if (v6 != range.v6) return false;
  // Every address of this range shares its first `prefix` bits, so it lies in `range` exactly
  // when it is no wider and agrees with it on the bits `range` fixes.
  if (prefix < range.prefix) return false;
  return SamePrefix(bytes, range.bytes, range.prefix);
}

bool IpAddr::IsLoopback() const {
  // The whole range must be loopback: 127.0.0.0/8, or ::1 itself.
  std::array<uint8_t, 16> b{};
  if (!v6) {
    b[0] = 127;
    return IsInRange(Range(false, b, 8));
  }
  b[15] = 1;
  return IsInRange(Range(true, b, kV6Bits));
}

bool IpAddr::IsMulticast() const {
  // The whole range must be multicast: 224.0.0.0/4 or ff00::/8.
  std::array<uint8_t, 16> b{};
  if (!v6) {
    b[0] = 224;
    return IsInRange(Range(false, b, 4));
  }
  b[0] = 0xff;
  return IsInRange(Range(true, b, 8));
}

}  // namespace cedar
