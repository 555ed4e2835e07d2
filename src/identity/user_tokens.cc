#include "identity/user_tokens.h"

#include <algorithm>
#include <boost/json.hpp>

#include "base/canonical_json.h"
#include "base/crypto.h"
#include "identity/errors.h"
#include "identity/jws_policy.h"

namespace writ::identity {
namespace {

namespace json = boost::json;

class FileJwksSource final : public JwksSource {
 public:
  explicit FileJwksSource(std::string path) : path_(std::move(path)) {}
  Result<std::string> Read() override {
    std::FILE* f = std::fopen(path_.c_str(), "rb");
    if (f == nullptr) return Unavailable("jwks: cannot read " + path_);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
      out.append(buf, n);
      if (out.size() > (1u << 20)) {
        std::fclose(f);
        return Unavailable("jwks: " + path_ + " is larger than 1 MiB");
      }
    }
    std::fclose(f);
    return out;
  }
  std::string Describe() const override { return path_; }

 private:
  std::string path_;
};

class UrlJwksSource final : public JwksSource {
 public:
  UrlJwksSource(std::string url, HttpFetcher& fetcher) : url_(std::move(url)), fetcher_(fetcher) {}
  Result<std::string> Read() override { return fetcher_.Fetch(url_); }
  std::string Describe() const override { return url_; }

 private:
  std::string url_;
  HttpFetcher& fetcher_;
};

}  // namespace

std::unique_ptr<JwksSource> JwksFromFile(std::string path) {
  return std::make_unique<FileJwksSource>(std::move(path));
}

std::unique_ptr<JwksSource> JwksFromUrl(std::string url, HttpFetcher& fetcher) {
  return std::make_unique<UrlJwksSource>(std::move(url), fetcher);
}

struct UserTokenVerifier::Provider {
  OidcProviderConfig config;
  std::unique_ptr<JwksSource> source;
  std::mutex mu;
  std::vector<PublicJwk> keys;
  bool loaded = false;
  int64_t last_attempt_us = 0;
  int64_t loaded_us = 0;
  uint64_t reads = 0;

  // Refreshes the keys when allowed; caller holds mu.
  Status Refresh(int64_t now_us, bool force) {
    bool stale = !loaded || now_us - loaded_us >= config.max_cache_age_us;
    if (!stale && !force) return Status::Ok();
    if (loaded && now_us - last_attempt_us < config.min_refresh_interval_us) return Status::Ok();
    last_attempt_us = now_us;
    ++reads;
    auto text = source->Read();
    if (!text.ok()) {
      return IdentityFailure(IdentityError::kJwksUnavailable,
                             "the keys of " + config.issuer + " could not be read from " +
                                 source->Describe() + ": " + text.status().message());
    }
    auto parsed = ParseJwks(*text);
    if (!parsed.ok()) {
      return IdentityFailure(
          IdentityError::kJwksUnavailable,
          "the JWKS at " + source->Describe() + " is malformed: " + parsed.status().message());
    }
    keys = std::move(parsed).value();
    loaded = true;
    loaded_us = now_us;
    return Status::Ok();
  }

  std::optional<PublicJwk> Find(const std::string& kid, JwsAlgorithm alg) const {
    std::optional<PublicJwk> only;
    int candidates = 0;
    for (const PublicJwk& k : keys) {
      if (!kid.empty()) {
        if (k.kid() == kid) return k;
        continue;
      }
      if (k.algorithm() == alg) {
        only = k;
        ++candidates;
      }
    }
    return candidates == 1 ? only : std::nullopt;
  }
};

UserTokenVerifier::UserTokenVerifier(const Clock& clock, EventSink& events)
    : clock_(clock), events_(events) {}

UserTokenVerifier::~UserTokenVerifier() = default;

Status UserTokenVerifier::AddProvider(OidcProviderConfig config, std::unique_ptr<JwksSource> jwks) {
  if (config.issuer.empty() || config.audiences.empty() || config.algorithms.empty() || !jwks) {
    return InvalidArgument("oidc: a provider needs an issuer, an audience, algorithms and a JWKS");
  }
  if (providers_.count(config.issuer)) {
    return Status(StatusCode::kAlreadyExists, "oidc: provider " + config.issuer + " exists");
  }
  auto p = std::make_unique<Provider>();
  p->source = std::move(jwks);
  std::string issuer = config.issuer;
  p->config = std::move(config);
  providers_.emplace(std::move(issuer), std::move(p));
  return Status::Ok();
}

uint64_t UserTokenVerifier::JwksReads(const std::string& issuer) const {
  auto it = providers_.find(issuer);
  if (it == providers_.end()) return 0;
  std::lock_guard<std::mutex> lock(it->second->mu);
  return it->second->reads;
}

Status UserTokenVerifier::Refuse(const Status& why, const std::string& issuer,
                                 const std::string& subject) {
  IdentityEvent ev;
  ev.type = EventType::kRefused;
  ev.time_us = clock_.NowMicros();
  ev.user = subject;
  auto code = IdentityErrorOf(why);
  ev.error = code ? std::string(IdentityErrorName(*code)) : std::string(StatusCodeName(why.code()));
  ev.message = why.message();
  ev.detail["what"] = "user_token";
  if (!issuer.empty()) ev.detail["issuer"] = issuer;
  (void)events_.Record(ev);
  return why;
}

Result<VerifiedUser> UserTokenVerifier::Verify(std::string_view token) {
  size_t limit = 16384;
  for (const auto& [iss, p] : providers_) limit = std::max(limit, p->config.max_token_bytes);
  if (token.size() > limit) {
    return Refuse(IdentityFailure(IdentityError::kTokenTooLarge, "the user token is too large"), "",
                  "");
  }
  auto parts = SplitCompactJws(token);
  if (!parts.ok()) {
    return Refuse(IdentityFailure(IdentityError::kTokenMalformed, parts.status().message()), "",
                  "");
  }
  auto parsed = ParseJson(parts->payload);
  if (!parsed.ok() || !parsed->is_object()) {
    return Refuse(IdentityFailure(IdentityError::kTokenMalformed, "claims are not an object"), "",
                  "");
  }
  const json::object& c = parsed->as_object();
  auto str = [&](const char* name) -> std::string {
    auto it = c.find(name);
    return it != c.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
  };
  std::string iss = str("iss");
  auto pit = providers_.find(iss);
  if (pit == providers_.end()) {
    return Refuse(
        IdentityFailure(IdentityError::kIssuerMismatch, "no configured provider has this issuer"),
        iss.substr(0, 256), "");
  }
  Provider& p = *pit->second;
  auto header = CheckJwsHeader(parts->header_json, p.config.algorithms, /*kid_required=*/false);
  if (!header.ok()) return Refuse(header.status(), iss, "");
  int64_t now = clock_.NowMicros();
  std::optional<PublicJwk> key;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    Status refreshed = p.Refresh(now, /*force=*/false);
    if (!refreshed.ok() && !p.loaded) return Refuse(refreshed, iss, "");
    key = p.Find(header->kid, header->algorithm);
    if (!key) {
      Status again = p.Refresh(now, /*force=*/true);
      if (!again.ok() && !p.loaded) return Refuse(again, iss, "");
      key = p.Find(header->kid, header->algorithm);
    }
  }
  if (!key) {
    return Refuse(
        IdentityFailure(IdentityError::kKeyIdUnknown, "the provider publishes no key with this id"),
        iss, "");
  }
  if (key->algorithm() != header->algorithm) {
    return Refuse(IdentityFailure(IdentityError::kAlgorithmNotAllowed,
                                  "the key does not sign with the header's algorithm"),
                  iss, "");
  }
  if (!key->Verify(parts->signing_input, parts->signature)) {
    return Refuse(IdentityFailure(IdentityError::kSignatureInvalid,
                                  "the user token's signature does not verify"),
                  iss, "");
  }
  std::string sub = str("sub");
  if (sub.empty() || sub.size() > 512) {
    return Refuse(IdentityFailure(IdentityError::kClaimsInvalid, "no usable \"sub\""), iss, "");
  }
  bool audience_ok = false;
  for (const std::string& a : p.config.audiences)
    audience_ok = audience_ok || AudienceContains(c, a);
  if (!audience_ok) {
    return Refuse(
        IdentityFailure(IdentityError::kAudienceMismatch, "the user token is not for Writ"), iss,
        sub);
  }
  std::optional<int64_t> exp, nbf, iat;
  for (auto [name, out] : {std::pair{"exp", &exp}, std::pair{"nbf", &nbf}, {"iat", &iat}}) {
    Status s = ReadNumericDate(c, name, out);
    if (!s.ok()) return Refuse(s, iss, sub);
  }
  if (!exp) return Refuse(IdentityFailure(IdentityError::kClaimsInvalid, "no \"exp\""), iss, sub);
  Status times = CheckTimes(exp, nbf, iat, now / 1000000, p.config.clock_skew_s);
  if (!times.ok()) return Refuse(times, iss, sub);

  VerifiedUser user;
  user.subject = sub;
  user.issuer = iss;
  user.email = str("email");
  user.expires_at = *exp;
  if (auto g = c.find(p.config.groups_claim); g != c.end()) {
    if (g->value().is_array()) {
      for (const json::value& v : g->value().as_array()) {
        if (v.is_string()) user.groups.emplace_back(v.as_string());
      }
    } else if (g->value().is_string()) {
      std::string_view all = g->value().as_string();
      size_t pos = 0;
      while (pos < all.size()) {
        size_t space = all.find(' ', pos);
        if (space == std::string_view::npos) space = all.size();
        if (space > pos) user.groups.emplace_back(all.substr(pos, space - pos));
        pos = space + 1;
      }
    }
  }
  return user;
}

}  // namespace writ::identity
