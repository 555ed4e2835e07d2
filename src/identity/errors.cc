#include "identity/errors.h"

#include <array>

namespace writ::identity {
namespace {

constexpr std::array<std::string_view, kIdentityErrorCount> kNames = {
    "token_malformed",
    "token_too_large",
    "alg_none",
    "alg_not_allowed",
    "header_unsupported",
    "token_type_mismatch",
    "kid_invalid",
    "kid_unknown",
    "signature_invalid",
    "claims_invalid",
    "token_expired",
    "token_not_yet_valid",
    "audience_mismatch",
    "issuer_mismatch",
    "token_revoked",
    "ancestor_revoked",
    "task_revoked",
    "agent_revoked",
    "user_revoked",
    "credential_already_used",
    "credential_binding_mismatch",
    "assertion_replayed",
    "assertion_invalid",
    "client_unknown",
    "client_auth_failed",
    "scope_widening",
    "lifetime_extension",
    "parent_revoked",
    "parent_expired",
    "parent_invalid",
    "delegation_depth_exceeded",
    "exchange_denied",
    "spiffe_id_invalid",
    "secret_release_denied",
    "jwks_unavailable",
};

StatusCode CodeFor(IdentityError e) {
  switch (e) {
    case IdentityError::kTokenMalformed:
    case IdentityError::kTokenTooLarge:
    case IdentityError::kClaimsInvalid:
    case IdentityError::kSpiffeIdInvalid:
      return StatusCode::kInvalidArgument;
    case IdentityError::kJwksUnavailable:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kPermissionDenied;
  }
}

}  // namespace

std::string_view IdentityErrorName(IdentityError error) {
  auto i = static_cast<size_t>(error);
  return i < kNames.size() ? kNames[i] : std::string_view("identity_error");
}

std::optional<IdentityError> ParseIdentityErrorName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<IdentityError>(i);
  }
  return std::nullopt;
}

Status IdentityFailure(IdentityError error, std::string_view message) {
  std::string text(IdentityErrorName(error));
  text += ": ";
  text += message;
  return Status(CodeFor(error), std::move(text));
}

std::optional<IdentityError> IdentityErrorOf(const Status& status) {
  if (status.ok()) return std::nullopt;
  std::string_view m = status.message();
  size_t colon = m.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  auto e = ParseIdentityErrorName(m.substr(0, colon));
  if (!e || CodeFor(*e) != status.code()) return std::nullopt;
  return e;
}

}  // namespace writ::identity
