#include "base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

#include "base/encoding.h"

namespace writ {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct MdFree {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MdPtr = std::unique_ptr<EVP_MD, MdFree>;

}  // namespace

std::string_view DigestBytes(const Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string DigestHex(const Digest& d) {
  return HexEncode(DigestBytes(d));
}

Result<Digest> DigestFromHex(std::string_view hex) {
  if (hex.size() != 2 * kSha256Size) return InvalidArgument("digest: want 64 hex digits");
  WRIT_ASSIGN_OR_RETURN(std::string raw, HexDecode(hex));
  Digest d;
  std::memcpy(d.data(), raw.data(), d.size());
  return d;
}

Digest Sha256(std::string_view data) {
  Digest d;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha256(), nullptr);
  return d;
}

struct Sha256Hasher::State {
  MdPtr md;
  MdCtxPtr ctx;
};

Sha256Hasher::Sha256Hasher() : state_(std::make_unique<State>()) {
  // An explicitly fetched EVP_MD avoids OpenSSL's implicit fetch on every init.
  state_->md.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  state_->ctx.reset(EVP_MD_CTX_new());
  Reset();
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Reset() {
  EVP_DigestInit_ex2(state_->ctx.get(), state_->md.get(), nullptr);
}

void Sha256Hasher::Update(std::string_view data) {
  Update(data.data(), data.size());
}

void Sha256Hasher::Update(const void* data, size_t size) {
  EVP_DigestUpdate(state_->ctx.get(), data, size);
}

Digest Sha256Hasher::Finish() {
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx.get(), d.data(), &len);
  Reset();
  return d;
}

Digest Sha256Hasher::Hash(std::string_view data) {
  Update(data);
  return Finish();
}

Digest HmacSha256(std::string_view key, std::string_view data) {
  Digest d;
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data(), &len);
  return d;
}

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return Internal("random: the system random generator failed");
  }
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct Ed25519PrivateKey::Key {
  PkeyPtr pkey;
};

Ed25519PrivateKey::Ed25519PrivateKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey::~Ed25519PrivateKey() = default;

Result<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  WRIT_ASSIGN_OR_RETURN(std::string seed, RandomBytes(kEd25519SeedSize));
  auto key = FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromSeed(std::string_view seed) {
  if (seed.size() != kEd25519SeedSize) return InvalidArgument("ed25519: seed must be 32 bytes");
  PkeyPtr p(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!p) return Internal("ed25519: OpenSSL refused the key");
  auto key = std::make_unique<Key>();
  key->pkey = std::move(p);
  return Ed25519PrivateKey(std::move(key));
}

std::string Ed25519PrivateKey::Seed() const {
  std::string out(kEd25519SeedSize, '\0');
  size_t len = out.size();
  EVP_PKEY_get_raw_private_key(key_->pkey.get(), reinterpret_cast<unsigned char*>(out.data()),
                               &len);
  return out;
}

std::string Ed25519PrivateKey::PublicKey() const {
  std::string out(kEd25519PublicKeySize, '\0');
  size_t len = out.size();
  EVP_PKEY_get_raw_public_key(key_->pkey.get(), reinterpret_cast<unsigned char*>(out.data()), &len);
  return out;
}

Result<std::string> Ed25519PrivateKey::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1) {
    return Internal("ed25519: cannot start signing");
  }
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != kEd25519SignatureSize) {
    return Internal("ed25519: signing failed");
  }
  return sig;
}

bool Ed25519Verify(std::string_view public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  PkeyPtr p(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(public_key.data()),
                                        public_key.size()));
  if (!p) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace writ
