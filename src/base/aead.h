// Authenticated encryption with AES-256-GCM (NIST SP 800-38D), over OpenSSL 3: how Writ keeps
// secrets at rest (signing keys, brokered secrets) under a master key.
//
// A sealed box is nonce (12 random bytes) || ciphertext || tag (16 bytes). The associated data
// is authenticated but not stored: it binds a box to its place (for example the key id of the
// signing key it holds), so a box copied to another row fails to open.
//
// Errors: invalid_argument for a key that is not 32 bytes; data_loss when a box does not
// authenticate (wrong key, wrong associated data, damaged or truncated bytes). Messages never
// contain key or plaintext bytes. All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace writ {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kAesGcmNonceSize = 12;
inline constexpr size_t kAesGcmTagSize = 16;

Result<std::string> Aes256GcmSeal(std::string_view key, std::string_view plaintext,
                                  std::string_view associated_data);
Result<std::string> Aes256GcmOpen(std::string_view key, std::string_view sealed,
                                  std::string_view associated_data);

}  // namespace writ
