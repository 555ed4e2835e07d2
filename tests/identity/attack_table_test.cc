// The attack table: every attack of RFC 8725 and of delegation, one row each. Each is refused
// with its own documented code (docs/identity.md) and recorded as a denial in a real ledger.
#include <gtest/gtest.h>

#include <functional>

#include "identity/identity_test_util.h"
#include "identity/spiffe_id.h"
#include "ledger_event_sink.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;
namespace json = boost::json;
using store::RevocationTarget;

class AttackTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir("writ-attacks-");
    TokenServiceOptions o;
    o.max_delegation_depth = 2;
    ASSERT_TRUE(id_.Open(dir_, o).ok());
    agent_key_ =
        std::make_unique<JwsSigningKey>(JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value());
    std::string jwk = json::serialize(agent_key_->Public("ak").ToJson());
    for (const char* name : {"planner", "coder", "tester", "deployer"}) {
      ASSERT_TRUE(w().agents->Register({name, "alice", "platform", jwk, ""}).ok());
    }
  }
  void TearDown() override {
    id_.Close();
    std::filesystem::remove_all(dir_);
  }
  IdentityWorld& w() { return id_.world; }

  IssuedToken Task(const std::string& task = "task-1", const std::string& user = "alice",
                   const std::string& agent = "planner", int64_t lifetime = 0) {
    TaskTokenRequest r;
    r.agent = agent;
    r.user = {user, "https://idp"};
    r.task_id = task;
    r.scopes = {"read", "write"};
    r.lifetime_s = lifetime;
    return w().tokens->IssueTaskToken(r).value();
  }
  // Claims like a genuine task token's, for forging.
  json::object Claims(int64_t now_s) {
    json::object o = json::parse(EncodeClaims(Task().claims).value()).as_object();
    o["iat"] = now_s;
    o["nbf"] = now_s;
    o["exp"] = now_s + 300;
    return o;
  }
  std::string RealKid() { return w().keys->SigningKey().value()->kid; }
  const JwsSigningKey& RealKey() { return w().keys->SigningKey().value()->key; }
  Status Verify(const std::string& token, VerifyOptions o = {}) {
    return w().tokens->Verify(token, o).status();
  }
  Status Exchange(const std::string& parent, const std::string& actor,
                  std::vector<std::string> scopes = {}, int64_t lifetime = 0) {
    ExchangeRequest r{parent, actor, std::move(scopes), "", lifetime};
    return w().tokens->Exchange(r, nullptr).status();
  }
  std::string Assertion(const std::string& jti, const std::string& iss) {
    int64_t now = w().clock.NowMicros() / 1000000;
    return SignJwt(
        *agent_key_, json::object{{"kid", "ak"}},
        json::object{
            {"iss", iss}, {"sub", iss}, {"aud", kTokenEndpoint}, {"exp", now + 60}, {"jti", jti}});
  }

  std::filesystem::path dir_;
  LedgerBackedIdentity id_;
  std::unique_ptr<JwsSigningKey> agent_key_;
  LocalHttpServer key_server_;  // what jku/x5u point at: it must never be asked
};

struct Row {
  const char* attack;
  IdentityError expected;
  std::function<Status()> attempt;
};

TEST_F(AttackTableTest, EveryAttackIsRefusedWithItsCodeAndRecordedAsADenial) {
  const int64_t now = w().clock.NowMicros() / 1000000;
  const std::string genuine = Task().token;
  const std::string header_b64 = genuine.substr(0, genuine.find('.'));
  const std::string claims_json = CanonicalJson(Claims(now)).value();

  std::vector<Row> rows = {
      {"alg none", IdentityError::kAlgorithmNone,
       [&] {
         return Verify(
             RawJwt("{\"alg\":\"none\",\"kid\":\"" + RealKid() + "\",\"typ\":\"writ+jwt\"}",
                    claims_json, ""));
       }},
      {"HS256 signed with the public key (algorithm confusion)",
       IdentityError::kAlgorithmNotAllowed,
       [&] {
         std::string header =
             "{\"alg\":\"HS256\",\"kid\":\"" + RealKid() + "\",\"typ\":\"writ+jwt\"}";
         std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(claims_json);
         std::string public_jwks = w().keys->JwksDocument(w().clock.NowMicros());
         Digest mac = HmacSha256(public_jwks, input);
         return Verify(input + "." + Base64UrlEncode(DigestBytes(mac)));
       }},
      {"unknown kid", IdentityError::kKeyIdUnknown,
       [&] {
         auto forger = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value();
         return Verify(SignJwt(forger, {{"kid", "no-such-key"}, {"typ", "writ+jwt"}}, Claims(now)));
       }},
      {"kid with a path", IdentityError::kKeyIdInvalid,
       [&] {
         return Verify(SignJwt(RealKey(), {{"kid", "../../../../dev/null"}, {"typ", "writ+jwt"}},
                               Claims(now)));
       }},
      {"kid with SQL", IdentityError::kKeyIdInvalid,
       [&] {
         return Verify(
             SignJwt(RealKey(),
                     {{"kid", "x' UNION SELECT sealed_private FROM keys--"}, {"typ", "writ+jwt"}},
                     Claims(now)));
       }},
      {"jku, x5u and embedded jwk headers", IdentityError::kSignatureInvalid,
       [&] {
         auto forger = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value();
         json::object header{{"kid", RealKid()},
                             {"typ", "writ+jwt"},
                             {"jku", key_server_.Url("/jwks.json")},
                             {"x5u", key_server_.Url("/cert.pem")},
                             {"jwk", forger.Public(RealKid()).ToJson()}};
         return Verify(SignJwt(forger, header, Claims(now)));
       }},
      {"expired", IdentityError::kExpired,
       [&] {
         json::object c = Claims(now);
         c["iat"] = c["nbf"] = now - 1000;
         c["exp"] = now - 31;  // beyond the 30 s skew
         return Verify(SignJwt(RealKey(), {{"kid", RealKid()}, {"typ", "writ+jwt"}}, c));
       }},
      {"not yet valid", IdentityError::kNotYetValid,
       [&] {
         json::object c = Claims(now);
         c["nbf"] = now + 3600;
         c["exp"] = now + 7200;
         return Verify(SignJwt(RealKey(), {{"kid", RealKid()}, {"typ", "writ+jwt"}}, c));
       }},
      {"wrong audience", IdentityError::kAudienceMismatch,
       [&] {
         VerifyOptions o;
         o.audience = "https://another-service";
         return Verify(genuine, o);
       }},
      {"wrong issuer", IdentityError::kIssuerMismatch,
       [&] {
         json::object c = Claims(now);
         c["iss"] = "https://evil.example.com";
         return Verify(SignJwt(RealKey(), {{"kid", RealKid()}, {"typ", "writ+jwt"}}, c));
       }},
      {"payload changed", IdentityError::kSignatureInvalid,
       [&] {
         json::object c = json::parse(SplitCompactJws(genuine)->payload).as_object();
         c["scope"] = "admin read write";
         size_t first = genuine.find('.');
         size_t second = genuine.find('.', first + 1);
         return Verify(header_b64 + "." + Base64UrlEncode(CanonicalJson(c).value()) +
                       genuine.substr(second));
       }},
      {"signature changed", IdentityError::kSignatureInvalid,
       [&] {
         std::string sig = SplitCompactJws(genuine)->signature;
         sig[10] ^= 0x20;
         return Verify(genuine.substr(0, genuine.rfind('.') + 1) + Base64UrlEncode(sig));
       }},
      {"truncated", IdentityError::kTokenMalformed,
       [&] { return Verify(genuine.substr(0, genuine.rfind('.'))); }},
      {"oversized", IdentityError::kTokenTooLarge,
       [&] { return Verify(genuine + std::string(9000, 'A')); }},
      {"single-use credential replayed", IdentityError::kCredentialUsed,
       [&] {
         auto cred = w().tokens->IssueCredential({genuine, "dec-1", "svc", {}, 30}).value();
         EXPECT_TRUE(w().tokens->ConsumeCredential(cred.token, "svc", "dec-1").ok());
         return w().tokens->ConsumeCredential(cred.token, "svc", "dec-1").status();
       }},
      {"assertion jti replayed", IdentityError::kAssertionReplayed,
       [&] {
         std::string a = Assertion("jti-1", "spiffe://writ.test/agent/planner");
         EXPECT_TRUE(w().agents->AuthenticateAssertion(a).ok());
         return w().agents->AuthenticateAssertion(a).status();
       }},
      {"exchange widening scopes", IdentityError::kScopeWidening,
       [&] {
         return Exchange(genuine, "coder", {"read", "admin"});
       }},
      {"exchange extending lifetime", IdentityError::kLifetimeExtension,
       [&] { return Exchange(genuine, "coder", {}, 3000); }},
      {"exchange from a revoked parent", IdentityError::kParentRevoked,
       [&] {
         IssuedToken parent = Task("task-revoked-parent");
         EXPECT_TRUE(
             w().tokens->Revoke(RevocationTarget::kToken, parent.claims.token_id, "test").ok());
         return Exchange(parent.token, "coder");
       }},
      {"exchange from an expired parent", IdentityError::kParentExpired,
       [&] {
         IssuedToken parent = Task("task-expired-parent", "alice", "planner", 1);
         w().clock.Advance(40LL * 1000 * 1000);
         return Exchange(parent.token, "coder");
       }},
      {"depth beyond the maximum", IdentityError::kDepthExceeded,
       [&] {
         IssuedToken root = Task("task-deep");
         ExchangeRequest r{root.token, "coder", {}, "", 0};
         auto one = w().tokens->Exchange(r, nullptr).value();
         r = {one.token, "tester", {}, "", 0};
         auto two = w().tokens->Exchange(r, nullptr).value();
         return Exchange(two.token, "deployer");
       }},
      {"malformed SPIFFE ID", IdentityError::kSpiffeIdInvalid,
       [&] {
         return w()
             .agents->AuthenticateAssertion(Assertion("jti-2", "spiffe://Writ Test/agent/../x"))
             .status();
       }},
      {"token of a revoked task", IdentityError::kTaskRevoked,
       [&] {
         IssuedToken t = Task("task-ended");
         EXPECT_TRUE(w().tokens->EndTask("task-ended").ok());
         return Verify(t.token);
       }},
      {"token of a revoked agent", IdentityError::kAgentRevoked,
       [&] {
         IssuedToken t = Task("task-agent", "alice", "deployer");
         EXPECT_TRUE(w().tokens->Revoke(RevocationTarget::kAgent, "deployer", "compromised").ok());
         return Verify(t.token);
       }},
      {"token of a revoked user", IdentityError::kUserRevoked,
       [&] {
         IssuedToken t = Task("task-user", "mallory");
         EXPECT_TRUE(w().tokens->Revoke(RevocationTarget::kUser, "mallory", "left").ok());
         return Verify(t.token);
       }},
  };

  for (const Row& row : rows) {
    SCOPED_TRACE(row.attack);
    int recorded_before = id_.DenialRecords(row.expected);
    Status s = row.attempt();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(IdentityErrorOf(s), row.expected) << s.ToString();
    // The code appears in the message, and no token text does.
    EXPECT_EQ(s.message().rfind(std::string(IdentityErrorName(row.expected)) + ": ", 0), 0u);
    EXPECT_EQ(s.message().find(genuine), std::string::npos);
    EXPECT_GT(id_.DenialRecords(row.expected), recorded_before) << "no denial record in the ledger";
  }
  EXPECT_EQ(rows.size(), 25u);
  // jku and x5u were never fetched.
  EXPECT_EQ(key_server_.requests(), 0);
  // No ledger record holds a token in full.
  for (const char* kind : {"decision", "credential_issue", "delegation", "credential_revoke"}) {
    for (const auto& body : id_.Bodies(kind)) {
      EXPECT_EQ(json::serialize(body).find(genuine.substr(genuine.rfind('.') + 1)),
                std::string::npos);
    }
  }
}

}  // namespace
}  // namespace writ::identity
