// The master key: 32 bytes that seal Writ's secrets at rest (signing keys, brokered secrets)
// with AES-256-GCM (base/aead.h).
//
// It comes from a file (`--master-key-file`, which must not be readable by group or others) or
// from the environment (`WRIT_MASTER_KEY`), written as 64 hex digits or as base64 of 32 bytes
// (surrounding whitespace ignored). It is never logged, never stored in the database and never
// put into a message. Each sealed value is bound to its context (for example "signing-key:<kid>")
// so a box moved to another row does not open.
//
// Thread-safety: immutable after creation; Seal and Open may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace writ::identity {

inline constexpr const char* kMasterKeyEnvironmentVariable = "WRIT_MASTER_KEY";

class MasterKey {
 public:
  static Result<MasterKey> FromText(std::string_view text);
  // failed_precondition when the file is readable by group or others; not_found when missing.
  static Result<MasterKey> FromFile(const std::string& path);
  // not_found when the variable is unset.
  static Result<MasterKey> FromEnvironment(const char* variable = kMasterKeyEnvironmentVariable);
  static Result<MasterKey> Generate();

  MasterKey(MasterKey&& other) noexcept;
  MasterKey& operator=(MasterKey&& other) noexcept;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  ~MasterKey();

  // The key as 64 hex digits, to write a new key file. A secret.
  std::string ToHex() const;
  // Writes a new key file (mode 0600); already_exists when `path` exists.
  Status WriteFile(const std::string& path) const;

  Result<std::string> Seal(std::string_view plaintext, std::string_view context) const;
  // data_loss when the box does not open: the wrong master key, or damaged data.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;

 private:
  explicit MasterKey(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace writ::identity
