#include "identity/signing_keys.h"

#include <gtest/gtest.h>

#include "identity/identity_test_util.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;

TEST(SigningKeysTest, FirstOpenCreatesAnEd25519KeySealedAtRest) {
  auto dir = TestDir("writ-keys-");
  CollectingEventSink sink;
  IdentityWorld w;
  ASSERT_TRUE(w.Open(dir, TestMasterHex(), sink).ok());
  auto keys = w.keys->List();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].algorithm, JwsAlgorithm::kEdDSA);
  EXPECT_TRUE(keys[0].signing);
  auto signer = w.keys->SigningKey();
  ASSERT_TRUE(signer.ok());
  // The stored private half is sealed: its DER is nowhere in the row.
  auto rows = w.store->identity().ListSigningKeys().value();
  std::string der = (*signer)->key.PrivateKeyDer().value();
  EXPECT_EQ(rows[0].sealed_private.find(der.substr(der.size() - 32)), std::string::npos);
  EXPECT_EQ(rows[0].public_jwk.find("\"d\""), std::string::npos);
  // The kid is the RFC 7638 thumbprint.
  EXPECT_EQ(keys[0].kid, (*signer)->key.Public("").Thumbprint());
  ASSERT_EQ(sink.Events().size(), 1u);
  EXPECT_EQ(sink.Events()[0].type, EventType::kKeyRotated);
  w.Close();

  // Reopening with the same master key finds the same key; with another, the key does not open.
  IdentityWorld again;
  ASSERT_TRUE(again.Open(dir, TestMasterHex(), sink).ok());
  EXPECT_EQ(again.keys->List().size(), 1u);
  again.Close();
  IdentityWorld wrong;
  Status s = wrong.Open(dir, std::string(64, 'b'), sink);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_EQ(s.message().find(std::string(64, 'b')), std::string::npos);
  wrong.Close();
  std::filesystem::remove_all(dir);
}

TEST(SigningKeysTest, JwksPublishesEveryKeyThatVerifies) {
  auto dir = TestDir("writ-keys-");
  CollectingEventSink sink;
  IdentityWorld w;
  ASSERT_TRUE(w.Open(dir, TestMasterHex(), sink).ok());
  w.clock.Advance(1000);  // keys are listed by creation time
  ASSERT_TRUE(w.keys->Rotate(JwsAlgorithm::kES256).ok());
  EXPECT_EQ(w.keys->Rotate(JwsAlgorithm::kRS256).status().code(), StatusCode::kInvalidArgument);
  auto jwks = ParseJwks(w.keys->JwksDocument(w.clock.NowMicros()));
  ASSERT_TRUE(jwks.ok());
  ASSERT_EQ(jwks->size(), 2u);
  EXPECT_EQ((*jwks)[0].algorithm(), JwsAlgorithm::kEdDSA);
  EXPECT_EQ((*jwks)[1].algorithm(), JwsAlgorithm::kES256);
  EXPECT_EQ(w.keys->JwksDocument(w.clock.NowMicros()).find("\"d\""), std::string::npos);
  w.Close();
  std::filesystem::remove_all(dir);
}

TEST(SigningKeysTest, AnotherNodesRotationIsPickedUpOnAnUnknownKid) {
  auto dir = TestDir("writ-keys-");
  CollectingEventSink sink;
  IdentityWorld a;
  ASSERT_TRUE(a.Open(dir, TestMasterHex(), sink).ok());
  IdentityWorld b;  // a second node over the same database
  ASSERT_TRUE(b.Open(dir, TestMasterHex(), sink).ok());
  auto rotated = b.keys->Rotate();
  ASSERT_TRUE(rotated.ok());
  a.clock.Advance(5LL * 1000 * 1000);  // past the reload rate limit
  EXPECT_TRUE(a.keys->VerificationKey(rotated->kid, a.clock.NowMicros()).has_value());
  EXPECT_FALSE(a.keys->VerificationKey("never-made", a.clock.NowMicros()).has_value());
  a.Close();
  b.Close();
  std::filesystem::remove_all(dir);
}

TEST(SigningKeysTest, IssuerMetadataFollowsRfc8414) {
  IssuerEndpoints ep{"https://writ.test", "https://writ.test/.well-known/jwks.json",
                     "https://writ.test/oauth/token", "https://writ.test/oauth/introspect",
                     "https://writ.test/oauth/revoke"};
  auto doc = boost::json::parse(IssuerMetadataJson(ep)).as_object();
  EXPECT_EQ(doc.at("issuer").as_string(), "https://writ.test");
  EXPECT_EQ(doc.at("jwks_uri").as_string(), ep.jwks_uri);
  EXPECT_EQ(doc.at("token_endpoint").as_string(), ep.token_endpoint);
  EXPECT_EQ(doc.at("grant_types_supported").as_array().at(0).as_string(),
            "urn:ietf:params:oauth:grant-type:token-exchange");
  bool has_pkjwt = false;
  for (const auto& m : doc.at("token_endpoint_auth_methods_supported").as_array()) {
    has_pkjwt = has_pkjwt || m.as_string() == "private_key_jwt";
  }
  EXPECT_TRUE(has_pkjwt);
  EXPECT_TRUE(doc.contains("response_types_supported"));
  EXPECT_TRUE(doc.contains("introspection_endpoint"));
  EXPECT_TRUE(doc.contains("revocation_endpoint"));
}

}  // namespace
}  // namespace writ::identity

namespace writ::identity {
namespace {

TEST(SigningKeysTest, VerificationOnlyRingNeedsNoMasterKeyAndNeverSigns) {
  auto dir = TestDir("writ-keys-");
  CollectingEventSink sink;
  IdentityWorld w;
  ASSERT_TRUE(w.Open(dir, TestMasterHex(), sink).ok());
  std::string kid = w.keys->SigningKey().value()->kid;
  auto ring = SigningKeyRing::OpenForVerification(w.store->identity(), w.clock, sink);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_TRUE((*ring)->VerificationKey(kid, w.clock.NowMicros()).has_value());
  EXPECT_EQ((*ring)->SigningKey().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*ring)->Rotate().status().code(), StatusCode::kFailedPrecondition);
  w.Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace writ::identity
