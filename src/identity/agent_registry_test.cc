#include "identity/agent_registry.h"

#include <gtest/gtest.h>

#include "identity/identity_test_util.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;
namespace json = boost::json;

class AgentRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir("writ-agents-");
    ASSERT_TRUE(w_.Open(dir_, TestMasterHex(), sink_).ok());
    key_ = std::make_unique<JwsSigningKey>(JwsSigningKey::Generate(JwsAlgorithm::kES256).value());
    std::string jwk = json::serialize(key_->Public("agent-key-1").ToJson());
    auto a = w_.agents->Register({"planner", "alice", "platform", jwk, "s3cret-s3cret-s3cret"});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
  }
  void TearDown() override {
    w_.Close();
    std::filesystem::remove_all(dir_);
  }

  json::object Claims() {
    int64_t now = w_.clock.NowMicros() / 1000000;
    return json::object{{"iss", kClientId}, {"sub", kClientId}, {"aud", kTokenEndpoint},
                        {"exp", now + 60},  {"iat", now},       {"jti", "assertion-1"}};
  }
  std::string Assertion(json::object claims) {
    return SignJwt(*key_, json::object{{"kid", "agent-key-1"}, {"typ", "JWT"}}, claims);
  }
  std::optional<IdentityError> Code(const std::string& assertion) {
    return IdentityErrorOf(w_.agents->AuthenticateAssertion(assertion).status());
  }

  static constexpr const char* kClientId = "spiffe://writ.test/agent/planner";
  std::filesystem::path dir_;
  CollectingEventSink sink_;
  IdentityWorld w_;
  std::unique_ptr<JwsSigningKey> key_;
};

TEST_F(AgentRegistryTest, RegistrationNamesTheSpiffeIdAndHashesTheSecret) {
  auto a = w_.agents->Find("planner");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->spiffe_id, kClientId);
  EXPECT_TRUE((*a)->has_client_secret);
  ASSERT_TRUE((*a)->public_key.has_value());
  auto stored = w_.store->identity().GetAgent("planner").value();
  EXPECT_EQ(stored->secret_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(stored->secret_hash.find("s3cret"), std::string::npos);
  EXPECT_EQ(w_.agents->Register({"planner", "bob", "x", "", ""}).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(IdentityErrorOf(w_.agents->Register({"bad/name", "a", "b", "", ""}).status()),
            IdentityError::kSpiffeIdInvalid);
  EXPECT_FALSE(w_.agents->Register({"x", "a", "b", "{\"kty\":\"oct\"}", ""}).ok());
  EXPECT_FALSE(w_.agents->Register({"y", "a", "b", "", "short"}).ok());
  EXPECT_FALSE(w_.agents->Register({"z", "", "b", "", ""}).ok());
  EXPECT_EQ(w_.agents->List()->size(), 1u);
}

TEST_F(AgentRegistryTest, ValidAssertionAuthenticatesOnce) {
  std::string a = Assertion(Claims());
  auto agent = w_.agents->AuthenticateAssertion(a);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  EXPECT_EQ(agent->name, "planner");
  EXPECT_EQ(Code(a), IdentityError::kAssertionReplayed);
  // A new jti is a new assertion.
  json::object c = Claims();
  c["jti"] = "assertion-2";
  EXPECT_TRUE(w_.agents->AuthenticateAssertion(Assertion(c)).ok());
  EXPECT_EQ(CountRefusals(sink_, IdentityError::kAssertionReplayed), 1);
}

TEST_F(AgentRegistryTest, AssertionRulesOfRfc7523) {
  auto with = [&](const char* name, json::value v) {
    json::object c = Claims();
    c["jti"] = std::string("j-") + name;
    if (v.is_null()) {
      c.erase(name);
    } else {
      c[name] = std::move(v);
    }
    return Assertion(c);
  };
  int64_t now = w_.clock.NowMicros() / 1000000;
  EXPECT_EQ(Code(with("aud", "https://other/token")), IdentityError::kAudienceMismatch);
  EXPECT_EQ(Code(with("exp", now - 100)), IdentityError::kExpired);
  EXPECT_EQ(Code(with("exp", nullptr)), IdentityError::kAssertionInvalid);
  EXPECT_EQ(Code(with("exp", now + 3600)), IdentityError::kAssertionInvalid);  // too long
  EXPECT_EQ(Code(with("nbf", now + 600)), IdentityError::kNotYetValid);
  EXPECT_EQ(Code(with("jti", nullptr)), IdentityError::kAssertionInvalid);
  EXPECT_EQ(Code(with("sub", "spiffe://writ.test/agent/other")), IdentityError::kAssertionInvalid);
  json::object c = Claims();
  c["iss"] = c["sub"] = "spiffe://writ.test/agent/ghost";
  EXPECT_EQ(Code(Assertion(c)), IdentityError::kClientUnknown);
  c["iss"] = c["sub"] = "spiffe://writ.test/agent/../x";
  EXPECT_EQ(Code(Assertion(c)), IdentityError::kSpiffeIdInvalid);
  // Signed by another key.
  auto other = JwsSigningKey::Generate(JwsAlgorithm::kES256).value();
  json::object fresh = Claims();
  fresh["jti"] = "other-key";
  EXPECT_EQ(IdentityErrorOf(w_.agents
                                ->AuthenticateAssertion(
                                    SignJwt(other, json::object{{"kid", "agent-key-1"}}, fresh))
                                .status()),
            IdentityError::kSignatureInvalid);
  // Rejected assertions did not burn their jti: the fixed one still works.
  json::object fixed = Claims();
  fixed["jti"] = "j-aud";
  EXPECT_TRUE(w_.agents->AuthenticateAssertion(Assertion(fixed)).ok());
}

TEST_F(AgentRegistryTest, ClientSecrets) {
  EXPECT_TRUE(w_.agents->AuthenticateSecret("planner", "s3cret-s3cret-s3cret").ok());
  EXPECT_TRUE(w_.agents->AuthenticateSecret(kClientId, "s3cret-s3cret-s3cret").ok());
  EXPECT_EQ(IdentityErrorOf(w_.agents->AuthenticateSecret("planner", "Xy7-guess").status()),
            IdentityError::kClientAuthFailed);
  EXPECT_EQ(IdentityErrorOf(w_.agents->AuthenticateSecret("ghost", "x").status()),
            IdentityError::kClientUnknown);
  for (const IdentityEvent& e : sink_.Events()) {
    EXPECT_EQ(e.message.find("s3cret"), std::string::npos);
    EXPECT_EQ(e.message.find("Xy7-guess"), std::string::npos);
  }
}

}  // namespace
}  // namespace writ::identity
