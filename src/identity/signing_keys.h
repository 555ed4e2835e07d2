// SigningKeyRing: the issuer's signing keys, their rotation, and what the server publishes
// about them (the JWKS document and RFC 8414 authorization server metadata).
//
// One key signs at a time (Ed25519 by default, ES256 on request). Rotate() makes a new key the
// signing key; every previous signing key stops signing at once but keeps verifying for the
// overlap window (default 24 h, longer than any token's lifetime), so tokens already issued
// stay valid until they expire. Key ids are RFC 7638 thumbprints. Private keys are stored only
// sealed under the master key (AES-256-GCM, bound to the key id); they exist in clear only in
// this process's memory.
//
// Several nodes may share the store: Reload() picks up keys another node rotated in, and a
// verification that meets an unknown key id reloads once (rate-limited) before refusing.
//
// Thread-safety: every method may be called from any number of threads; keys are published as
// immutable snapshots, so a signer or verifier holding one is unaffected by a rotation.
// Errors: data_loss when a stored key does not open under the master key (wrong master key).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/jose.h"
#include "base/status.h"
#include "identity/events.h"
#include "identity/master_key.h"
#include "store/identity_store.h"

namespace writ::identity {

struct KeyRingOptions {
  JwsAlgorithm algorithm = JwsAlgorithm::kEdDSA;  // of keys made by Rotate() without one
  int64_t overlap_us = 24LL * 3600 * 1000 * 1000;
  // How often an unknown key id may trigger a reload from the store.
  int64_t min_reload_interval_us = 1000 * 1000;
};

struct SigningKeyInfo {
  std::string kid;
  JwsAlgorithm algorithm = JwsAlgorithm::kEdDSA;
  int64_t created_us = 0;
  int64_t retired_us = 0;       // 0 while signing
  int64_t verify_until_us = 0;  // 0 while signing
  bool signing = false;
};

// A key that signs: its id and private key.
struct ActiveSigningKey {
  std::string kid;
  JwsSigningKey key;
};

class SigningKeyRing {
  struct Passkey {};

 public:
  // Use Open().
  SigningKeyRing(Passkey, store::IdentityStore& store, const MasterKey* master_key,
                 const Clock& clock, EventSink& events, KeyRingOptions options);

  // Loads every key from `store` and opens the private halves with `master_key`. When no key
  // signs, one is created (a first rotation) unless the store is read-only.
  static Result<std::unique_ptr<SigningKeyRing>> Open(store::IdentityStore& store,
                                                      const MasterKey& master_key,
                                                      const Clock& clock, EventSink& events,
                                                      KeyRingOptions options = {});
  // Public halves only, without the master key: verifies, publishes the JWKS, never signs
  // (SigningKey() and Rotate() fail with failed_precondition).
  static Result<std::unique_ptr<SigningKeyRing>> OpenForVerification(store::IdentityStore& store,
                                                                     const Clock& clock,
                                                                     EventSink& events,
                                                                     KeyRingOptions options = {});

  // A new signing key (of `algorithm`, or the options' default); reports kKeyRotated.
  Result<SigningKeyInfo> Rotate(std::optional<JwsAlgorithm> algorithm = std::nullopt);
  // Re-reads the keys from the store.
  Status Reload();

  // The key that signs now; failed_precondition when there is none.
  Result<std::shared_ptr<const ActiveSigningKey>> SigningKey() const;
  // The public key `kid` if it verifies at `now_us` (signing, or within its overlap window);
  // reloads once from the store (rate-limited) when the id is unknown.
  std::optional<PublicJwk> VerificationKey(std::string_view kid, int64_t now_us);
  // When `kid` stops verifying (0: not before a rotation), or nullopt when unknown.
  std::optional<int64_t> VerifyUntil(std::string_view kid) const;

  std::vector<SigningKeyInfo> List() const;
  // {"keys":[...]}: every key that verifies at `now_us`.
  std::string JwksDocument(int64_t now_us) const;

 private:
  struct Entry {
    SigningKeyInfo info;
    PublicJwk public_key;
    std::shared_ptr<const ActiveSigningKey> signer;  // set for the signing key only
  };
  struct Snapshot {
    std::vector<Entry> entries;
  };

  std::shared_ptr<const Snapshot> snapshot() const;

  store::IdentityStore& store_;
  const MasterKey* master_key_;  // null: verification only
  const Clock& clock_;
  EventSink& events_;
  KeyRingOptions options_;
  std::mutex rotate_mu_;
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  int64_t last_reload_us_ = 0;
};

// RFC 8414 authorization server metadata for Writ's endpoints.
struct IssuerEndpoints {
  std::string issuer;  // https URL without query or fragment
  std::string jwks_uri;
  std::string token_endpoint;
  std::string introspection_endpoint;
  std::string revocation_endpoint;
};
// The metadata document (RFC 8414 §2): issuer, endpoints, grant types (token exchange),
// client authentication methods (private_key_jwt, client_secret_basic, client_secret_post) and
// the signing algorithms accepted for client assertions.
std::string IssuerMetadataJson(const IssuerEndpoints& endpoints);

}  // namespace writ::identity
