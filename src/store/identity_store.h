// The identity tables: signing keys (private halves sealed under the master key), registered
// agents, every issued token with its parent link, revocations, consumed client-assertion ids
// and brokered secrets (sealed).
//
// The store keeps bytes; it never sees a secret in clear. Sealing and unsealing (AES-256-GCM
// under the master key) happen in the identity part, above this interface.
//
// Shaped for several nodes sharing one database (PostgreSQL): single-use consumption is one
// atomic conditional UPDATE (ConsumeToken) and assertion-id replay protection one conditional
// INSERT (RecordAssertionJti), so two nodes racing for the same id cannot both win; revocations
// carry an ascending id, a feed position from which a node catches up (ListRevocations) or that
// a LISTEN/NOTIFY payload can carry.
//
// The contract of store.h holds for every method: an error means nothing was changed, a write
// that returns ok is durable, and the interface may be used from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace writ::store {

struct StoredSigningKey {
  std::string kid;
  std::string algorithm;       // "EdDSA" or "ES256"
  std::string public_jwk;      // JSON text of the public JWK
  std::string sealed_private;  // the PKCS #8 private key, sealed (never clear)
  int64_t created_us = 0;
  int64_t retired_us = 0;       // 0 while the key signs; when it stopped signing otherwise
  int64_t verify_until_us = 0;  // 0: verifies without end; else the end of its overlap window
};

struct StoredAgent {
  std::string name;
  std::string spiffe_id;
  std::string owner;
  std::string team;
  std::string public_jwk;   // JSON text; empty when the agent has no registered key
  std::string secret_hash;  // Argon2id PHC string; empty when the agent has no client secret
  int64_t created_us = 0;
};

// One token Writ issued (task, delegated or credential), with what revocation cascades along.
struct StoredToken {
  std::string jti;
  std::string kind;        // "task", "delegated" or "credential"
  std::string parent_jti;  // empty for a task token
  std::string task_id;
  std::string agent;  // the subject's SPIFFE ID
  std::string user;   // the subject of the user it acts for
  std::string audience;
  std::string decision_id;  // credentials only
  std::string scopes;       // space-separated
  int depth = 0;
  int64_t issued_us = 0;
  int64_t expires_us = 0;
  bool single_use = false;
  int64_t consumed_us = 0;  // 0 until consumed
};

// What a revocation names.
enum class RevocationTarget : uint8_t { kToken, kTask, kAgent, kUser };
// "token", "task", "agent", "user".
const char* RevocationTargetName(RevocationTarget target);

struct StoredRevocation {
  int64_t id = 0;  // assigned by the store, ascending
  RevocationTarget target = RevocationTarget::kToken;
  std::string value;  // the token id, task id, agent SPIFFE ID or user subject
  std::string reason;
  int64_t time_us = 0;
};

struct StoredSecret {
  std::string name;
  std::string sealed_value;  // empty in listings
  std::string audience;      // the upstream it is for
  std::string description;
  int64_t created_us = 0;
  int64_t updated_us = 0;
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  // Signing keys. Atomically: every key still signing retires at `new_key.created_us` and keeps
  // verifying until `old_verify_until_us`, and `new_key` is inserted as the signing key.
  virtual Status RotateSigningKey(const StoredSigningKey& new_key, int64_t old_verify_until_us) = 0;
  // Every key, oldest first.
  virtual Result<std::vector<StoredSigningKey>> ListSigningKeys() = 0;

  // Agents. InsertAgent: already_exists when the name or SPIFFE ID is taken.
  virtual Status InsertAgent(const StoredAgent& agent) = 0;
  virtual Result<std::optional<StoredAgent>> GetAgent(const std::string& name) = 0;
  virtual Result<std::vector<StoredAgent>> ListAgents() = 0;  // by name

  // Issued tokens. InsertToken: already_exists when the jti is taken.
  virtual Status InsertToken(const StoredToken& token) = 0;
  virtual Result<std::optional<StoredToken>> GetToken(const std::string& jti) = 0;
  // The tokens a revocation of `target` = `value` reaches: those it names directly (the token
  // itself; every token of the task, agent or user) and all their descendants through parent
  // links, limited to those still unexpired at `live_at_us`. Ordered by issue time.
  virtual Result<std::vector<StoredToken>> TokensReachedBy(RevocationTarget target,
                                                           const std::string& value,
                                                           int64_t live_at_us) = 0;
  // Marks a single-use token consumed, atomically: true when this call consumed it, false when
  // it was already consumed (or is not single-use); not_found when no such token was issued.
  virtual Result<bool> ConsumeToken(const std::string& jti, int64_t now_us) = 0;

  // Client-assertion ids (RFC 7523 §3 item 7): true when (client, jti) was recorded now, false
  // when it had been seen before (a replay). Kept until `expires_us`.
  virtual Result<bool> RecordAssertionJti(const std::string& client, const std::string& jti,
                                          int64_t expires_us) = 0;
  // Forgets assertion ids that expired before `now_us`; returns how many.
  virtual Result<int64_t> PruneAssertionJtis(int64_t now_us) = 0;

  // Revocations. Sets `revocation->id`; false (and the id of the existing row) when the same
  // target was already revoked, which changes nothing.
  virtual Result<bool> InsertRevocation(StoredRevocation* revocation) = 0;
  // Revocations with id > `after_id`, by ascending id.
  virtual Result<std::vector<StoredRevocation>> ListRevocations(int64_t after_id) = 0;

  // Brokered secrets: insert or replace by name.
  virtual Status PutSecret(const StoredSecret& secret) = 0;
  virtual Result<std::optional<StoredSecret>> GetSecret(const std::string& name) = 0;
  // Every secret by name, without its sealed value.
  virtual Result<std::vector<StoredSecret>> ListSecrets() = 0;
};

}  // namespace writ::store
