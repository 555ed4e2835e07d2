#include "identity/user_tokens.h"

#include <gtest/gtest.h>

#include <fstream>

#include "identity/identity_test_util.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;
namespace json = boost::json;

constexpr const char* kIdp = "https://idp.example.com";

class UserTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = std::make_unique<JwsSigningKey>(JwsSigningKey::Generate(JwsAlgorithm::kRS256).value());
    ec_ = std::make_unique<JwsSigningKey>(JwsSigningKey::Generate(JwsAlgorithm::kES256).value());
    ed_ = std::make_unique<JwsSigningKey>(JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value());
    server_.SetBody(FormatJwks({rsa_->Public("rsa-1"), ec_->Public("ec-1"), ed_->Public("ed-1")}));
    fetcher_ = MakeBeastHttpFetcher();
    verifier_ = std::make_unique<UserTokenVerifier>(clock_, sink_);
    OidcProviderConfig c;
    c.issuer = kIdp;
    c.audiences = {"writ"};
    ASSERT_TRUE(verifier_->AddProvider(c, JwksFromUrl(server_.Url("/jwks"), *fetcher_)).ok());
  }

  json::object Claims() {
    int64_t now = clock_.NowMicros() / 1000000;
    return json::object{{"iss", kIdp},
                        {"sub", "alice"},
                        {"aud", "writ"},
                        {"exp", now + 300},
                        {"iat", now},
                        {"email", "alice@example.com"},
                        {"groups", json::array{"admins", "sre"}}};
  }
  std::optional<IdentityError> Code(const std::string& token) {
    return IdentityErrorOf(verifier_->Verify(token).status());
  }

  ManualClock clock_{kStartMicros};
  CollectingEventSink sink_;
  LocalHttpServer server_;
  std::unique_ptr<HttpFetcher> fetcher_;
  std::unique_ptr<UserTokenVerifier> verifier_;
  std::unique_ptr<JwsSigningKey> rsa_, ec_, ed_;
};

TEST_F(UserTokensTest, VerifiesEachAlgorithmAndExposesTheUser) {
  for (auto [key, kid] : {std::pair{rsa_.get(), "rsa-1"}, std::pair{ec_.get(), "ec-1"},
                          std::pair{ed_.get(), "ed-1"}}) {
    auto user = verifier_->Verify(SignJwt(*key, json::object{{"kid", kid}}, Claims()));
    ASSERT_TRUE(user.ok()) << kid << " " << user.status().ToString();
    EXPECT_EQ(user->subject, "alice");
    EXPECT_EQ(user->issuer, kIdp);
    EXPECT_EQ(user->email, "alice@example.com");
    EXPECT_EQ(user->groups, (std::vector<std::string>{"admins", "sre"}));
  }
  // The JWKS was fetched once over real HTTP and then served from the cache.
  EXPECT_EQ(server_.requests(), 1);
  EXPECT_EQ(verifier_->JwksReads(kIdp), 1u);
}

TEST_F(UserTokensTest, IssuerAudienceAndTimesWithSkew) {
  json::object c = Claims();
  c["aud"] = json::array{"other", "writ"};
  EXPECT_TRUE(verifier_->Verify(SignJwt(*ec_, {{"kid", "ec-1"}}, c)).ok());
  c["aud"] = "other";
  EXPECT_EQ(Code(SignJwt(*ec_, {{"kid", "ec-1"}}, c)), IdentityError::kAudienceMismatch);
  c = Claims();
  c["iss"] = "https://evil.example.com";
  EXPECT_EQ(Code(SignJwt(*ec_, {{"kid", "ec-1"}}, c)), IdentityError::kIssuerMismatch);
  int64_t now = clock_.NowMicros() / 1000000;
  c = Claims();
  c["exp"] = now - 30;  // within the 60 s skew
  EXPECT_TRUE(verifier_->Verify(SignJwt(*ec_, {{"kid", "ec-1"}}, c)).ok());
  c["exp"] = now - 61;
  EXPECT_EQ(Code(SignJwt(*ec_, {{"kid", "ec-1"}}, c)), IdentityError::kExpired);
  c = Claims();
  c["nbf"] = now + 120;
  EXPECT_EQ(Code(SignJwt(*ec_, {{"kid", "ec-1"}}, c)), IdentityError::kNotYetValid);
  c = Claims();
  c.erase("exp");
  EXPECT_EQ(Code(SignJwt(*ec_, {{"kid", "ec-1"}}, c)), IdentityError::kClaimsInvalid);
  c = Claims();
  c["groups"] = "a b  c";
  auto user = verifier_->Verify(SignJwt(*ec_, {{"kid", "ec-1"}}, c));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->groups, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(UserTokensTest, UnknownKidRefreshesOnceWithinTheRateLimit) {
  auto rotated = JwsSigningKey::Generate(JwsAlgorithm::kES256).value();
  ASSERT_TRUE(verifier_->Verify(SignJwt(*ec_, {{"kid", "ec-1"}}, Claims())).ok());
  EXPECT_EQ(server_.requests(), 1);
  // The provider rotates; the first token with the new kid triggers one refetch.
  server_.SetBody(FormatJwks({rotated.Public("ec-2")}));
  clock_.Advance(31LL * 1000 * 1000);
  auto user = verifier_->Verify(SignJwt(rotated, {{"kid", "ec-2"}}, Claims()));
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(server_.requests(), 2);
  // A flood of made-up kids within the interval fetches nothing more.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Code(SignJwt(rotated, {{"kid", "made-up-" + std::to_string(i)}}, Claims())),
              IdentityError::kKeyIdUnknown);
  }
  EXPECT_EQ(server_.requests(), 2);
}

TEST_F(UserTokensTest, FileJwksAndUnavailableSources) {
  auto dir = TestDir("writ-oidc-");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "jwks.json") << FormatJwks({ed_->Public("file-1")});
  UserTokenVerifier v(clock_, sink_);
  OidcProviderConfig c;
  c.issuer = "https://file-idp";
  c.audiences = {"writ"};
  c.algorithms = {JwsAlgorithm::kEdDSA};
  ASSERT_TRUE(v.AddProvider(c, JwksFromFile((dir / "jwks.json").string())).ok());
  EXPECT_EQ(v.AddProvider(c, JwksFromFile("x")).code(), StatusCode::kAlreadyExists);
  json::object claims = Claims();
  claims["iss"] = "https://file-idp";
  EXPECT_TRUE(v.Verify(SignJwt(*ed_, {{"kid", "file-1"}}, claims)).ok());
  // An algorithm the provider does not use is refused before any key is looked at.
  EXPECT_EQ(IdentityErrorOf(v.Verify(SignJwt(*ec_, {{"kid", "file-1"}}, claims)).status()),
            IdentityError::kAlgorithmNotAllowed);
  c.issuer = "https://down-idp";
  ASSERT_TRUE(v.AddProvider(c, JwksFromFile((dir / "missing.json").string())).ok());
  claims["iss"] = "https://down-idp";
  EXPECT_EQ(IdentityErrorOf(v.Verify(SignJwt(*ed_, {{"kid", "file-1"}}, claims)).status()),
            IdentityError::kJwksUnavailable);
  std::filesystem::remove_all(dir);
}

TEST(HttpFetcherTest, ParsesUrlsStrictly) {
  auto u = ParseHttpUrl("https://idp.example.com/.well-known/jwks.json");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/.well-known/jwks.json");
  auto p = ParseHttpUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->port, "8080");
  EXPECT_EQ(p->target, "/");
  for (const char* bad : {"ftp://x/", "http://", "http://user@host/", "http://h:99999999/",
                          "http://h:/", "http://h/a b", "file:///etc/passwd"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
  }
}

TEST(HttpFetcherTest, FetchesFromARealServerAndReportsFailures) {
  LocalHttpServer server;
  server.SetBody("{\"keys\":[]}");
  auto fetcher = MakeBeastHttpFetcher();
  auto body = fetcher->Fetch(server.Url("/jwks"));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, "{\"keys\":[]}");
  server.SetBody("gone", 404);
  EXPECT_EQ(fetcher->Fetch(server.Url("/jwks")).status().code(), StatusCode::kUnavailable);
  server.SetBody(std::string(2 << 20, 'x'));
  EXPECT_EQ(fetcher->Fetch(server.Url("/jwks")).status().code(), StatusCode::kUnavailable);
  // Nothing listens on port 1.
  EXPECT_EQ(fetcher->Fetch("http://127.0.0.1:1/").status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace writ::identity
