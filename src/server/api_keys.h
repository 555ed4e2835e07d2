// API keys: creating them, revoking them, and recognising them on requests.
//
// A key looks like `wk_<id>_<secret>`: `id` is 16 lowercase hex digits (8 random bytes), public,
// and selects the stored row; `secret` is 43 base64url characters (32 random bytes). The store
// keeps SHA-256 of the whole key; the key itself is shown once, by CreateApiKey, and exists
// nowhere else. A presented key is accepted when a stored key has its id, the SHA-256 of the
// presented key equals the stored hash (compared in constant time), and the key is not revoked.
//
// Callers send a key as `Authorization: Bearer wk_...`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/status.h"
#include "server/api_error.h"
#include "server/caller.h"
#include "store/api_key_store.h"

namespace writ::server {

inline constexpr std::string_view kApiKeyPrefix = "wk_";

struct IssuedApiKey {
  std::string id;
  std::string name;
  Role role = Role::kViewer;
  std::string key;  // the whole key: show it once, store it nowhere
  int64_t created_us = 0;
};

// Creates and stores a key. invalid_argument when `name` is not 1 to 64 characters of
// [A-Za-z0-9._@-]; already_exists when an active key has this name.
Result<IssuedApiKey> CreateApiKey(store::ApiKeyStore& store, std::string_view name, Role role,
                                  const Clock& clock);

// Revokes the active key whose id or name is `id_or_name` and returns it as stored before.
// not_found when no active key has that id or name.
Result<store::StoredApiKey> RevokeApiKey(store::ApiKeyStore& store, std::string_view id_or_name,
                                         const Clock& clock);

// The id part of a well-formed key, or empty when `key` does not have the key's shape.
std::string_view ApiKeyId(std::string_view key);

// Checks presented keys against the store, through an in-memory copy of the key table so that
// a request does not touch the database. The copy is reloaded when it is older than
// `refresh_interval` (so a key revoked by another process stops working within that time),
// and at most every `miss_reload_interval` when a key with an unknown id is presented (so a
// key created a moment ago works at once).
//
// Thread-safety: Authenticate may be called from any number of threads; readers share the
// current copy through an atomic pointer and do not lock; one thread at a time reloads.
class ApiKeyAuthenticator {
 public:
  struct Options {
    std::chrono::milliseconds refresh_interval{1000};
    std::chrono::milliseconds miss_reload_interval{200};
  };

  // `store` must outlive the authenticator.
  ApiKeyAuthenticator(store::ApiKeyStore& store, Options options);
  explicit ApiKeyAuthenticator(store::ApiKeyStore& store) : ApiKeyAuthenticator(store, {}) {}

  // The caller a key stands for, or: 401 invalid_api_key (not a key, unknown, wrong secret),
  // 401 api_key_revoked, 503 unavailable (the store could not be read and no copy exists).
  ApiResult<Caller> Authenticate(std::string_view key);

  // Reads the key table now.
  Status Reload();

 private:
  struct Entry {
    Digest hash{};
    std::string name;
    Role role = Role::kViewer;
    bool revoked = false;
  };
  struct Snapshot {
    std::unordered_map<std::string, Entry> by_id;
    int64_t loaded_us = 0;  // MonotonicMicros
  };

  // Reloads when `force` or the copy is stale, unless another thread is already reloading.
  void MaybeReload(bool force_if_due_for_miss);

  store::ApiKeyStore& store_;
  Options options_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::mutex reload_mu_;
  std::atomic<int64_t> last_miss_reload_us_{0};
};

}  // namespace writ::server
