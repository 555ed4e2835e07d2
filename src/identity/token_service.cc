#include "identity/token_service.h"

#include <algorithm>
#include <boost/json.hpp>

#include "base/encoding.h"
#include "identity/errors.h"
#include "identity/jws_policy.h"
#include "identity/spiffe_id.h"

namespace writ::identity {
namespace {

namespace json = boost::json;
using store::RevocationTarget;

constexpr int64_t kMicros = 1000000;
constexpr size_t kMaxIdBytes = 128;

Status ValidateId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return InvalidArgument(std::string(what) + ": empty or longer than 128 characters");
  }
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '\\') {
      return InvalidArgument(std::string(what) +
                             ": spaces, quotes and control characters are "
                             "not allowed");
    }
  }
  return Status::Ok();
}

// Maps the failure of a parent token to the code of the operation built on it.
Status ParentFailure(const Status& why) {
  auto code = IdentityErrorOf(why);
  if (!code) return why;
  switch (*code) {
    case IdentityError::kExpired:
      return IdentityFailure(IdentityError::kParentExpired, "the subject token has expired");
    case IdentityError::kTokenRevoked:
    case IdentityError::kAncestorRevoked:
    case IdentityError::kTaskRevoked:
    case IdentityError::kAgentRevoked:
    case IdentityError::kUserRevoked:
      return IdentityFailure(
          IdentityError::kParentRevoked,
          "the subject token is revoked (" + std::string(IdentityErrorName(*code)) + ")");
    default:
      return IdentityFailure(IdentityError::kParentInvalid,
                             "the subject token is not acceptable (" + why.message() + ")");
  }
}

json::array JsonStrings(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

void FillEvent(IdentityEvent* ev, const TokenClaims& c) {
  ev->token_id = c.token_id;
  ev->parent_token_id = c.parent_token_id();
  ev->task_id = c.task_id;
  ev->agent = c.subject;
  ev->user = c.user.subject;
  ev->decision_id = c.decision_id;
  ev->detail["kind"] = TokenKindName(c.kind);
  ev->detail["audience"] = c.audience;
  ev->detail["scope"] = JoinScopes(c.scopes);
  ev->detail["depth"] = c.depth;
  ev->detail["expires"] = FormatRfc3339Micros(c.expires_at * kMicros);
  ev->detail["txn"] = c.transaction_id;
  if (!c.actors.empty()) ev->detail["actors"] = JsonStrings(c.actors);
  if (!c.ancestors.empty()) ev->detail["chain"] = JsonStrings(c.ancestors);
}

store::StoredToken RowFor(const TokenClaims& c) {
  store::StoredToken row;
  row.jti = c.token_id;
  row.kind = std::string(TokenKindName(c.kind));
  row.parent_jti = c.parent_token_id();
  row.task_id = c.task_id;
  row.agent = c.subject;
  row.user = c.user.subject;
  row.audience = c.audience;
  row.decision_id = c.decision_id;
  row.scopes = JoinScopes(c.scopes);
  row.depth = c.depth;
  row.issued_us = c.issued_at * kMicros;
  row.expires_us = c.expires_at * kMicros;
  row.single_use = c.kind == TokenKind::kCredential;
  return row;
}

}  // namespace

TokenService::TokenService(store::IdentityStore& store, SigningKeyRing& keys, AgentRegistry& agents,
                           RevocationIndex& revocations, EventSink& events, const Clock& clock,
                           TokenServiceOptions options)
    : store_(store),
      keys_(keys),
      agents_(agents),
      revocations_(revocations),
      events_(events),
      clock_(clock),
      options_(std::move(options)),
      cache_(options_.verified_cache_capacity) {}

Result<std::string> TokenService::NewId() const {
  WRIT_ASSIGN_OR_RETURN(std::string raw, RandomBytes(16));
  return Base64UrlEncode(raw);
}

Status TokenService::Refuse(const Status& why, const VerifiedToken* token, const Digest* digest,
                            std::string_view what) {
  IdentityEvent ev;
  ev.type = EventType::kRefused;
  ev.time_us = clock_.NowMicros();
  if (token != nullptr) FillEvent(&ev, token->claims);
  auto code = IdentityErrorOf(why);
  ev.error = code ? std::string(IdentityErrorName(*code)) : std::string(StatusCodeName(why.code()));
  ev.message = why.message();
  ev.detail["what"] = what;
  if (digest != nullptr) ev.detail["token_sha256"] = DigestHex(*digest);
  (void)events_.Record(ev);  // a refusal stays a refusal whatever the sink says
  return why;
}

Status TokenService::CheckUse(const VerifiedToken& t, const VerifyOptions& o,
                              int64_t now_us) const {
  const TokenClaims& c = t.claims;
  bool is_credential = c.kind == TokenKind::kCredential;
  if (o.credential_only ? !is_credential : (is_credential && !o.allow_credential)) {
    return IdentityFailure(
        IdentityError::kTokenTypeMismatch,
        std::string("a ") + std::string(TokenKindName(c.kind)) + " token is not accepted here");
  }
  if (!o.any_audience) {
    const std::string& want = o.audience.empty() ? options_.default_audience : o.audience;
    if (c.audience != want) {
      return IdentityFailure(IdentityError::kAudienceMismatch, "the token is for another audience");
    }
  }
  WRIT_RETURN_IF_ERROR(CheckTimes(c.expires_at, c.not_before, std::nullopt, now_us / kMicros,
                                  options_.clock_skew_s));
  if (auto revoked = revocations_.Check(c, t.revocation_keys)) {
    return IdentityFailure(*revoked, "the token or its lineage has been revoked");
  }
  return Status::Ok();
}

Status TokenService::CatchUpRevocations() {
  Status s = revocations_.CatchUp(store_, options_.revocation_refresh_ms * 1000);
  if (s.ok()) return s;
  return Unavailable("tokens: the revocations cannot be read, so no token is accepted: " +
                     s.message());
}

Result<std::shared_ptr<const VerifiedToken>> TokenService::Verify(std::string_view token,
                                                                  const VerifyOptions& o) {
  WRIT_RETURN_IF_ERROR(CatchUpRevocations());
  int64_t now = clock_.NowMicros();
  if (token.size() > options_.max_token_bytes) {
    return Refuse(IdentityFailure(IdentityError::kTokenTooLarge,
                                  "the token is larger than " +
                                      std::to_string(options_.max_token_bytes) + " bytes"),
                  nullptr, nullptr, "token");
  }
  if (auto cached = cache_.Find(token, now)) {
    Status s = CheckUse(*cached, o, now);
    if (!s.ok()) return Refuse(s, cached.get(), &cached->digest, "token");
    return cached;
  }
  return VerifyUncached(token, Sha256(token), o, now);
}

Result<std::shared_ptr<const VerifiedToken>> TokenService::VerifyUncached(std::string_view token,
                                                                          const Digest& digest,
                                                                          const VerifyOptions& o,
                                                                          int64_t now) {
  auto parts = SplitCompactJws(token);
  if (!parts.ok()) {
    return Refuse(IdentityFailure(IdentityError::kTokenMalformed, parts.status().message()),
                  nullptr, &digest, "token");
  }
  auto header = CheckJwsHeader(parts->header_json, {JwsAlgorithm::kEdDSA, JwsAlgorithm::kES256},
                               /*kid_required=*/true);
  if (!header.ok()) return Refuse(header.status(), nullptr, &digest, "token");
  if (header->typ != kTaskTokenType && header->typ != kCredentialTokenType) {
    return Refuse(IdentityFailure(IdentityError::kTokenTypeMismatch,
                                  "\"typ\" is not writ+jwt or writ-cred+jwt"),
                  nullptr, &digest, "token");
  }
  auto key = keys_.VerificationKey(header->kid, now);
  if (!key) {
    return Refuse(
        IdentityFailure(IdentityError::kKeyIdUnknown, "no signing key with this id verifies now"),
        nullptr, &digest, "token");
  }
  if (key->algorithm() != header->algorithm) {
    return Refuse(IdentityFailure(IdentityError::kAlgorithmNotAllowed,
                                  "the key does not sign with the header's algorithm"),
                  nullptr, &digest, "token");
  }
  if (!key->Verify(parts->signing_input, parts->signature)) {
    return Refuse(IdentityFailure(IdentityError::kSignatureInvalid,
                                  "the signature does not verify (header, claims or signature "
                                  "changed)"),
                  nullptr, &digest, "token");
  }
  auto claims = DecodeClaims(parts->payload);
  if (!claims.ok()) return Refuse(claims.status(), nullptr, &digest, "token");
  if (TokenTypeHeader(claims->kind) != header->typ) {
    return Refuse(IdentityFailure(IdentityError::kTokenTypeMismatch,
                                  "\"typ\" does not match the token's kind"),
                  nullptr, &digest, "token");
  }
  if (claims->issuer != options_.issuer) {
    return Refuse(
        IdentityFailure(IdentityError::kIssuerMismatch, "the token is from another issuer"),
        nullptr, &digest, "token");
  }
  auto verified = std::make_shared<VerifiedToken>();
  verified->claims = std::move(claims).value();
  verified->revocation_keys = RevocationIndex::KeysFor(verified->claims);
  verified->kid = header->kid;
  verified->digest = digest;
  int64_t valid_until = (verified->claims.expires_at + options_.clock_skew_s) * kMicros;
  if (auto key_until = keys_.VerifyUntil(header->kid); key_until && *key_until != 0) {
    valid_until = std::min(valid_until, *key_until);
  }
  std::shared_ptr<const VerifiedToken> result = std::move(verified);
  cache_.Insert(token, result, valid_until, now);
  Status s = CheckUse(*result, o, now);
  if (!s.ok()) return Refuse(s, result.get(), &digest, "token");
  return result;
}

Result<IssuedToken> TokenService::SignAndRecord(TokenClaims claims, const store::StoredToken& row,
                                                IdentityEvent event) {
  WRIT_ASSIGN_OR_RETURN(auto signer, keys_.SigningKey());
  WRIT_ASSIGN_OR_RETURN(std::string payload, EncodeClaims(claims));
  json::object header{{"typ", TokenTypeHeader(claims.kind)}, {"kid", signer->kid}};
  WRIT_ASSIGN_OR_RETURN(std::string token, SignCompactJws(signer->key, header, payload));
  if (token.size() > options_.max_token_bytes) {
    return InvalidArgument("tokens: the token would exceed " +
                           std::to_string(options_.max_token_bytes) + " bytes");
  }
  WRIT_RETURN_IF_ERROR(store_.InsertToken(row));
  event.time_us = clock_.NowMicros();
  FillEvent(&event, claims);
  event.detail["kid"] = signer->kid;
  Status recorded = events_.Record(event);
  if (!recorded.ok()) {
    return Unavailable("tokens: the issue could not be recorded, so no token is handed out: " +
                       recorded.message());
  }
  return IssuedToken{std::move(token), std::move(claims)};
}

Result<IssuedToken> TokenService::IssueTaskToken(const TaskTokenRequest& r) {
  int64_t now = clock_.NowMicros();
  auto agent = agents_.Find(r.agent);
  if (!agent.ok()) return agent.status();
  if (!*agent) {
    return Refuse(IdentityFailure(IdentityError::kClientUnknown, "no agent `" + r.agent + "`"),
                  nullptr, nullptr, "task_token");
  }
  if (r.user.subject.empty() || r.user.subject.size() > 512 || r.user.issuer.size() > 512) {
    return InvalidArgument("tokens: the user needs a subject (at most 512 characters)");
  }
  WRIT_ASSIGN_OR_RETURN(std::vector<std::string> scopes, NormalizeScopes(r.scopes));
  int64_t lifetime = r.lifetime_s == 0 ? options_.task_token_lifetime_s : r.lifetime_s;
  if (lifetime < 1 || lifetime > options_.max_task_token_lifetime_s) {
    return InvalidArgument("tokens: lifetime must be 1.." +
                           std::to_string(options_.max_task_token_lifetime_s) + " s");
  }
  TokenClaims c;
  c.kind = TokenKind::kTask;
  c.issuer = options_.issuer;
  c.subject = (*agent)->spiffe_id;
  c.audience = r.audience.empty() ? options_.default_audience : r.audience;
  WRIT_ASSIGN_OR_RETURN(c.token_id, NewId());
  if (r.task_id.empty()) {
    WRIT_ASSIGN_OR_RETURN(c.task_id, NewId());
  } else {
    WRIT_RETURN_IF_ERROR(ValidateId("tokens: task id", r.task_id));
    c.task_id = r.task_id;
  }
  if (r.transaction_id.empty()) {
    WRIT_ASSIGN_OR_RETURN(c.transaction_id, NewId());
  } else {
    WRIT_RETURN_IF_ERROR(ValidateId("tokens: transaction id", r.transaction_id));
    c.transaction_id = r.transaction_id;
  }
  WRIT_RETURN_IF_ERROR(ValidateId("tokens: audience", c.audience));
  c.user = r.user;
  c.scopes = std::move(scopes);
  if (!r.intent.empty()) c.intent_digest = DigestHex(Sha256(r.intent));
  c.issued_at = now / kMicros;
  c.not_before = c.issued_at;
  c.expires_at = c.issued_at + lifetime;
  VerifiedToken probe{c, RevocationIndex::KeysFor(c), "", {}};
  WRIT_RETURN_IF_ERROR(CatchUpRevocations());
  if (auto revoked = revocations_.Check(c, probe.revocation_keys)) {
    return Refuse(IdentityFailure(*revoked, "cannot issue for a revoked task, agent or user"),
                  &probe, nullptr, "task_token");
  }
  IdentityEvent ev;
  ev.type = EventType::kTokenIssued;
  ev.detail["intent_sha256"] = c.intent_digest;
  store::StoredToken row = RowFor(c);
  return SignAndRecord(std::move(c), row, std::move(ev));
}

Result<IssuedToken> TokenService::Exchange(const ExchangeRequest& r,
                                           const ExchangeDecider& decide) {
  int64_t now = clock_.NowMicros();
  VerifyOptions vo;
  vo.any_audience = true;
  auto parent = Verify(r.subject_token, vo);
  if (!parent.ok()) return Refuse(ParentFailure(parent.status()), nullptr, nullptr, "exchange");
  const TokenClaims& p = (*parent)->claims;
  const VerifiedToken* pv = parent->get();
  auto actor = agents_.Find(r.actor);
  if (!actor.ok()) return actor.status();
  if (!*actor) {
    return Refuse(IdentityFailure(IdentityError::kClientUnknown, "no agent `" + r.actor + "`"), pv,
                  nullptr, "exchange");
  }
  if (revocations_.IsRevoked(RevocationTarget::kAgent, (*actor)->spiffe_id)) {
    return Refuse(IdentityFailure(IdentityError::kAgentRevoked, "the actor agent is revoked"), pv,
                  nullptr, "exchange");
  }
  if (p.depth + 1 > options_.max_delegation_depth) {
    return Refuse(IdentityFailure(IdentityError::kDepthExceeded,
                                  "delegation depth " + std::to_string(p.depth + 1) +
                                      " exceeds the maximum of " +
                                      std::to_string(options_.max_delegation_depth)),
                  pv, nullptr, "exchange");
  }
  std::vector<std::string> scopes = p.scopes;
  if (!r.scopes.empty()) {
    WRIT_ASSIGN_OR_RETURN(scopes, NormalizeScopes(r.scopes));
    if (!ScopesSubset(scopes, p.scopes)) {
      std::vector<std::string> extra;
      std::set_difference(scopes.begin(), scopes.end(), p.scopes.begin(), p.scopes.end(),
                          std::back_inserter(extra));
      return Refuse(IdentityFailure(IdentityError::kScopeWidening,
                                    "the parent token lacks scope(s): " + JoinScopes(extra)),
                    pv, nullptr, "exchange");
    }
  }
  int64_t now_s = now / kMicros;
  int64_t exp;
  if (r.lifetime_s < 0 || r.lifetime_s > options_.max_task_token_lifetime_s) {
    return InvalidArgument("tokens: lifetime must be 0.." +
                           std::to_string(options_.max_task_token_lifetime_s) + " s");
  }
  if (r.lifetime_s > 0) {
    exp = now_s + r.lifetime_s;
    if (exp > p.expires_at) {
      return Refuse(IdentityFailure(IdentityError::kLifetimeExtension,
                                    "the delegated token would outlive its parent"),
                    pv, nullptr, "exchange");
    }
  } else {
    exp = std::min(now_s + options_.task_token_lifetime_s, p.expires_at);
  }
  TokenClaims c;
  c.kind = TokenKind::kDelegated;
  c.issuer = options_.issuer;
  c.subject = (*actor)->spiffe_id;
  c.audience = r.audience.empty() ? p.audience : r.audience;
  WRIT_RETURN_IF_ERROR(ValidateId("tokens: audience", c.audience));
  WRIT_ASSIGN_OR_RETURN(c.token_id, NewId());
  c.task_id = p.task_id;
  c.transaction_id = p.transaction_id;
  c.user = p.user;
  c.scopes = std::move(scopes);
  c.intent_digest = p.intent_digest;
  c.depth = p.depth + 1;
  c.actors.push_back(p.subject);
  c.actors.insert(c.actors.end(), p.actors.begin(), p.actors.end());
  c.ancestors = p.ancestors;
  c.ancestors.push_back(p.token_id);
  c.issued_at = now_s;
  c.not_before = now_s;
  c.expires_at = exp;
  if (decide) {
    Status verdict = decide(ExchangeProposal{*pv, c, **actor});
    if (!verdict.ok()) {
      return Refuse(IdentityFailure(IdentityError::kExchangeDenied, verdict.message()), pv, nullptr,
                    "exchange");
    }
  }
  IdentityEvent ev;
  ev.type = EventType::kTokenExchanged;
  ev.detail["grant_type"] = "urn:ietf:params:oauth:grant-type:token-exchange";
  store::StoredToken row = RowFor(c);
  return SignAndRecord(std::move(c), row, std::move(ev));
}

Result<IssuedToken> TokenService::IssueCredential(const CredentialRequest& r) {
  int64_t now = clock_.NowMicros();
  VerifyOptions vo;
  vo.any_audience = true;
  auto parent = Verify(r.parent_token, vo);
  if (!parent.ok()) return Refuse(ParentFailure(parent.status()), nullptr, nullptr, "credential");
  const TokenClaims& p = (*parent)->claims;
  const VerifiedToken* pv = parent->get();
  WRIT_RETURN_IF_ERROR(ValidateId("credentials: decision id", r.decision_id));
  WRIT_RETURN_IF_ERROR(ValidateId("credentials: audience", r.audience));
  std::vector<std::string> scopes = p.scopes;
  if (!r.scopes.empty()) {
    WRIT_ASSIGN_OR_RETURN(scopes, NormalizeScopes(r.scopes));
    if (!ScopesSubset(scopes, p.scopes)) {
      return Refuse(IdentityFailure(IdentityError::kScopeWidening,
                                    "the credential asks for scopes its token lacks"),
                    pv, nullptr, "credential");
    }
  }
  int64_t lifetime = r.lifetime_s == 0 ? options_.credential_lifetime_s : r.lifetime_s;
  if (lifetime < 1 || lifetime > options_.max_credential_lifetime_s) {
    return InvalidArgument("credentials: lifetime must be 1.." +
                           std::to_string(options_.max_credential_lifetime_s) + " s");
  }
  int64_t now_s = now / kMicros;
  int64_t exp = now_s + lifetime;
  if (exp > p.expires_at) {
    if (r.lifetime_s != 0) {
      return Refuse(IdentityFailure(IdentityError::kLifetimeExtension,
                                    "the credential would outlive its token"),
                    pv, nullptr, "credential");
    }
    exp = p.expires_at;
  }
  TokenClaims c;
  c.kind = TokenKind::kCredential;
  c.issuer = options_.issuer;
  c.subject = p.subject;
  c.audience = r.audience;
  WRIT_ASSIGN_OR_RETURN(c.token_id, NewId());
  c.task_id = p.task_id;
  c.transaction_id = p.transaction_id;
  c.user = p.user;
  c.scopes = std::move(scopes);
  c.intent_digest = p.intent_digest;
  c.depth = p.depth;
  c.actors = p.actors;
  c.ancestors = p.ancestors;
  c.ancestors.push_back(p.token_id);
  c.decision_id = r.decision_id;
  c.issued_at = now_s;
  c.not_before = now_s;
  c.expires_at = exp;
  IdentityEvent ev;
  ev.type = EventType::kCredentialIssued;
  ev.detail["single_use"] = true;
  store::StoredToken row = RowFor(c);
  return SignAndRecord(std::move(c), row, std::move(ev));
}

Result<std::shared_ptr<const VerifiedToken>> TokenService::ConsumeCredential(
    std::string_view token, std::string_view audience, std::string_view decision_id) {
  VerifyOptions vo;
  vo.credential_only = true;
  vo.audience = std::string(audience);
  vo.any_audience = audience.empty();
  WRIT_ASSIGN_OR_RETURN(auto verified, Verify(token, vo));
  const TokenClaims& c = verified->claims;
  if (!decision_id.empty() && decision_id != c.decision_id) {
    return Refuse(IdentityFailure(IdentityError::kCredentialMismatch,
                                  "the credential is bound to another decision"),
                  verified.get(), &verified->digest, "credential_use");
  }
  auto consumed = store_.ConsumeToken(c.token_id, clock_.NowMicros());
  if (!consumed.ok() && consumed.status().code() != StatusCode::kNotFound) {
    return consumed.status();
  }
  if (!consumed.ok() || !*consumed) {
    return Refuse(IdentityFailure(IdentityError::kCredentialUsed,
                                  consumed.ok() ? "the single-use credential was already used"
                                                : "no record of this credential"),
                  verified.get(), &verified->digest, "credential_use");
  }
  IdentityEvent ev;
  ev.type = EventType::kCredentialUsed;
  ev.time_us = clock_.NowMicros();
  FillEvent(&ev, c);
  Status recorded = events_.Record(ev);
  if (!recorded.ok()) {
    return Unavailable("credentials: the use could not be recorded, so it is refused: " +
                       recorded.message());
  }
  return verified;
}

boost::json::object TokenService::Introspect(std::string_view token, std::string_view audience) {
  json::object inactive{{"active", false}};
  VerifyOptions vo;
  vo.allow_credential = true;
  vo.any_audience = audience.empty();
  vo.audience = std::string(audience);
  auto verified = Verify(token, vo);
  if (!verified.ok()) return inactive;
  if ((*verified)->claims.kind != TokenKind::kCredential) {
    return IntrospectionResponse((*verified)->claims);
  }
  auto used = ConsumeCredential(token, audience, "");
  if (!used.ok()) return inactive;
  return IntrospectionResponse((*used)->claims);
}

Result<RevocationOutcome> TokenService::Revoke(RevocationTarget target, std::string_view value_in,
                                               std::string_view reason_in) {
  std::string value(value_in);
  if (value.empty() || value.size() > 2048) {
    return InvalidArgument("revoke: the value is empty or longer than 2048 characters");
  }
  if (target == RevocationTarget::kAgent && value.rfind("spiffe://", 0) != 0) {
    WRIT_ASSIGN_OR_RETURN(value, AgentSpiffeId(agents_.options().trust_domain, value));
  } else if (target == RevocationTarget::kAgent) {
    WRIT_RETURN_IF_ERROR(ParseSpiffeId(value).status());
  }
  std::string reason(reason_in.empty() ? std::string_view("revoked") : reason_in);
  if (reason.size() > 512) return InvalidArgument("revoke: the reason is too long");
  int64_t now = clock_.NowMicros();
  WRIT_ASSIGN_OR_RETURN(auto reached, store_.TokensReachedBy(target, value, now));
  store::StoredRevocation row{0, target, value, reason, now};
  WRIT_ASSIGN_OR_RETURN(bool inserted, store_.InsertRevocation(&row));
  revocations_.Apply(target, value);

  RevocationOutcome out;
  out.revocation_id = row.id;
  out.newly_revoked = inserted;
  Status recorded;
  if (inserted) {
    IdentityEvent order;
    order.type = EventType::kRevocation;
    order.time_us = now;
    order.message = reason;
    order.detail["target"] = store::RevocationTargetName(target);
    order.detail["value"] = value;
    order.detail["revocation_id"] = row.id;
    order.detail["tokens"] = static_cast<int64_t>(reached.size());
    if (target == RevocationTarget::kTask) order.task_id = value;
    if (target == RevocationTarget::kAgent) order.agent = value;
    if (target == RevocationTarget::kUser) order.user = value;
    if (target == RevocationTarget::kToken) order.token_id = value;
    recorded = events_.Record(order);
    for (const store::StoredToken& t : reached) {
      IdentityEvent ev;
      ev.type = EventType::kTokenRevoked;
      ev.time_us = now;
      ev.token_id = t.jti;
      ev.parent_token_id = t.parent_jti;
      ev.task_id = t.task_id;
      ev.agent = t.agent;
      ev.user = t.user;
      ev.decision_id = t.decision_id;
      ev.message = reason;
      ev.detail["kind"] = t.kind;
      ev.detail["cause"] = std::string(store::RevocationTargetName(target)) + ":" + value;
      ev.detail["revocation_id"] = row.id;
      Status s = events_.Record(ev);
      if (recorded.ok()) recorded = s;
    }
  }
  out.tokens = std::move(reached);
  if (!recorded.ok()) {
    return Unavailable(
        "revoke: the revocation is in effect and stored, but could not be recorded "
        "as evidence: " +
        recorded.message());
  }
  return out;
}

Result<RevocationOutcome> TokenService::EndTask(std::string_view task_id) {
  return Revoke(RevocationTarget::kTask, task_id, "task ended");
}

boost::json::object IntrospectionResponse(const TokenClaims& c) {
  json::object o;
  o["active"] = true;
  o["iss"] = c.issuer;
  o["sub"] = c.subject;
  o["client_id"] = c.subject;
  o["aud"] = c.audience;
  o["jti"] = c.token_id;
  o["iat"] = c.issued_at;
  o["nbf"] = c.not_before;
  o["exp"] = c.expires_at;
  o["scope"] = JoinScopes(c.scopes);
  o["token_type"] = "Bearer";
  o["username"] = c.user.subject;
  o["kind"] = TokenKindName(c.kind);
  o["task"] = c.task_id;
  o["txn"] = c.transaction_id;
  o["usr"] = json::object{{"sub", c.user.subject}, {"iss", c.user.issuer}};
  o["depth"] = c.depth;
  if (!c.intent_digest.empty()) o["intent"] = c.intent_digest;
  if (!c.actors.empty()) {
    json::value act;
    for (auto it = c.actors.rbegin(); it != c.actors.rend(); ++it) {
      json::object level{{"sub", *it}};
      if (!act.is_null()) level["act"] = std::move(act);
      act = std::move(level);
    }
    o["act"] = std::move(act);
  }
  if (!c.ancestors.empty()) o["chain"] = JsonStrings(c.ancestors);
  if (c.kind == TokenKind::kCredential) o["decision"] = c.decision_id;
  return o;
}

}  // namespace writ::identity
