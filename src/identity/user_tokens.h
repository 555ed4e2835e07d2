// UserTokenVerifier: users' tokens from external OpenID Connect providers (ID tokens or JWT
// access tokens), verified against each provider's configured JWKS.
//
// A provider is configured with its issuer, the audiences Writ accepts, where its JWKS comes
// from (a file, or a URL fetched through an HttpFetcher), the algorithms it may use (RS256,
// ES256, EdDSA), the claim that lists groups, and a clock skew. The header rules of
// jws_policy.h apply (no "none", no HMAC, no key from the token's own jku/x5u/jwk headers).
// Then: the key named by "kid" (or the provider's only key of that algorithm when the token has
// no kid) must verify the signature; "iss" must be the provider's issuer; "aud" must contain an
// accepted audience; exp (required), nbf and iat are checked with the skew.
//
// Keys are cached per provider. A token naming an unknown kid triggers a refetch, at most once
// per `min_refresh_interval_us` (so a flood of made-up kids cannot turn into a flood of fetches);
// the cache is also refreshed when older than `max_cache_age_us`. When a refresh fails, the keys
// already held keep working until the next refresh.
//
// The verified user exposes subject, issuer, groups (the groups claim: an array of strings or
// one space-separated string) and email; the groups become parent entities in policies.
// Refusals are reported as kRefused events. Thread-safety: Verify may be called from any number
// of threads; AddProvider must not race with Verify.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/jose.h"
#include "base/status.h"
#include "identity/events.h"
#include "identity/http_fetcher.h"

namespace writ::identity {

// Where a provider's JWKS comes from.
class JwksSource {
 public:
  virtual ~JwksSource() = default;
  virtual Result<std::string> Read() = 0;
  virtual std::string Describe() const = 0;  // for messages: the path or the URL
};
std::unique_ptr<JwksSource> JwksFromFile(std::string path);
// `fetcher` must outlive the source.
std::unique_ptr<JwksSource> JwksFromUrl(std::string url, HttpFetcher& fetcher);

struct OidcProviderConfig {
  std::string issuer;
  std::vector<std::string> audiences;
  std::vector<JwsAlgorithm> algorithms = {JwsAlgorithm::kRS256, JwsAlgorithm::kES256,
                                          JwsAlgorithm::kEdDSA};
  std::string groups_claim = "groups";
  int64_t clock_skew_s = 60;
  int64_t min_refresh_interval_us = 30LL * 1000 * 1000;
  int64_t max_cache_age_us = 3600LL * 1000 * 1000;
  size_t max_token_bytes = 16384;
};

struct VerifiedUser {
  std::string subject;
  std::string issuer;
  std::vector<std::string> groups;
  std::string email;  // empty when the token has none
  int64_t expires_at = 0;
};

class UserTokenVerifier {
 public:
  UserTokenVerifier(const Clock& clock, EventSink& events);
  ~UserTokenVerifier();

  // invalid_argument for a config without issuer, audience or algorithm; already_exists for a
  // second provider with the same issuer. The JWKS is read on first use.
  Status AddProvider(OidcProviderConfig config, std::unique_ptr<JwksSource> jwks);

  Result<VerifiedUser> Verify(std::string_view token);

  // How many times each provider's JWKS was read (for operators and tests).
  uint64_t JwksReads(const std::string& issuer) const;

 private:
  struct Provider;
  Status Refuse(const Status& why, const std::string& issuer, const std::string& subject);

  const Clock& clock_;
  EventSink& events_;
  std::map<std::string, std::unique_ptr<Provider>> providers_;
};

}  // namespace writ::identity
