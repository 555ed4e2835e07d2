// JOSE building blocks: JSON Web Keys (RFC 7517/7518), JWS compact serialisation (RFC 7515) and
// the three signature algorithms Writ accepts: EdDSA with Ed25519 (RFC 8037), ES256 (ECDSA P-256
// with SHA-256, signature as the raw 64-byte R || S of RFC 7518 §3.4) and RS256 (RSASSA-PKCS1-v1_5
// with SHA-256, modulus of at least 2048 bits).
//
// Nothing here decides whether a token is acceptable: that is the caller's policy (allowed
// algorithms, issuer, audience, times). These functions only parse strictly and check
// signatures. "none" and every HMAC algorithm are unknown to ParseJwsAlgorithm on purpose, so a
// caller cannot be tricked into verifying with a public key used as an HMAC secret (RFC 8725
// §2.1, §3.1).
//
// Ownership and thread-safety: PublicJwk and JwsSigningKey share their immutable OpenSSL key
// object between copies; every const method may be called from any number of threads.
// Private key material never appears in a Status message.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace writ {

enum class JwsAlgorithm : uint8_t { kEdDSA, kES256, kRS256 };

// "EdDSA", "ES256", "RS256".
std::string_view JwsAlgorithmName(JwsAlgorithm alg);
// Only the three names above (case-sensitive, RFC 7515 §4.1.1); anything else, "none" and
// "HS256" included, is std::nullopt.
std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name);

// The smallest RSA modulus accepted (RFC 7518 §3.3 requires 2048 bits).
inline constexpr int kMinRsaModulusBits = 2048;

struct OpaquePkey;  // an OpenSSL EVP_PKEY, shared and immutable

// A public key from a JWK, bound to the one algorithm it may verify.
class PublicJwk {
 public:
  // Accepts {"kty":"OKP","crv":"Ed25519","x"}, {"kty":"EC","crv":"P-256","x","y"} (point on the
  // curve) and {"kty":"RSA","n","e"} (>= 2048 bits). "alg", when present, must be the
  // algorithm the key type implies; "use", when present, must be "sig". Private members ("d",
  // "p", ...) are refused: a JWKS must not carry private keys. invalid_argument on any defect.
  static Result<PublicJwk> FromJson(const boost::json::object& jwk);
  static Result<PublicJwk> FromJsonText(std::string_view text);

  const std::string& kid() const { return kid_; }  // empty when the JWK had none
  JwsAlgorithm algorithm() const { return alg_; }

  // The public members (with "kid", "alg" and "use":"sig"), as a JWKS publishes them.
  boost::json::object ToJson() const;
  // The RFC 7638 thumbprint: base64url(SHA-256(required members, canonical order)).
  std::string Thumbprint() const;

  // True only for a valid signature by this key under its algorithm. Malformed signatures
  // (wrong length, bad encoding) verify as false.
  bool Verify(std::string_view signing_input, std::string_view signature) const;

  // A copy with another key id.
  PublicJwk WithKid(std::string kid) const;

 private:
  friend class JwsSigningKey;
  PublicJwk() = default;
  std::shared_ptr<const OpaquePkey> key_;
  JwsAlgorithm alg_ = JwsAlgorithm::kEdDSA;
  std::string kid_;
  boost::json::object members_;  // kty, crv/x/y or n/e
};

// A JWK Set document ({"keys":[...]}). Keys of a type Writ does not verify with ("oct", other
// curves, "use":"enc") are skipped; a malformed key of a supported type is an error, and so is a
// document without a "keys" array. At most `max_keys` keys are read.
Result<std::vector<PublicJwk>> ParseJwks(std::string_view text, size_t max_keys = 64);
// {"keys":[...]} of the given keys.
std::string FormatJwks(const std::vector<PublicJwk>& keys);

// A private signing key for one algorithm.
class JwsSigningKey {
 public:
  // A fresh key: Ed25519, P-256 or RSA-2048.
  static Result<JwsSigningKey> Generate(JwsAlgorithm alg);
  // From the PKCS #8 DER that PrivateKeyDer produced; invalid_argument when the bytes are not a
  // key of `alg`'s type.
  static Result<JwsSigningKey> FromPrivateKeyDer(JwsAlgorithm alg, std::string_view der);

  JwsAlgorithm algorithm() const { return alg_; }
  // PKCS #8 DER of the private key. A secret: encrypt before storing, never log.
  Result<std::string> PrivateKeyDer() const;
  // The public half as a JWK with `kid`.
  PublicJwk Public(std::string kid) const;
  // The JWS signature of `signing_input` (64 bytes for EdDSA and ES256).
  Result<std::string> Sign(std::string_view signing_input) const;

 private:
  JwsSigningKey() = default;
  std::shared_ptr<const OpaquePkey> key_;
  JwsAlgorithm alg_ = JwsAlgorithm::kEdDSA;
};

// The three parts of a compact JWS, decoded. `signing_input` views the token passed in.
struct CompactJws {
  std::string_view signing_input;  // "<header b64>.<payload b64>"
  std::string header_json;
  std::string payload;
  std::string signature;
};

// Splits and base64url-decodes a compact JWS: exactly three parts, strict unpadded base64url,
// non-empty header and signature. Only the shape is checked (no JSON parsing, no signature).
Result<CompactJws> SplitCompactJws(std::string_view token);

// "<b64url(header)>.<b64url(payload)>.<b64url(signature)>" with `header` completed by "alg".
Result<std::string> SignCompactJws(const JwsSigningKey& key, boost::json::object header,
                                   std::string_view payload);

}  // namespace writ
