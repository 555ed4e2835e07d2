// AgentRegistry: the agents Writ knows, and how they prove who they are.
//
// An agent is registered with a name, an owner and a team; its workload identity is the SPIFFE
// ID spiffe://<trust domain>/agent/<name>, which is also its OAuth client_id. It authenticates
// with either
//   - a private_key_jwt client assertion (RFC 7523 §3, RFC 7521 §4.2): a JWT signed by the
//     public key registered for the agent (EdDSA, ES256 or RS256), with iss = sub = its client
//     id, aud containing Writ's token endpoint, exp no more than `max_assertion_lifetime_s`
//     ahead, and a jti that is accepted once only (kept in the store until the assertion
//     expires, so the rule holds across restarts and nodes); or
//   - a client secret, stored only as an Argon2id hash.
// Every refused authentication is reported as a kRefused event.
//
// Thread-safety: every method may be called from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/jose.h"
#include "base/password_hash.h"
#include "base/status.h"
#include "identity/events.h"
#include "store/identity_store.h"

namespace writ::identity {

struct AgentRegistryOptions {
  std::string trust_domain;
  std::string token_endpoint;  // the "aud" a client assertion must name
  int64_t max_assertion_lifetime_s = 300;
  int64_t clock_skew_s = 30;
  PasswordHashCost secret_hash_cost;
};

struct AgentRegistration {
  std::string name;
  std::string owner;
  std::string team;
  std::string public_jwk;     // JSON text; empty for none
  std::string client_secret;  // empty for none; hashed, never stored in clear
};

struct Agent {
  std::string name;
  std::string spiffe_id;
  std::string owner;
  std::string team;
  std::optional<PublicJwk> public_key;
  bool has_client_secret = false;
  int64_t created_us = 0;
};

class AgentRegistry {
 public:
  AgentRegistry(store::IdentityStore& store, EventSink& events, const Clock& clock,
                AgentRegistryOptions options);

  // invalid_argument (spiffe_id_invalid) for a bad name; invalid_argument for a bad key;
  // already_exists when the name is taken.
  Result<Agent> Register(const AgentRegistration& registration);
  Result<std::optional<Agent>> Find(const std::string& name);
  // By SPIFFE ID (the client id).
  Result<std::optional<Agent>> FindBySpiffeId(const std::string& spiffe_id);
  Result<std::vector<Agent>> List();

  // RFC 7523 client authentication; returns the authenticated agent.
  Result<Agent> AuthenticateAssertion(std::string_view assertion);
  // client_secret_basic / client_secret_post; `client_id` is the SPIFFE ID or the name.
  Result<Agent> AuthenticateSecret(std::string_view client_id, std::string_view secret);

  const AgentRegistryOptions& options() const { return options_; }

 private:
  Status Refuse(const Status& why, const std::string& client);

  store::IdentityStore& store_;
  EventSink& events_;
  const Clock& clock_;
  AgentRegistryOptions options_;
};

}  // namespace writ::identity
