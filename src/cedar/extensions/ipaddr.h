// Cedar's `ipaddr` extension type: an IPv4 or IPv6 address with a prefix length (a CIDR
// range). The address keeps its host bits: ip("10.0.0.1/24") != ip("10.0.0.0/24").
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "cedar/error.h"

namespace cedar {

struct IpAddr {
  std::array<uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3]
  uint8_t prefix = 0;               // 0..32 for IPv4, 0..128 for IPv6
  bool v6 = false;

  // Strict parsing as Cedar defines it: dotted-quad IPv4 without leading zeros, RFC 4291
  // IPv6 text forms, optional "/prefix" in range.
  static Result<IpAddr> Parse(std::string_view text);
  std::string ToString() const;

  bool IsIpv4() const { return !v6; }
  bool IsIpv6() const { return v6; }
  bool IsLoopback() const;
  bool IsMulticast() const;
  // True when this range lies within `range` (both of the same family).
  bool IsInRange(const IpAddr& range) const;

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

}  // namespace cedar
