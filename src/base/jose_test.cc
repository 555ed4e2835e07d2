#include "base/jose.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"

namespace writ {
namespace {

namespace json = boost::json;

// RFC 8032 §7.1 test 1: the key that RFC 8037 Appendix A uses for its JOSE examples.
constexpr const char* kRfc8037Seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* kRfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

std::string Rfc8037Pkcs8() {
  // PKCS #8 wrapping of an Ed25519 seed (RFC 8410 §7): a fixed 16-byte prefix and the seed.
  return HexDecode("302e020100300506032b657004220420").value() + HexDecode(kRfc8037Seed).value();
}

TEST(JoseTest, AlgorithmNamesAreTheThreeAllowedOnly) {
  EXPECT_EQ(ParseJwsAlgorithm("EdDSA"), JwsAlgorithm::kEdDSA);
  EXPECT_EQ(ParseJwsAlgorithm("ES256"), JwsAlgorithm::kES256);
  EXPECT_EQ(ParseJwsAlgorithm("RS256"), JwsAlgorithm::kRS256);
  for (const char* bad : {"none", "None", "HS256", "es256", "PS256", "ES384", ""}) {
    EXPECT_FALSE(ParseJwsAlgorithm(bad).has_value()) << bad;
  }
}

TEST(JoseTest, Rfc8037KnownAnswers) {
  auto key = JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm::kEdDSA, Rfc8037Pkcs8());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  PublicJwk pub = key->Public("k1");
  EXPECT_EQ(pub.ToJson().at("x").as_string(), kRfc8037X);
  // RFC 8037 Appendix A.3.
  EXPECT_EQ(pub.Thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  // RFC 8037 Appendix A.4: Ed25519 is deterministic, so the signature is known.
  std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  auto sig = key->Sign(input);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(
      Base64UrlEncode(*sig),
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  EXPECT_TRUE(pub.Verify(input, *sig));
  EXPECT_FALSE(pub.Verify(input + "x", *sig));
}

class JoseAlgorithmTest : public ::testing::TestWithParam<JwsAlgorithm> {};

TEST_P(JoseAlgorithmTest, SignVerifyAndJwkRoundTrip) {
  auto key = JwsSigningKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::string input = "header.payload";
  auto sig = key->Sign(input);
  ASSERT_TRUE(sig.ok());
  if (GetParam() != JwsAlgorithm::kRS256) {
    EXPECT_EQ(sig->size(), 64u);
  }
  PublicJwk pub = key->Public("kid-1");
  EXPECT_TRUE(pub.Verify(input, *sig));
  std::string flipped = *sig;
  flipped[5] ^= 1;
  EXPECT_FALSE(pub.Verify(input, flipped));
  EXPECT_FALSE(pub.Verify(input, sig->substr(1)));
  EXPECT_FALSE(pub.Verify("header.payloaD", *sig));

  // The published JWK parses back to a key that verifies the same signature.
  json::object published = pub.ToJson();
  EXPECT_FALSE(published.contains("d"));
  auto back = PublicJwk::FromJson(published);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kid(), "kid-1");
  EXPECT_EQ(back->algorithm(), GetParam());
  EXPECT_EQ(back->Thumbprint(), pub.Thumbprint());
  EXPECT_TRUE(back->Verify(input, *sig));

  // The private key survives its DER encoding.
  auto der = key->PrivateKeyDer();
  ASSERT_TRUE(der.ok());
  auto again = JwsSigningKey::FromPrivateKeyDer(GetParam(), *der);
  ASSERT_TRUE(again.ok());
  auto sig2 = again->Sign(input);
  ASSERT_TRUE(sig2.ok());
  EXPECT_TRUE(pub.Verify(input, *sig2));
}

INSTANTIATE_TEST_SUITE_P(All, JoseAlgorithmTest,
                         ::testing::Values(JwsAlgorithm::kEdDSA, JwsAlgorithm::kES256,
                                           JwsAlgorithm::kRS256));

TEST(JoseTest, PrivateKeyOfAnotherTypeIsRefused) {
  auto ed = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value();
  auto der = ed.PrivateKeyDer().value();
  EXPECT_FALSE(JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm::kES256, der).ok());
  EXPECT_FALSE(JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm::kEdDSA, "garbage").ok());
  EXPECT_FALSE(JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm::kEdDSA, der + "x").ok());
}

TEST(JoseTest, MalformedJwksAreRefused) {
  auto ec = JwsSigningKey::Generate(JwsAlgorithm::kES256).value().Public("e");
  json::object good = ec.ToJson();
  auto with = [&](const char* name, json::value v) {
    json::object o = good;
    o[name] = std::move(v);
    return PublicJwk::FromJson(o);
  };
  EXPECT_TRUE(PublicJwk::FromJson(good).ok());
  EXPECT_FALSE(with("d", "AAAA").ok());     // private member
  EXPECT_FALSE(with("alg", "RS256").ok());  // alg does not fit the key
  EXPECT_FALSE(with("alg", "HS256").ok());
  EXPECT_FALSE(with("use", "enc").ok());
  EXPECT_FALSE(with("crv", "P-384").ok());
  EXPECT_FALSE(with("x", "not base64!").ok());
  EXPECT_FALSE(with("kid", 5).ok());
  // A point that is not on the curve: change one bit of y.
  std::string y = Base64UrlDecode(good.at("y").as_string()).value();
  y[31] ^= 1;
  EXPECT_FALSE(with("y", json::string(Base64UrlEncode(y))).ok());
  EXPECT_FALSE(PublicJwk::FromJsonText("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}").ok());
  EXPECT_FALSE(PublicJwk::FromJsonText("[]").ok());
  // A short RSA modulus.
  EXPECT_FALSE(PublicJwk::FromJsonText("{\"kty\":\"RSA\",\"n\":\"" +
                                       Base64UrlEncode(std::string(128, '\xff')) +
                                       "\",\"e\":\"AQAB\"}")
                   .ok());
}

TEST(JoseTest, JwksSkipsForeignKeysAndKeepsOurs) {
  auto ed = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value().Public("a");
  auto rsa = JwsSigningKey::Generate(JwsAlgorithm::kRS256).value().Public("b");
  std::string doc = FormatJwks({ed, rsa});
  json::object parsed = json::parse(doc).as_object();
  parsed["keys"].as_array().push_back(json::object{{"kty", "oct"}, {"kid", "h"}});
  parsed["keys"].as_array().push_back(
      json::object{{"kty", "EC"}, {"crv", "P-521"}, {"kid", "p5"}, {"x", "AA"}, {"y", "AA"}});
  auto keys = ParseJwks(json::serialize(parsed));
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].kid(), "a");
  EXPECT_EQ((*keys)[1].algorithm(), JwsAlgorithm::kRS256);
  EXPECT_FALSE(ParseJwks("{}").ok());
  EXPECT_FALSE(ParseJwks("not json").ok());
  EXPECT_FALSE(ParseJwks(doc, 1).ok());
}

TEST(JoseTest, CompactSerialisation) {
  auto key = JwsSigningKey::Generate(JwsAlgorithm::kEdDSA).value();
  auto token = SignCompactJws(key, json::object{{"typ", "JWT"}, {"kid", "k"}}, "{\"a\":1}");
  ASSERT_TRUE(token.ok());
  auto parts = SplitCompactJws(*token);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->header_json, "{\"alg\":\"EdDSA\",\"kid\":\"k\",\"typ\":\"JWT\"}");
  EXPECT_EQ(parts->payload, "{\"a\":1}");
  EXPECT_TRUE(key.Public("k").Verify(parts->signing_input, parts->signature));
  for (const char* bad : {"", "a", "a.b", "a.b.c.d", ".e30.", "e30.e30.a=", "e30.e+0.aa"}) {
    EXPECT_FALSE(SplitCompactJws(bad).ok()) << bad;
  }
  // An unsigned token splits (its empty signature is the caller's to refuse).
  EXPECT_TRUE(SplitCompactJws("eyJhbGciOiJub25lIn0.e30.").ok());
}

}  // namespace
}  // namespace writ
