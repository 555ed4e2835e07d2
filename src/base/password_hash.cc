#include "base/password_hash.h"

#include <sodium.h>

namespace writ {

PasswordHashCost MinimumPasswordHashCost() {
  return PasswordHashCost{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<std::string> HashPassword(std::string_view secret, PasswordHashCost cost) {
  if (sodium_init() < 0) return Internal("password hash: libsodium failed to initialise");
  if (secret.empty()) return InvalidArgument("password hash: empty secret");
  if (cost.operations < crypto_pwhash_OPSLIMIT_MIN ||
      cost.operations > crypto_pwhash_OPSLIMIT_MAX ||
      cost.memory_bytes < crypto_pwhash_MEMLIMIT_MIN ||
      cost.memory_bytes > crypto_pwhash_MEMLIMIT_MAX) {
    return InvalidArgument("password hash: cost out of range");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, secret.data(), secret.size(), cost.operations, cost.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status(StatusCode::kResourceExhausted, "password hash: out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view encoded, std::string_view secret) {
  if (sodium_init() < 0) return false;
  if (encoded.size() >= crypto_pwhash_STRBYTES || encoded.rfind("$argon2id$", 0) != 0) {
    return false;
  }
  char buf[crypto_pwhash_STRBYTES] = {0};
  encoded.copy(buf, encoded.size());
  return crypto_pwhash_str_verify(buf, secret.data(), secret.size()) == 0;
}

}  // namespace writ
