#include "server/api_keys.h"

#include <algorithm>

#include "base/encoding.h"

namespace writ::server {
namespace {

constexpr size_t kIdHexDigits = 16;
constexpr size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

bool IsBase64UrlChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

ApiError InvalidKey() {
  return ApiError{401, "invalid_api_key", "the API key is not valid"};
}

}  // namespace

std::string_view ApiKeyId(std::string_view key) {
  if (key.size() != kApiKeyPrefix.size() + kIdHexDigits + 1 + kSecretChars) return {};
  if (key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) return {};
  std::string_view id = key.substr(kApiKeyPrefix.size(), kIdHexDigits);
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  if (key[kApiKeyPrefix.size() + kIdHexDigits] != '_') return {};
  std::string_view secret = key.substr(kApiKeyPrefix.size() + kIdHexDigits + 1);
  if (!std::all_of(secret.begin(), secret.end(), IsBase64UrlChar)) return {};
  return id;
}

Result<IssuedApiKey> CreateApiKey(store::ApiKeyStore& store, std::string_view name, Role role,
                                  const Clock& clock) {
  if (!ValidName(name)) {
    return InvalidArgument(
        "invalid_name: an API key name is 1 to 64 characters of letters, digits and . _ @ -");
  }
  WRIT_ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(kIdHexDigits / 2));
  WRIT_ASSIGN_OR_RETURN(std::string secret_bytes, RandomBytes(32));
  IssuedApiKey issued;
  issued.id = HexEncode(id_bytes);
  issued.name = name;
  issued.role = role;
  issued.key = std::string(kApiKeyPrefix) + issued.id + "_" + Base64UrlEncode(secret_bytes);
  issued.created_us = clock.NowMicros();
  store::StoredApiKey row;
  row.id = issued.id;
  row.name = issued.name;
  row.role = RoleName(role);
  row.key_hash = std::string(DigestBytes(Sha256(issued.key)));
  row.created_us = issued.created_us;
  Status s = store.InsertApiKey(row);
  if (s.code() == StatusCode::kAlreadyExists) {
    return Status(StatusCode::kAlreadyExists,
                  "name_taken: an active API key is already named `" + issued.name + "`");
  }
  WRIT_RETURN_IF_ERROR(s);
  return issued;
}

Result<store::StoredApiKey> RevokeApiKey(store::ApiKeyStore& store, std::string_view id_or_name,
                                         const Clock& clock) {
  WRIT_ASSIGN_OR_RETURN(std::vector<store::StoredApiKey> keys, store.ListApiKeys());
  for (const store::StoredApiKey& k : keys) {
    if (k.revoked_us != 0 || (k.id != id_or_name && k.name != id_or_name)) continue;
    WRIT_RETURN_IF_ERROR(store.RevokeApiKey(k.id, clock.NowMicros()));
    return k;
  }
  return NotFound("api_key_not_found: no active API key has the id or name `" +
                  std::string(id_or_name) + "`");
}

ApiKeyAuthenticator::ApiKeyAuthenticator(store::ApiKeyStore& store, Options options)
    : store_(store), options_(options) {}

Status ApiKeyAuthenticator::Reload() {
  WRIT_ASSIGN_OR_RETURN(std::vector<store::StoredApiKey> keys, store_.ListApiKeys());
  auto snap = std::make_shared<Snapshot>();
  for (store::StoredApiKey& k : keys) {
    std::optional<Role> role = ParseRole(k.role);
    if (!role || k.key_hash.size() != kSha256Size) continue;  // unusable row: accept nothing
    Entry e;
    std::copy(k.key_hash.begin(), k.key_hash.end(), e.hash.begin());
    e.name = std::move(k.name);
    e.role = *role;
    e.revoked = k.revoked_us != 0;
    snap->by_id.emplace(std::move(k.id), std::move(e));
  }
  snap->loaded_us = MonotonicMicros();
  snapshot_.store(std::move(snap));
  return Status::Ok();
}

void ApiKeyAuthenticator::MaybeReload(bool miss) {
  int64_t now = MonotonicMicros();
  if (miss) {
    int64_t last = last_miss_reload_us_.load(std::memory_order_relaxed);
    if (now - last < options_.miss_reload_interval.count() * 1000) return;
    if (!last_miss_reload_us_.compare_exchange_strong(last, now)) return;
  } else {
    std::shared_ptr<const Snapshot> snap = snapshot_.load();
    if (snap && now - snap->loaded_us < options_.refresh_interval.count() * 1000) return;
  }
  std::unique_lock<std::mutex> lock(reload_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is reloading; use the current copy
  (void)Reload();                 // on failure the previous copy keeps serving
}

ApiResult<Caller> ApiKeyAuthenticator::Authenticate(std::string_view key) {
  std::string_view id = ApiKeyId(key);
  if (id.empty()) return InvalidKey();
  MaybeReload(false);
  std::shared_ptr<const Snapshot> snap = snapshot_.load();
  if (!snap) {
    std::lock_guard<std::mutex> lock(reload_mu_);
    snap = snapshot_.load();
    if (!snap) {
      Status s = Reload();
      if (!s.ok()) {
        return ApiError{503, "unavailable", "API keys cannot be checked now; retry later"};
      }
      snap = snapshot_.load();
    }
  }
  std::string id_text(id);
  auto it = snap->by_id.find(id_text);
  if (it == snap->by_id.end()) {
    MaybeReload(true);
    snap = snapshot_.load();
    it = snap->by_id.find(id_text);
    if (it == snap->by_id.end()) return InvalidKey();
  }
  const Entry& e = it->second;
  if (!ConstantTimeEqual(DigestBytes(Sha256(key)), DigestBytes(e.hash))) return InvalidKey();
  if (e.revoked) return ApiError{401, "api_key_revoked", "the API key was revoked"};
  Caller c;
  c.kind = CallerKind::kApiKey;
  c.id = std::move(id_text);
  c.name = e.name;
  c.role = e.role;
  return c;
}

}  // namespace writ::server
