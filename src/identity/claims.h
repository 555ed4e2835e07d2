// The claims of the tokens Writ issues, and their JSON form.
//
// Task and delegated tokens are JWTs with header typ "writ+jwt"; just-in-time credentials use
// typ "writ-cred+jwt", so that neither can stand in for the other (RFC 8725 §3.11). Claims:
//   iss, sub (the agent's SPIFFE ID), aud, exp, iat, nbf (NumericDate seconds), jti,
//   kind      "task" | "delegated" | "credential"
//   task      the task id            txn    the transaction (trace) id
//   usr       {"sub": ..., "iss": ...} the user the token acts for
//   scope     space-separated scopes (RFC 8693 §4.2), sorted, no duplicates
//   intent    hex SHA-256 of the declared intent ("" when none was declared)
//   depth     0 for a task token, parent's + 1 for a delegated token, parent's for a credential
//   act       RFC 8693 §4.1 nested actor chain: {"sub": previous actor, "act": {...}}, the
//             nearest prior actor outermost; absent on a task token
//   chain     the ids of every ancestor token, root first (absent on a task token)
//   decision  credentials only: the decision id the credential is bound to
// Every claim Writ signs is verified and used: `chain` and `act` let any node decide revocation
// of the whole lineage from the token alone (docs/identity.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace writ::identity {

enum class TokenKind : uint8_t { kTask, kDelegated, kCredential };

inline constexpr std::string_view kTaskTokenType = "writ+jwt";
inline constexpr std::string_view kCredentialTokenType = "writ-cred+jwt";

std::string_view TokenKindName(TokenKind kind);  // "task", "delegated", "credential"
// The JWT "typ" header of a kind.
std::string_view TokenTypeHeader(TokenKind kind);

struct UserRef {
  std::string subject;
  std::string issuer;
};

struct TokenClaims {
  TokenKind kind = TokenKind::kTask;
  std::string issuer;
  std::string subject;  // SPIFFE ID of the agent
  std::string audience;
  std::string token_id;
  int64_t issued_at = 0;  // seconds
  int64_t not_before = 0;
  int64_t expires_at = 0;
  std::string task_id;
  std::string transaction_id;
  UserRef user;
  std::vector<std::string> scopes;  // sorted, unique
  std::string intent_digest;        // hex SHA-256, or empty
  int depth = 0;
  std::vector<std::string> actors;     // prior actors, nearest first (act, act.act, ...)
  std::vector<std::string> ancestors;  // ancestor token ids, root first
  std::string decision_id;             // credentials only

  const std::string& parent_token_id() const;  // ancestors.back(), or "" for a task token
};

// Canonical JSON of the claims.
Result<std::string> EncodeClaims(const TokenClaims& claims);
// Parses claims; kClaimsInvalid (errors.h) when a claim is missing, of the wrong type, or
// inconsistent (depth and chain disagree, actors and chain disagree, scopes unsorted).
Result<TokenClaims> DecodeClaims(std::string_view json);

// Sorted, de-duplicated scopes; invalid_argument for a scope with a space, a control character
// or a quote (RFC 6749 §3.3 scope-token) or an empty scope.
Result<std::vector<std::string>> NormalizeScopes(std::vector<std::string> scopes);
// Scopes from an RFC 6749 space-separated string.
Result<std::vector<std::string>> ParseScopeString(std::string_view text);
std::string JoinScopes(const std::vector<std::string>& scopes);
// True when every scope of `child` is in `parent` (both sorted).
bool ScopesSubset(const std::vector<std::string>& child, const std::vector<std::string>& parent);

}  // namespace writ::identity
