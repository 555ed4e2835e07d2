// The refusal codes of the identity part.
//
// Every refusal is a Status whose message starts with a stable snake_case code and ": ", then
// a human explanation ("token_expired: the token expired at 2024-05-01T12:00:00Z"). The code
// is what scripts, HTTP bodies, metrics labels and ledger records carry; docs/identity.md lists
// each one with what it means. The Status's own code says what kind of failure it is:
// invalid_argument for input that cannot be read (malformed or oversized tokens, bad SPIFFE
// IDs), unavailable when a dependency failed (a JWKS could not be fetched), permission_denied
// for everything refused on its merits. Messages never contain a token, a key or a secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace writ::identity {

enum class IdentityError : uint8_t {
  kTokenMalformed,       // token_malformed: not a compact JWS with JSON header and claims
  kTokenTooLarge,        // token_too_large
  kAlgorithmNone,        // alg_none: an unsigned token
  kAlgorithmNotAllowed,  // alg_not_allowed: HMAC, unknown, or not the key's algorithm
  kHeaderUnsupported,    // header_unsupported: a "crit" header Writ does not implement
  kTokenTypeMismatch,    // token_type_mismatch: "typ" is not the kind expected here
  kKeyIdInvalid,         // kid_invalid: missing, too long, or characters outside [A-Za-z0-9_-.]
  kKeyIdUnknown,         // kid_unknown: no key with this id verifies now
  kSignatureInvalid,     // signature_invalid: header, claims or signature changed
  kClaimsInvalid,        // claims_invalid: a required claim is missing or of the wrong type
  kExpired,              // token_expired
  kNotYetValid,          // token_not_yet_valid
  kAudienceMismatch,     // audience_mismatch
  kIssuerMismatch,       // issuer_mismatch
  kTokenRevoked,         // token_revoked
  kAncestorRevoked,      // ancestor_revoked: a token it was delegated from is revoked
  kTaskRevoked,          // task_revoked: its task ended or was revoked
  kAgentRevoked,         // agent_revoked: its agent, or an agent in its actor chain
  kUserRevoked,          // user_revoked
  kCredentialUsed,       // credential_already_used: a single-use credential replayed
  kCredentialMismatch,   // credential_binding_mismatch: another decision id
  kAssertionReplayed,    // assertion_replayed: a client assertion's jti seen before
  kAssertionInvalid,     // assertion_invalid: iss/sub/jti/exp rules of RFC 7523 broken
  kClientUnknown,        // client_unknown: no such agent
  kClientAuthFailed,     // client_auth_failed: wrong client secret, or no credential
  kScopeWidening,        // scope_widening: an exchange asked for a scope the parent lacks
  kLifetimeExtension,    // lifetime_extension: an exchange asked to outlive the parent
  kParentRevoked,        // parent_revoked
  kParentExpired,        // parent_expired
  kParentInvalid,        // parent_invalid: the subject token fails for another reason
  kDepthExceeded,        // delegation_depth_exceeded
  kExchangeDenied,       // exchange_denied: policy refused the delegation
  kSpiffeIdInvalid,      // spiffe_id_invalid
  kSecretReleaseDenied,  // secret_release_denied: not an allowed decision, or wrong audience
  kJwksUnavailable,      // jwks_unavailable: a provider's keys could not be read
};
inline constexpr int kIdentityErrorCount = 35;

// The stable name of a code ("token_expired", ...).
std::string_view IdentityErrorName(IdentityError error);
std::optional<IdentityError> ParseIdentityErrorName(std::string_view name);

// A Status carrying `error`: "<name>: <message>" with the matching StatusCode.
Status IdentityFailure(IdentityError error, std::string_view message);

// The identity code of a Status built by IdentityFailure, or std::nullopt.
std::optional<IdentityError> IdentityErrorOf(const Status& status);

}  // namespace writ::identity
