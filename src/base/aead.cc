#include "base/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "base/crypto.h"

namespace writ {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

}  // namespace

Result<std::string> Aes256GcmSeal(std::string_view key, std::string_view plaintext,
                                  std::string_view associated_data) {
  if (key.size() != kAes256KeySize) return InvalidArgument("aead: the key is not 32 bytes");
  WRIT_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kAesGcmNonceSize));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string out = nonce;
  out.resize(kAesGcmNonceSize + plaintext.size() + kAesGcmTagSize);
  unsigned char* body = U(out) + kAesGcmNonceSize;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), U(key), U(nonce), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(associated_data),
                        static_cast<int>(associated_data.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), body, &len, U(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), body + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAesGcmTagSize,
                          body + plaintext.size()) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Internal("aead: encryption failed");
  }
  return out;
}

Result<std::string> Aes256GcmOpen(std::string_view key, std::string_view sealed,
                                  std::string_view associated_data) {
  if (key.size() != kAes256KeySize) return InvalidArgument("aead: the key is not 32 bytes");
  if (sealed.size() < kAesGcmNonceSize + kAesGcmTagSize) {
    return DataLoss("aead: the sealed box is truncated");
  }
  std::string_view nonce = sealed.substr(0, kAesGcmNonceSize);
  std::string_view body =
      sealed.substr(kAesGcmNonceSize, sealed.size() - kAesGcmNonceSize - kAesGcmTagSize);
  std::string tag(sealed.substr(sealed.size() - kAesGcmTagSize));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::string out(body.size(), '\0');
  int len = 0;
  bool ok =
      ctx && EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), U(key), U(nonce), nullptr) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(associated_data),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), U(out), &len, U(body), static_cast<int>(body.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAesGcmTagSize, tag.data()) == 1;
  int final_len = 0;
  if (!ok || EVP_DecryptFinal_ex(ctx.get(), U(out) + len, &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return DataLoss("aead: the sealed box does not authenticate (wrong key or damaged data)");
  }
  return out;
}

}  // namespace writ
