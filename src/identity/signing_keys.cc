#include "identity/signing_keys.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include "base/canonical_json.h"

namespace writ::identity {
namespace {

namespace json = boost::json;

std::string SealContext(const std::string& kid) {
  return "signing-key:" + kid;
}

}  // namespace

SigningKeyRing::SigningKeyRing(Passkey, store::IdentityStore& store, const MasterKey* master_key,
                               const Clock& clock, EventSink& events, KeyRingOptions options)
    : store_(store),
      master_key_(master_key),
      clock_(clock),
      events_(events),
      options_(options),
      snapshot_(std::make_shared<Snapshot>()) {}

Result<std::unique_ptr<SigningKeyRing>> SigningKeyRing::Open(store::IdentityStore& store,
                                                             const MasterKey& master_key,
                                                             const Clock& clock, EventSink& events,
                                                             KeyRingOptions options) {
  auto ring =
      std::make_unique<SigningKeyRing>(Passkey{}, store, &master_key, clock, events, options);
  WRIT_RETURN_IF_ERROR(ring->Reload());
  if (!ring->SigningKey().ok()) {
    auto rotated = ring->Rotate();
    if (!rotated.ok() && rotated.status().code() != StatusCode::kFailedPrecondition) {
      return rotated.status();
    }
  }
  return ring;
}

Result<std::unique_ptr<SigningKeyRing>> SigningKeyRing::OpenForVerification(
    store::IdentityStore& store, const Clock& clock, EventSink& events, KeyRingOptions options) {
  auto ring = std::make_unique<SigningKeyRing>(Passkey{}, store, nullptr, clock, events, options);
  WRIT_RETURN_IF_ERROR(ring->Reload());
  return ring;
}

Status SigningKeyRing::Reload() {
  WRIT_ASSIGN_OR_RETURN(auto rows, store_.ListSigningKeys());
  auto snap = std::make_shared<Snapshot>();
  for (const store::StoredSigningKey& row : rows) {
    auto alg = ParseJwsAlgorithm(row.algorithm);
    if (!alg) return DataLoss("signing keys: key " + row.kid + " has an unknown algorithm");
    WRIT_ASSIGN_OR_RETURN(PublicJwk pub, PublicJwk::FromJsonText(row.public_jwk));
    Entry e{SigningKeyInfo{row.kid, *alg, row.created_us, row.retired_us, row.verify_until_us,
                           row.retired_us == 0},
            pub.WithKid(row.kid), nullptr};
    if (e.info.signing && master_key_ != nullptr) {
      WRIT_ASSIGN_OR_RETURN(std::string der,
                            master_key_->Open(row.sealed_private, SealContext(row.kid)));
      auto key = JwsSigningKey::FromPrivateKeyDer(*alg, der);
      OPENSSL_cleanse(der.data(), der.size());
      if (!key.ok()) return DataLoss("signing keys: key " + row.kid + " is damaged");
      if (key->Public(row.kid).Thumbprint() != pub.Thumbprint()) {
        return DataLoss("signing keys: key " + row.kid + " does not match its public half");
      }
      e.signer = std::make_shared<const ActiveSigningKey>(
          ActiveSigningKey{row.kid, std::move(key).value()});
    }
    snap->entries.push_back(std::move(e));
  }
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(snap);
  last_reload_us_ = clock_.NowMicros();
  return Status::Ok();
}

std::shared_ptr<const SigningKeyRing::Snapshot> SigningKeyRing::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

Result<SigningKeyInfo> SigningKeyRing::Rotate(std::optional<JwsAlgorithm> algorithm) {
  if (master_key_ == nullptr) {
    return FailedPrecondition("signing keys: opened without the master key; cannot rotate");
  }
  JwsAlgorithm alg = algorithm.value_or(options_.algorithm);
  if (alg == JwsAlgorithm::kRS256) {
    return InvalidArgument("signing keys: Writ signs with EdDSA or ES256, not RS256");
  }
  std::lock_guard<std::mutex> rotate_lock(rotate_mu_);
  WRIT_ASSIGN_OR_RETURN(JwsSigningKey key, JwsSigningKey::Generate(alg));
  std::string kid = key.Public("").Thumbprint();
  PublicJwk pub = key.Public(kid);
  WRIT_ASSIGN_OR_RETURN(std::string der, key.PrivateKeyDer());
  auto sealed = master_key_->Seal(der, SealContext(kid));
  OPENSSL_cleanse(der.data(), der.size());
  if (!sealed.ok()) return sealed.status();
  int64_t now = clock_.NowMicros();
  store::StoredSigningKey row;
  row.kid = kid;
  row.algorithm = std::string(JwsAlgorithmName(alg));
  WRIT_ASSIGN_OR_RETURN(row.public_jwk, CanonicalJson(pub.ToJson()));
  row.sealed_private = std::move(sealed).value();
  row.created_us = now;
  std::vector<std::string> retired;
  for (const Entry& e : snapshot()->entries) {
    if (e.info.signing) retired.push_back(e.info.kid);
  }
  WRIT_RETURN_IF_ERROR(store_.RotateSigningKey(row, now + options_.overlap_us));
  WRIT_RETURN_IF_ERROR(Reload());

  IdentityEvent ev;
  ev.type = EventType::kKeyRotated;
  ev.time_us = now;
  ev.detail["kid"] = kid;
  ev.detail["alg"] = JwsAlgorithmName(alg);
  json::array old;
  for (const std::string& k : retired) old.emplace_back(k);
  ev.detail["retired"] = std::move(old);
  ev.detail["retired_verify_until"] = FormatRfc3339Micros(now + options_.overlap_us);
  Status recorded = events_.Record(ev);
  if (!recorded.ok()) {
    return Unavailable("signing keys: rotated to " + kid +
                       ", but the rotation could not be recorded: " + recorded.message());
  }
  return SigningKeyInfo{kid, alg, now, 0, 0, true};
}

Result<std::shared_ptr<const ActiveSigningKey>> SigningKeyRing::SigningKey() const {
  auto snap = snapshot();
  for (auto it = snap->entries.rbegin(); it != snap->entries.rend(); ++it) {
    if (it->signer) return it->signer;
  }
  if (master_key_ == nullptr) {
    return FailedPrecondition("signing keys: opened without the master key; cannot sign");
  }
  return FailedPrecondition("signing keys: no key signs; run `writ keys rotate`");
}

std::optional<PublicJwk> SigningKeyRing::VerificationKey(std::string_view kid, int64_t now_us) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto snap = snapshot();
    for (const Entry& e : snap->entries) {
      if (e.info.kid != kid) continue;
      if (e.info.signing || now_us < e.info.verify_until_us) return e.public_key;
      return std::nullopt;  // known, but past its overlap window
    }
    if (attempt == 1) break;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (clock_.NowMicros() - last_reload_us_ < options_.min_reload_interval_us) break;
    }
    if (!Reload().ok()) break;
  }
  return std::nullopt;
}

std::optional<int64_t> SigningKeyRing::VerifyUntil(std::string_view kid) const {
  for (const Entry& e : snapshot()->entries) {
    if (e.info.kid == kid) return e.info.verify_until_us;
  }
  return std::nullopt;
}

std::vector<SigningKeyInfo> SigningKeyRing::List() const {
  std::vector<SigningKeyInfo> out;
  for (const Entry& e : snapshot()->entries) out.push_back(e.info);
  return out;
}

std::string SigningKeyRing::JwksDocument(int64_t now_us) const {
  std::vector<PublicJwk> keys;
  for (const Entry& e : snapshot()->entries) {
    if (e.info.signing || now_us < e.info.verify_until_us) keys.push_back(e.public_key);
  }
  return FormatJwks(keys);
}

std::string IssuerMetadataJson(const IssuerEndpoints& ep) {
  json::object o;
  o["issuer"] = ep.issuer;
  o["jwks_uri"] = ep.jwks_uri;
  o["token_endpoint"] = ep.token_endpoint;
  o["introspection_endpoint"] = ep.introspection_endpoint;
  o["revocation_endpoint"] = ep.revocation_endpoint;
  o["grant_types_supported"] = json::array{"urn:ietf:params:oauth:grant-type:token-exchange"};
  // Writ has no authorization endpoint, so no response type applies.
  o["response_types_supported"] = json::array{};
  json::array auth{"private_key_jwt", "client_secret_basic", "client_secret_post"};
  json::array algs{"EdDSA", "ES256", "RS256"};
  for (const char* endpoint : {"token_endpoint", "introspection_endpoint", "revocation_endpoint"}) {
    o[std::string(endpoint) + "_auth_methods_supported"] = auth;
    o[std::string(endpoint) + "_auth_signing_alg_values_supported"] = algs;
  }
  auto text = CanonicalJson(o);
  return text.ok() ? *text : std::string("{}");
}

}  // namespace writ::identity
