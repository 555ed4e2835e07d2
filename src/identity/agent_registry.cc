#include "identity/agent_registry.h"

#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "base/crypto.h"
#include "identity/errors.h"
#include "identity/jws_policy.h"
#include "identity/spiffe_id.h"

namespace writ::identity {
namespace {

namespace json = boost::json;

constexpr size_t kMaxAssertionBytes = 8192;
constexpr size_t kMaxJtiBytes = 256;

Result<Agent> FromStored(const store::StoredAgent& s) {
  Agent a;
  a.name = s.name;
  a.spiffe_id = s.spiffe_id;
  a.owner = s.owner;
  a.team = s.team;
  a.has_client_secret = !s.secret_hash.empty();
  a.created_us = s.created_us;
  if (!s.public_jwk.empty()) {
    auto key = PublicJwk::FromJsonText(s.public_jwk);
    if (!key.ok()) return DataLoss("agents: the key of `" + s.name + "` is damaged");
    a.public_key = std::move(key).value();
  }
  return a;
}

}  // namespace

AgentRegistry::AgentRegistry(store::IdentityStore& store, EventSink& events, const Clock& clock,
                             AgentRegistryOptions options)
    : store_(store), events_(events), clock_(clock), options_(std::move(options)) {}

Result<Agent> AgentRegistry::Register(const AgentRegistration& r) {
  WRIT_ASSIGN_OR_RETURN(std::string spiffe_id, AgentSpiffeId(options_.trust_domain, r.name));
  if (r.owner.empty() || r.team.empty()) {
    return InvalidArgument("agents: an agent needs an owner and a team");
  }
  if (r.owner.size() > 256 || r.team.size() > 256) {
    return InvalidArgument("agents: owner or team longer than 256 characters");
  }
  store::StoredAgent s;
  s.name = r.name;
  s.spiffe_id = spiffe_id;
  s.owner = r.owner;
  s.team = r.team;
  s.created_us = clock_.NowMicros();
  if (!r.public_jwk.empty()) {
    auto key = PublicJwk::FromJsonText(r.public_jwk);
    if (!key.ok()) return key.status().WithContext("agents: the public key");
    WRIT_ASSIGN_OR_RETURN(s.public_jwk, CanonicalJson(key->ToJson()));
  }
  if (!r.client_secret.empty()) {
    if (r.client_secret.size() < 16) {
      return InvalidArgument("agents: a client secret needs at least 16 characters");
    }
    WRIT_ASSIGN_OR_RETURN(s.secret_hash, HashPassword(r.client_secret, options_.secret_hash_cost));
  }
  WRIT_RETURN_IF_ERROR(store_.InsertAgent(s));
  return FromStored(s);
}

Result<std::optional<Agent>> AgentRegistry::Find(const std::string& name) {
  WRIT_ASSIGN_OR_RETURN(auto s, store_.GetAgent(name));
  if (!s) return std::optional<Agent>();
  WRIT_ASSIGN_OR_RETURN(Agent a, FromStored(*s));
  return std::optional<Agent>(std::move(a));
}

Result<std::optional<Agent>> AgentRegistry::FindBySpiffeId(const std::string& spiffe_id) {
  auto name = AgentNameFromSpiffeId(spiffe_id, options_.trust_domain);
  if (!name.ok()) return std::optional<Agent>();
  WRIT_ASSIGN_OR_RETURN(auto found, Find(*name));
  if (found && found->spiffe_id != spiffe_id) return std::optional<Agent>();
  return found;
}

Result<std::vector<Agent>> AgentRegistry::List() {
  WRIT_ASSIGN_OR_RETURN(auto rows, store_.ListAgents());
  std::vector<Agent> out;
  for (const auto& s : rows) {
    WRIT_ASSIGN_OR_RETURN(Agent a, FromStored(s));
    out.push_back(std::move(a));
  }
  return out;
}

Status AgentRegistry::Refuse(const Status& why, const std::string& client) {
  IdentityEvent ev;
  ev.type = EventType::kRefused;
  ev.time_us = clock_.NowMicros();
  ev.agent = client;
  auto code = IdentityErrorOf(why);
  ev.error = code ? std::string(IdentityErrorName(*code)) : std::string(StatusCodeName(why.code()));
  ev.message = why.message();
  ev.detail["what"] = "client_authentication";
  (void)events_.Record(ev);  // a refusal stays a refusal whatever the sink says
  return why;
}

Result<Agent> AgentRegistry::AuthenticateAssertion(std::string_view assertion) {
  if (assertion.size() > kMaxAssertionBytes) {
    return Refuse(IdentityFailure(IdentityError::kTokenTooLarge, "the assertion is too large"), "");
  }
  auto parts = SplitCompactJws(assertion);
  if (!parts.ok()) {
    return Refuse(IdentityFailure(IdentityError::kTokenMalformed, parts.status().message()), "");
  }
  auto header =
      CheckJwsHeader(parts->header_json,
                     {JwsAlgorithm::kEdDSA, JwsAlgorithm::kES256, JwsAlgorithm::kRS256}, false);
  if (!header.ok()) return Refuse(header.status(), "");
  auto parsed = ParseJson(parts->payload);
  if (!parsed.ok() || !parsed->is_object()) {
    return Refuse(IdentityFailure(IdentityError::kTokenMalformed, "claims are not an object"), "");
  }
  const json::object& c = parsed->as_object();
  auto str = [&](const char* name) -> std::string {
    auto it = c.find(name);
    return it != c.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
  };
  std::string iss = str("iss");
  std::string sub = str("sub");
  if (iss.empty() || iss != sub) {
    return Refuse(IdentityFailure(IdentityError::kAssertionInvalid,
                                  "\"iss\" and \"sub\" must both be the client id"),
                  iss.substr(0, 256));
  }
  if (!ParseSpiffeId(iss).ok()) {
    return Refuse(
        IdentityFailure(IdentityError::kSpiffeIdInvalid, "the client id is not a valid SPIFFE ID"),
        "");
  }
  auto agent = FindBySpiffeId(iss);
  if (!agent.ok()) return agent.status();
  if (!*agent) {
    return Refuse(IdentityFailure(IdentityError::kClientUnknown, "no agent " + iss), iss);
  }
  if (!(*agent)->public_key) {
    return Refuse(
        IdentityFailure(IdentityError::kClientAuthFailed, "the agent has no registered public key"),
        iss);
  }
  const PublicJwk& key = *(*agent)->public_key;
  if (key.algorithm() != header->algorithm) {
    return Refuse(IdentityFailure(IdentityError::kAlgorithmNotAllowed,
                                  "the agent's key does not sign with this algorithm"),
                  iss);
  }
  if (!header->kid.empty() && !key.kid().empty() && header->kid != key.kid()) {
    return Refuse(IdentityFailure(IdentityError::kKeyIdUnknown, "not the agent's key id"), iss);
  }
  if (!key.Verify(parts->signing_input, parts->signature)) {
    return Refuse(IdentityFailure(IdentityError::kSignatureInvalid,
                                  "the assertion's signature does not verify"),
                  iss);
  }
  if (!AudienceContains(c, options_.token_endpoint)) {
    return Refuse(IdentityFailure(IdentityError::kAudienceMismatch,
                                  "the assertion's \"aud\" is not the token endpoint"),
                  iss);
  }
  std::optional<int64_t> exp, nbf, iat;
  for (auto [name, out] : {std::pair{"exp", &exp}, std::pair{"nbf", &nbf}, {"iat", &iat}}) {
    Status s = ReadNumericDate(c, name, out);
    if (!s.ok()) return Refuse(s, iss);
  }
  int64_t now_s = clock_.NowMicros() / 1000000;
  if (!exp) {
    return Refuse(IdentityFailure(IdentityError::kAssertionInvalid, "no \"exp\""), iss);
  }
  Status times = CheckTimes(exp, nbf, iat, now_s, options_.clock_skew_s);
  if (!times.ok()) return Refuse(times, iss);
  if (*exp - now_s > options_.max_assertion_lifetime_s ||
      (iat && *exp - *iat > options_.max_assertion_lifetime_s)) {
    return Refuse(IdentityFailure(IdentityError::kAssertionInvalid,
                                  "the assertion lives longer than " +
                                      std::to_string(options_.max_assertion_lifetime_s) + " s"),
                  iss);
  }
  std::string jti = str("jti");
  if (jti.empty() || jti.size() > kMaxJtiBytes) {
    return Refuse(IdentityFailure(IdentityError::kAssertionInvalid, "no usable \"jti\""), iss);
  }
  auto fresh = store_.RecordAssertionJti(iss, jti, (*exp + options_.clock_skew_s) * 1000000);
  if (!fresh.ok()) return fresh.status();
  if (!*fresh) {
    return Refuse(IdentityFailure(IdentityError::kAssertionReplayed,
                                  "this assertion's \"jti\" was already used"),
                  iss);
  }
  return std::move(**agent);
}

Result<Agent> AgentRegistry::AuthenticateSecret(std::string_view client_id,
                                                std::string_view secret) {
  std::string id(client_id.substr(0, 2048));
  Result<std::optional<Agent>> agent =
      id.rfind("spiffe://", 0) == 0 ? FindBySpiffeId(id) : Find(id);
  if (!agent.ok()) return agent.status();
  if (!*agent) return Refuse(IdentityFailure(IdentityError::kClientUnknown, "no such agent"), id);
  WRIT_ASSIGN_OR_RETURN(auto stored, store_.GetAgent((*agent)->name));
  if (!stored || stored->secret_hash.empty() || !VerifyPassword(stored->secret_hash, secret)) {
    return Refuse(IdentityFailure(IdentityError::kClientAuthFailed, "wrong client secret"),
                  (*agent)->spiffe_id);
  }
  return std::move(**agent);
}

}  // namespace writ::identity
