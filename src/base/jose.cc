#include "base/jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <cstring>

#include "base/canonical_json.h"
#include "base/crypto.h"
#include "base/encoding.h"

namespace writ {

struct OpaquePkey {
  explicit OpaquePkey(EVP_PKEY* p) : pkey(p) {}
  ~OpaquePkey() { EVP_PKEY_free(pkey); }
  OpaquePkey(const OpaquePkey&) = delete;
  OpaquePkey& operator=(const OpaquePkey&) = delete;
  EVP_PKEY* pkey;
};

namespace {

namespace json = boost::json;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct P8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using P8Ptr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free>;

constexpr size_t kP256CoordinateSize = 32;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::shared_ptr<const OpaquePkey> Share(PkeyPtr p) {
  return std::make_shared<const OpaquePkey>(p.release());
}

Result<std::string> MemberB64(const json::object& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->value().is_string()) {
    return InvalidArgument(std::string("jwk: member \"") + name + "\" is missing or not a string");
  }
  auto bytes = Base64UrlDecode(it->value().as_string());
  if (!bytes.ok()) {
    return InvalidArgument(std::string("jwk: member \"") + name + "\" is not base64url");
  }
  return std::move(bytes).value();
}

std::string BnBytes(const EVP_PKEY* pkey, const char* param, size_t pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) return {};
  BnPtr bn(raw);
  size_t size = pad > 0 ? pad : static_cast<size_t>(BN_num_bytes(bn.get()));
  std::string out(size, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) <
      0) {
    return {};
  }
  return out;
}

Result<PkeyPtr> EcPublicKey(std::string_view x, std::string_view y) {
  std::string point;
  point.reserve(1 + 2 * kP256CoordinateSize);
  point.push_back('\x04');
  point.append(x);
  point.append(y);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Internal("jwk: cannot build EC parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return InvalidArgument("jwk: the EC point is not on P-256");
  }
  PkeyPtr pkey(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return InvalidArgument("jwk: the EC point is not on P-256");
  }
  return pkey;
}

Result<PkeyPtr> RsaPublicKey(std::string_view n, std::string_view e) {
  BnPtr bn_n(BN_bin2bn(U(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(U(e), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return Internal("jwk: out of memory");
  if (BN_num_bits(bn_n.get()) < kMinRsaModulusBits) {
    return InvalidArgument("jwk: RSA modulus shorter than 2048 bits");
  }
  if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 64) {
    return InvalidArgument("jwk: RSA public exponent out of range");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Internal("jwk: cannot build RSA parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return InvalidArgument("jwk: not a usable RSA public key");
  }
  return PkeyPtr(raw);
}

// The public JWK members of `pkey` for `alg`.
json::object PublicMembers(const EVP_PKEY* pkey, JwsAlgorithm alg) {
  json::object m;
  switch (alg) {
    case JwsAlgorithm::kEdDSA: {
      std::string x(kEd25519PublicKeySize, '\0');
      size_t len = x.size();
      EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(x.data()), &len);
      m["crv"] = "Ed25519";
      m["kty"] = "OKP";
      m["x"] = Base64UrlEncode(x);
      break;
    }
    case JwsAlgorithm::kES256:
      m["crv"] = "P-256";
      m["kty"] = "EC";
      m["x"] = Base64UrlEncode(BnBytes(pkey, OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateSize));
      m["y"] = Base64UrlEncode(BnBytes(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateSize));
      break;
    case JwsAlgorithm::kRS256:
      m["e"] = Base64UrlEncode(BnBytes(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
      m["kty"] = "RSA";
      m["n"] = Base64UrlEncode(BnBytes(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
      break;
  }
  return m;
}

const EVP_MD* DigestFor(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kEdDSA ? nullptr : EVP_sha256();
}

bool KeyMatches(const EVP_PKEY* pkey, JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kEdDSA:
      return EVP_PKEY_is_a(pkey, "ED25519");
    case JwsAlgorithm::kES256: {
      if (!EVP_PKEY_is_a(pkey, "EC")) return false;
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1) {
        return false;
      }
      return std::string_view(group, len) == "prime256v1" ||
             std::string_view(group, len) == "P-256";
    }
    case JwsAlgorithm::kRS256:
      return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= kMinRsaModulusBits;
  }
  return false;
}

}  // namespace

std::string_view JwsAlgorithmName(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kEdDSA:
      return "EdDSA";
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kRS256:
      return "RS256";
  }
  return "?";
}

std::optional<JwsAlgorithm> ParseJwsAlgorithm(std::string_view name) {
  if (name == "EdDSA") return JwsAlgorithm::kEdDSA;
  if (name == "ES256") return JwsAlgorithm::kES256;
  if (name == "RS256") return JwsAlgorithm::kRS256;
  return std::nullopt;
}

Result<PublicJwk> PublicJwk::FromJson(const json::object& jwk) {
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(secret)) {
      return InvalidArgument(std::string("jwk: private member \"") + secret + "\" in a public key");
    }
  }
  auto str = [&](const char* name) -> const json::string* {
    auto it = jwk.find(name);
    return it != jwk.end() && it->value().is_string() ? &it->value().as_string() : nullptr;
  };
  for (const char* name : {"kty", "kid", "alg", "use", "crv"}) {
    if (jwk.contains(name) && str(name) == nullptr) {
      return InvalidArgument(std::string("jwk: member \"") + name + "\" is not a string");
    }
  }
  const json::string* kty = str("kty");
  if (kty == nullptr) return InvalidArgument("jwk: no \"kty\"");
  if (const json::string* use = str("use"); use != nullptr && *use != "sig") {
    return InvalidArgument("jwk: \"use\" is not \"sig\"");
  }
  PublicJwk out;
  PkeyPtr pkey;
  if (*kty == "OKP") {
    const json::string* crv = str("crv");
    if (crv == nullptr || *crv != "Ed25519") return InvalidArgument("jwk: OKP curve not Ed25519");
    WRIT_ASSIGN_OR_RETURN(std::string x, MemberB64(jwk, "x"));
    if (x.size() != kEd25519PublicKeySize) return InvalidArgument("jwk: Ed25519 x not 32 bytes");
    pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, U(x), x.size()));
    if (!pkey) return InvalidArgument("jwk: not a usable Ed25519 key");
    out.alg_ = JwsAlgorithm::kEdDSA;
  } else if (*kty == "EC") {
    const json::string* crv = str("crv");
    if (crv == nullptr || *crv != "P-256") return InvalidArgument("jwk: EC curve not P-256");
    WRIT_ASSIGN_OR_RETURN(std::string x, MemberB64(jwk, "x"));
    WRIT_ASSIGN_OR_RETURN(std::string y, MemberB64(jwk, "y"));
    if (x.size() != kP256CoordinateSize || y.size() != kP256CoordinateSize) {
      return InvalidArgument("jwk: P-256 coordinates not 32 bytes");
    }
    WRIT_ASSIGN_OR_RETURN(pkey, EcPublicKey(x, y));
    out.alg_ = JwsAlgorithm::kES256;
  } else if (*kty == "RSA") {
    WRIT_ASSIGN_OR_RETURN(std::string n, MemberB64(jwk, "n"));
    WRIT_ASSIGN_OR_RETURN(std::string e, MemberB64(jwk, "e"));
    WRIT_ASSIGN_OR_RETURN(pkey, RsaPublicKey(n, e));
    out.alg_ = JwsAlgorithm::kRS256;
  } else {
    return InvalidArgument("jwk: key type \"" + std::string(*kty) + "\" is not supported");
  }
  if (const json::string* alg = str("alg"); alg != nullptr) {
    auto parsed = ParseJwsAlgorithm(*alg);
    if (!parsed || *parsed != out.alg_) {
      return InvalidArgument("jwk: \"alg\" does not fit the key type");
    }
  }
  if (const json::string* kid = str("kid"); kid != nullptr) out.kid_ = std::string(*kid);
  out.members_ = PublicMembers(pkey.get(), out.alg_);
  out.key_ = Share(std::move(pkey));
  return out;
}

Result<PublicJwk> PublicJwk::FromJsonText(std::string_view text) {
  WRIT_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return InvalidArgument("jwk: not a JSON object");
  return FromJson(v.as_object());
}

json::object PublicJwk::ToJson() const {
  json::object o = members_;
  if (!kid_.empty()) o["kid"] = kid_;
  o["alg"] = JwsAlgorithmName(alg_);
  o["use"] = "sig";
  return o;
}

std::string PublicJwk::Thumbprint() const {
  auto canonical = CanonicalJson(members_);
  return Base64UrlEncode(DigestBytes(Sha256(canonical.ok() ? *canonical : std::string())));
}

PublicJwk PublicJwk::WithKid(std::string kid) const {
  PublicJwk copy = *this;
  copy.kid_ = std::move(kid);
  return copy;
}

bool PublicJwk::Verify(std::string_view signing_input, std::string_view signature) const {
  if (!key_) return false;
  std::string der;
  std::string_view sig = signature;
  if (alg_ == JwsAlgorithm::kEdDSA && signature.size() != kEd25519SignatureSize) return false;
  if (alg_ == JwsAlgorithm::kES256) {
    // JWS carries R || S (RFC 7518 §3.4); OpenSSL verifies the DER ECDSA-Sig-Value.
    if (signature.size() != 2 * kP256CoordinateSize) return false;
    EcdsaSigPtr es(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(U(signature), kP256CoordinateSize, nullptr);
    BIGNUM* s = BN_bin2bn(U(signature.substr(kP256CoordinateSize)), kP256CoordinateSize, nullptr);
    if (!es || r == nullptr || s == nullptr || ECDSA_SIG_set0(es.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    int len = i2d_ECDSA_SIG(es.get(), nullptr);
    if (len <= 0) return false;
    der.resize(static_cast<size_t>(len));
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_ECDSA_SIG(es.get(), &p) != len) return false;
    sig = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(alg_), nullptr, key_->pkey) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), U(sig), sig.size(), U(signing_input), signing_input.size()) ==
         1;
}

Result<std::vector<PublicJwk>> ParseJwks(std::string_view text, size_t max_keys) {
  WRIT_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return InvalidArgument("jwks: not a JSON object");
  auto it = v.as_object().find("keys");
  if (it == v.as_object().end() || !it->value().is_array()) {
    return InvalidArgument("jwks: no \"keys\" array");
  }
  std::vector<PublicJwk> out;
  for (const json::value& k : it->value().as_array()) {
    if (!k.is_object()) return InvalidArgument("jwks: a key is not an object");
    const json::object& o = k.as_object();
    auto kty = o.find("kty");
    auto use = o.find("use");
    auto crv = o.find("crv");
    bool supported = kty != o.end() && kty->value().is_string() &&
                     (kty->value().as_string() == "RSA" || kty->value().as_string() == "EC" ||
                      kty->value().as_string() == "OKP");
    if (supported && crv != o.end() && crv->value().is_string()) {
      supported = crv->value().as_string() == "P-256" || crv->value().as_string() == "Ed25519";
    }
    if (use != o.end() && use->value().is_string() && use->value().as_string() != "sig") {
      supported = false;
    }
    if (!supported) continue;
    if (out.size() == max_keys) return InvalidArgument("jwks: too many keys");
    WRIT_ASSIGN_OR_RETURN(PublicJwk key, PublicJwk::FromJson(o));
    out.push_back(std::move(key));
  }
  return out;
}

std::string FormatJwks(const std::vector<PublicJwk>& keys) {
  json::array arr;
  for (const PublicJwk& k : keys) arr.push_back(k.ToJson());
  json::object doc;
  doc["keys"] = std::move(arr);
  auto text = CanonicalJson(doc);
  return text.ok() ? *text : std::string("{\"keys\":[]}");
}

Result<JwsSigningKey> JwsSigningKey::Generate(JwsAlgorithm alg) {
  EVP_PKEY* raw = nullptr;
  switch (alg) {
    case JwsAlgorithm::kEdDSA:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case JwsAlgorithm::kES256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case JwsAlgorithm::kRS256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(kMinRsaModulusBits));
      break;
  }
  if (raw == nullptr) return Internal("jws: key generation failed");
  JwsSigningKey k;
  k.alg_ = alg;
  k.key_ = Share(PkeyPtr(raw));
  return k;
}

Result<JwsSigningKey> JwsSigningKey::FromPrivateKeyDer(JwsAlgorithm alg, std::string_view der) {
  const unsigned char* p = U(der);
  P8Ptr p8(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
  if (!p8 || p != U(der) + der.size()) {
    return InvalidArgument("jws: the private key is not PKCS #8 DER");
  }
  PkeyPtr pkey(EVP_PKCS82PKEY(p8.get()));
  if (!pkey || !KeyMatches(pkey.get(), alg)) {
    return InvalidArgument("jws: the private key is not a " + std::string(JwsAlgorithmName(alg)) +
                           " key");
  }
  JwsSigningKey k;
  k.alg_ = alg;
  k.key_ = Share(std::move(pkey));
  return k;
}

Result<std::string> JwsSigningKey::PrivateKeyDer() const {
  P8Ptr p8(EVP_PKEY2PKCS8(key_->pkey));
  if (!p8) return Internal("jws: cannot encode the private key");
  int len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr);
  if (len <= 0) return Internal("jws: cannot encode the private key");
  std::string out(static_cast<size_t>(len), '\0');
  auto* q = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &q) != len) {
    OPENSSL_cleanse(out.data(), out.size());
    return Internal("jws: cannot encode the private key");
  }
  return out;
}

PublicJwk JwsSigningKey::Public(std::string kid) const {
  PublicJwk out;
  out.key_ = key_;
  out.alg_ = alg_;
  out.kid_ = std::move(kid);
  out.members_ = PublicMembers(key_->pkey, alg_);
  return out;
}

Result<std::string> JwsSigningKey::Sign(std::string_view signing_input) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(alg_), nullptr, key_->pkey) != 1) {
    return Internal("jws: cannot start signing");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, U(signing_input), signing_input.size()) != 1) {
    return Internal("jws: signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     U(signing_input), signing_input.size()) != 1) {
    return Internal("jws: signing failed");
  }
  sig.resize(len);
  if (alg_ != JwsAlgorithm::kES256) return sig;
  const unsigned char* p = U(sig);
  EcdsaSigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!es) return Internal("jws: ECDSA signature not DER");
  std::string raw(2 * kP256CoordinateSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(es.get()), out, kP256CoordinateSize) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(es.get()), out + kP256CoordinateSize, kP256CoordinateSize) <
          0) {
    return Internal("jws: ECDSA signature out of range");
  }
  return raw;
}

Result<CompactJws> SplitCompactJws(std::string_view token) {
  size_t first = token.find('.');
  if (first == std::string_view::npos) return InvalidArgument("jws: not three parts");
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return InvalidArgument("jws: not three parts");
  }
  CompactJws out;
  out.signing_input = token.substr(0, second);
  auto header = Base64UrlDecode(token.substr(0, first));
  auto payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!header.ok() || !payload.ok() || !signature.ok()) {
    return InvalidArgument("jws: a part is not unpadded base64url");
  }
  if (header->empty()) return InvalidArgument("jws: empty header");
  out.header_json = std::move(header).value();
  out.payload = std::move(payload).value();
  out.signature = std::move(signature).value();
  return out;
}

Result<std::string> SignCompactJws(const JwsSigningKey& key, json::object header,
                                   std::string_view payload) {
  header["alg"] = JwsAlgorithmName(key.algorithm());
  WRIT_ASSIGN_OR_RETURN(std::string header_json, CanonicalJson(header));
  std::string token = Base64UrlEncode(header_json);
  token += '.';
  token += Base64UrlEncode(payload);
  WRIT_ASSIGN_OR_RETURN(std::string sig, key.Sign(token));
  token += '.';
  token += Base64UrlEncode(sig);
  return token;
}

}  // namespace writ
