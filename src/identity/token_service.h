// TokenService: issues, delegates, verifies, consumes, introspects and revokes the tokens Writ
// issues (claims.h gives their format).
//
//   IssueTaskToken   a task token for a registered agent acting for a user (depth 0).
//   Exchange         OAuth 2.0 Token Exchange (RFC 8693): a delegated token for a sub-agent,
//                    with scopes ⊆ the parent's, expiry ≤ the parent's, depth + 1 ≤ the
//                    maximum, and the nested `act` chain naming every prior actor. A decision
//                    callback (the server wires Cedar into it) decides each exchange.
//   IssueCredential  a just-in-time credential: bound to one decision id and one audience,
//                    seconds of lifetime, single use.
//   Verify           signature, header rules (jws_policy.h), type, issuer, audience, times and
//                    revocation of the whole lineage; verified tokens are cached
//                    (verified_token_cache.h) and the time and revocation checks re-run on every
//                    call. The revocations are those of the index, caught up with the store at
//                    most `revocation_refresh_ms` ago (so another process's revocations count);
//                    `unavailable` when the store cannot be read for that.
//   ConsumeCredential / Introspect (RFC 7662): a credential's first use consumes it with one
//                    atomic store update; afterwards it is inactive everywhere.
//   Revoke / EndTask by token, task, agent or user; cascades to every descendant (the tokens
//                    carry their lineage, see revocation_index.h), is persisted before it
//                    returns, and is reported token by token.
//
// Events (events.h): every issue, exchange, credential use and revocation, and every refusal
// with its code. Issuing fails closed (`unavailable`, nothing handed out) when the event cannot
// be recorded.
//
// Errors are IdentityFailure codes (errors.h) for refusals and store codes for storage
// failures. Thread-safety: every method may be called from any number of threads. The store,
// key ring, agent registry, index, sink and clock must outlive the service.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/status.h"
#include "identity/agent_registry.h"
#include "identity/claims.h"
#include "identity/events.h"
#include "identity/revocation_index.h"
#include "identity/signing_keys.h"
#include "identity/verified_token_cache.h"
#include "store/identity_store.h"

namespace writ::identity {

struct TokenServiceOptions {
  std::string issuer;                     // "iss" of every token, e.g. "https://writ.example"
  std::string default_audience = "writ";  // "aud" unless a request names another
  int64_t task_token_lifetime_s = 600;
  int64_t max_task_token_lifetime_s = 3600;
  int64_t credential_lifetime_s = 60;
  int64_t max_credential_lifetime_s = 300;
  int max_delegation_depth = 4;
  int64_t clock_skew_s = 30;
  size_t max_token_bytes = 8192;
  size_t verified_cache_capacity = 16384;  // about 1.2 KB each
  // Before a verification or an issue, the revocation index catches up with the store when its
  // last load is this old (RevocationIndex::CatchUp), so that a revocation another process
  // stored (`writ revoke` beside `writ serve`) refuses every call that starts this long after it.
  int64_t revocation_refresh_ms = 100;
};

// A verified token: its claims and what its revocation check needs.
struct VerifiedToken {
  TokenClaims claims;
  RevocationKeys revocation_keys;
  std::string kid;
  Digest digest{};  // SHA-256 of the token's bytes
};

struct IssuedToken {
  std::string token;  // the compact JWS: a bearer secret, never logged
  TokenClaims claims;
};

struct TaskTokenRequest {
  std::string agent;           // registered agent name
  UserRef user;                // the verified user it acts for
  std::string task_id;         // empty: a fresh random id
  std::string transaction_id;  // empty: a fresh random id
  std::vector<std::string> scopes;
  std::string intent;      // the declared intent, kept only as its SHA-256
  std::string audience;    // empty: the default audience
  int64_t lifetime_s = 0;  // 0: the default
};

struct ExchangeRequest {
  std::string subject_token;        // the parent token
  std::string actor;                // the registered agent the authority is delegated to
  std::vector<std::string> scopes;  // empty: the parent's scopes
  std::string audience;             // empty: the parent's audience
  int64_t lifetime_s = 0;           // 0: the default, capped at the parent's expiry
};

// What a delegation decision sees.
struct ExchangeProposal {
  const VerifiedToken& parent;
  const TokenClaims& child;
  const Agent& actor;
};
// Returns ok to allow the exchange; any error refuses it (reported as exchange_denied with the
// error's message as the reason).
using ExchangeDecider = std::function<Status(const ExchangeProposal&)>;

struct CredentialRequest {
  std::string parent_token;  // the task or delegated token the decision was made for
  std::string decision_id;
  std::string audience;             // the one service that may accept it
  std::vector<std::string> scopes;  // empty: the parent's
  int64_t lifetime_s = 0;           // 0: the default
};

struct VerifyOptions {
  // The audience the token must name; empty: the default audience. Ignored when any_audience.
  std::string audience;
  bool any_audience = false;
  bool allow_credential = false;  // accept typ writ-cred+jwt (otherwise task/delegated only)
  bool credential_only = false;   // accept only credentials
};

struct RevocationOutcome {
  int64_t revocation_id = 0;
  bool newly_revoked = false;              // false when the target had been revoked before
  std::vector<store::StoredToken> tokens;  // unexpired tokens it made inactive
};

class TokenService {
 public:
  TokenService(store::IdentityStore& store, SigningKeyRing& keys, AgentRegistry& agents,
               RevocationIndex& revocations, EventSink& events, const Clock& clock,
               TokenServiceOptions options);

  Result<IssuedToken> IssueTaskToken(const TaskTokenRequest& request);
  Result<IssuedToken> Exchange(const ExchangeRequest& request, const ExchangeDecider& decide);
  Result<IssuedToken> IssueCredential(const CredentialRequest& request);

  Result<std::shared_ptr<const VerifiedToken>> Verify(std::string_view token,
                                                      const VerifyOptions& options = {});
  // Verifies a credential for `audience` (and `decision_id` when not empty) and consumes it.
  Result<std::shared_ptr<const VerifiedToken>> ConsumeCredential(std::string_view token,
                                                                 std::string_view audience,
                                                                 std::string_view decision_id);
  // The RFC 7662 §2.2 response for `token`: {"active": false} for anything not active;
  // otherwise active with the token's claims. A credential is consumed by its introspection
  // (its audience must be `audience` when given), so only the first introspection is active.
  boost::json::object Introspect(std::string_view token, std::string_view audience = {});

  // `value`: a token id, a task id, an agent SPIFFE ID or name, or a user subject.
  Result<RevocationOutcome> Revoke(store::RevocationTarget target, std::string_view value,
                                   std::string_view reason);
  Result<RevocationOutcome> EndTask(std::string_view task_id);

  const TokenServiceOptions& options() const { return options_; }
  size_t cache_size() const { return cache_.size(); }

 private:
  Result<std::shared_ptr<const VerifiedToken>> VerifyUncached(std::string_view token,
                                                              const Digest& digest,
                                                              const VerifyOptions& options,
                                                              int64_t now_us);
  Status CatchUpRevocations();
  Status CheckUse(const VerifiedToken& t, const VerifyOptions& options, int64_t now_us) const;
  Result<IssuedToken> SignAndRecord(TokenClaims claims, const store::StoredToken& row,
                                    IdentityEvent event);
  Status Refuse(const Status& why, const VerifiedToken* token, const Digest* digest,
                std::string_view what);
  Result<std::string> NewId() const;

  store::IdentityStore& store_;
  SigningKeyRing& keys_;
  AgentRegistry& agents_;
  RevocationIndex& revocations_;
  EventSink& events_;
  const Clock& clock_;
  TokenServiceOptions options_;
  VerifiedTokenCache cache_;
};

// The RFC 7662 response of an active token.
boost::json::object IntrospectionResponse(const TokenClaims& claims);

}  // namespace writ::identity
