// The API keys that people and tools use to call Writ's HTTP service.
//
// A key is shown once, when it is created; the store keeps only its SHA-256 (`key_hash`, 32
// raw bytes), never the key itself. Each key has a public id (the part of the key that selects
// the row, see server/api_keys.h), a human name that is unique among the keys not revoked, and
// a role ("admin", "approver" or "viewer"). Revoking keeps the row, so that listings and
// evidence can still name the key.
//
// The contract of store.h holds for every method: an error means nothing was changed, a write
// that returns ok is durable, and the interface may be used from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace writ::store {

struct StoredApiKey {
  std::string id;        // public, unique
  std::string name;      // unique among active keys
  std::string role;      // "admin", "approver" or "viewer"
  std::string key_hash;  // SHA-256 of the whole key, 32 raw bytes
  int64_t created_us = 0;
  int64_t revoked_us = 0;  // 0 while the key is active
};

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

  // Adds a key. already_exists when the id, or the name of an active key, is taken.
  virtual Status InsertApiKey(const StoredApiKey& key) = 0;

  virtual Result<std::optional<StoredApiKey>> GetApiKey(const std::string& id) = 0;

  // Every key, revoked ones included, ordered by creation time then id.
  virtual Result<std::vector<StoredApiKey>> ListApiKeys() = 0;

  // Marks the key revoked at `time_us`. not_found when no key has this id;
  // failed_precondition when it is already revoked.
  virtual Status RevokeApiKey(const std::string& id, int64_t time_us) = 0;
};

}  // namespace writ::store
