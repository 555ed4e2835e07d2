#include "identity/jws_policy.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>

#include "base/canonical_json.h"
#include "base/clock.h"
#include "identity/errors.h"

namespace writ::identity {

namespace json = boost::json;

Status ValidateKeyId(std::string_view kid) {
  if (kid.empty() || kid.size() > kMaxKeyIdBytes) {
    return IdentityFailure(IdentityError::kKeyIdInvalid, "\"kid\" is empty or too long");
  }
  for (char c : kid) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return IdentityFailure(IdentityError::kKeyIdInvalid,
                             "\"kid\" has characters outside [A-Za-z0-9._-]");
    }
  }
  return Status::Ok();
}

Result<JwsHeader> CheckJwsHeader(std::string_view header_json,
                                 const std::vector<JwsAlgorithm>& allowed, bool kid_required) {
  auto parsed = ParseJson(header_json);
  if (!parsed.ok() || !parsed->is_object()) {
    return IdentityFailure(IdentityError::kTokenMalformed, "the header is not a JSON object");
  }
  const json::object& h = parsed->as_object();
  auto alg_it = h.find("alg");
  if (alg_it == h.end() || !alg_it->value().is_string()) {
    return IdentityFailure(IdentityError::kTokenMalformed, "the header has no \"alg\"");
  }
  std::string alg_name(alg_it->value().as_string());
  std::string lower = alg_name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "none") {
    return IdentityFailure(IdentityError::kAlgorithmNone, "unsigned tokens are never accepted");
  }
  auto alg = ParseJwsAlgorithm(alg_name);
  if (!alg || std::find(allowed.begin(), allowed.end(), *alg) == allowed.end()) {
    return IdentityFailure(IdentityError::kAlgorithmNotAllowed,
                           "algorithm \"" + alg_name.substr(0, 16) + "\" is not accepted here");
  }
  if (h.contains("crit")) {
    return IdentityFailure(IdentityError::kHeaderUnsupported,
                           "the header names critical extensions Writ does not implement");
  }
  JwsHeader out;
  out.algorithm = *alg;
  if (auto kid = h.find("kid"); kid != h.end()) {
    if (!kid->value().is_string()) {
      return IdentityFailure(IdentityError::kKeyIdInvalid, "\"kid\" is not a string");
    }
    WRIT_RETURN_IF_ERROR(ValidateKeyId(kid->value().as_string()));
    out.kid = std::string(kid->value().as_string());
  } else if (kid_required) {
    return IdentityFailure(IdentityError::kKeyIdInvalid, "the header has no \"kid\"");
  }
  if (auto typ = h.find("typ"); typ != h.end()) {
    if (!typ->value().is_string()) {
      return IdentityFailure(IdentityError::kTokenMalformed, "\"typ\" is not a string");
    }
    out.typ = std::string(typ->value().as_string());
  }
  return out;
}

Status ReadNumericDate(const json::object& claims, const char* name, std::optional<int64_t>* out) {
  out->reset();
  auto it = claims.find(name);
  if (it == claims.end()) return Status::Ok();
  const json::value& v = it->value();
  if (v.is_int64()) {
    *out = v.as_int64();
  } else if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(v.as_uint64());
  } else if (v.is_double() && std::isfinite(v.as_double()) && std::fabs(v.as_double()) < 1e15) {
    *out = static_cast<int64_t>(std::floor(v.as_double()));
  } else {
    return IdentityFailure(IdentityError::kClaimsInvalid,
                           std::string("claim \"") + name + "\" is not a NumericDate");
  }
  return Status::Ok();
}

bool AudienceContains(const json::object& claims, std::string_view audience) {
  auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->value().is_string()) return it->value().as_string() == audience;
  if (!it->value().is_array()) return false;
  for (const json::value& v : it->value().as_array()) {
    if (v.is_string() && v.as_string() == audience) return true;
  }
  return false;
}

Status CheckTimes(std::optional<int64_t> exp, std::optional<int64_t> nbf,
                  std::optional<int64_t> iat, int64_t now_s, int64_t skew_s) {
  if (exp && now_s >= *exp + skew_s) {
    return IdentityFailure(IdentityError::kExpired,
                           "the token expired at " + FormatRfc3339Micros(*exp * 1000000));
  }
  if (nbf && now_s + skew_s < *nbf) {
    return IdentityFailure(IdentityError::kNotYetValid,
                           "the token is not valid before " + FormatRfc3339Micros(*nbf * 1000000));
  }
  if (iat && now_s + skew_s < *iat) {
    return IdentityFailure(IdentityError::kNotYetValid, "the token was issued in the future");
  }
  return Status::Ok();
}

}  // namespace writ::identity
