// The header and time rules every JWT Writ accepts must pass (RFC 8725 §3), shared by Writ's
// own tokens, agents' client assertions and users' OIDC tokens.
//
// Header: "alg" must be present and one of the caller's allowed algorithms ("none" in any case
// is kAlgorithmNone; HS256 and every other name is kAlgorithmNotAllowed, so a public key can
// never be used as an HMAC secret). A "crit" header is refused (Writ implements no extension).
// "jku", "x5u", "x5c" and "jwk" are ignored: keys come only from Writ's own configuration,
// never from the token. "kid" must be 1-128 characters of [A-Za-z0-9._-]: it can carry neither
// a path nor SQL, and it is only ever looked up in memory.
//
// All functions are pure and thread-safe; errors are IdentityFailure codes (errors.h).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/jose.h"
#include "base/status.h"

namespace writ::identity {

inline constexpr size_t kMaxKeyIdBytes = 128;

struct JwsHeader {
  JwsAlgorithm algorithm = JwsAlgorithm::kEdDSA;
  std::string kid;  // empty when absent (and not required)
  std::string typ;  // empty when absent
};

Result<JwsHeader> CheckJwsHeader(std::string_view header_json,
                                 const std::vector<JwsAlgorithm>& allowed, bool kid_required);
Status ValidateKeyId(std::string_view kid);

// A NumericDate claim (RFC 7519 §2) as whole seconds; fractions are truncated. kClaimsInvalid
// when present but not a number; std::nullopt in `*out` when absent.
Status ReadNumericDate(const boost::json::object& claims, const char* name,
                       std::optional<int64_t>* out);

// True when "aud" (a string or an array of strings) contains `audience`.
bool AudienceContains(const boost::json::object& claims, std::string_view audience);

// Time rules with `skew_s` of tolerance: kExpired once now >= exp + skew, kNotYetValid while
// now + skew < nbf or now + skew < iat. Absent claims are not checked.
Status CheckTimes(std::optional<int64_t> exp, std::optional<int64_t> nbf,
                  std::optional<int64_t> iat, int64_t now_s, int64_t skew_s);

}  // namespace writ::identity
