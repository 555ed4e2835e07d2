#include "identity/verified_token_cache.h"

#include <sodium.h>

#include <cstring>

namespace writ::identity {
namespace {

uint64_t Low64(const std::array<uint8_t, 16>& k) {
  uint64_t v;
  std::memcpy(&v, k.data(), sizeof v);
  return v;
}

}  // namespace

VerifiedTokenCache::VerifiedTokenCache(size_t capacity)
    : per_shard_capacity_(capacity / kShards > 0 ? capacity / kShards : 1) {
  static_assert(crypto_shorthash_siphashx24_KEYBYTES == 16);
  static_assert(crypto_shorthash_siphashx24_BYTES == 16);
  if (sodium_init() < 0) std::abort();  // libsodium cannot work without its RNG
  randombytes_buf(siphash_key_.data(), siphash_key_.size());
}

bool VerifiedTokenCache::Digest(std::string_view token, std::string_view* signed_part,
                                Key* key) const {
  size_t dot = token.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= token.size()) return false;
  *signed_part = token.substr(0, dot);
  std::string_view sig = token.substr(dot + 1);
  crypto_shorthash_siphashx24(key->data(), reinterpret_cast<const unsigned char*>(sig.data()),
                              sig.size(), siphash_key_.data());
  return true;
}

std::shared_ptr<const VerifiedToken> VerifiedTokenCache::Find(std::string_view token,
                                                              int64_t now_us) {
  std::string_view signed_part;
  Key key;
  if (!Digest(token, &signed_part, &key)) return nullptr;
  uint64_t id = Low64(key);
  Shard& s = shards_[key[15] % kShards];
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(id);
  if (it == s.map.end()) return nullptr;
  const Entry& e = it->second;
  if (e.key != key || e.signed_part != signed_part) return nullptr;
  if (now_us >= e.valid_until_us) {
    s.map.erase(it);
    return nullptr;
  }
  return e.token;
}

void VerifiedTokenCache::Insert(std::string_view token,
                                std::shared_ptr<const VerifiedToken> verified,
                                int64_t valid_until_us, int64_t now_us) {
  std::string_view signed_part;
  Key key;
  if (!Digest(token, &signed_part, &key)) return;
  uint64_t id = Low64(key);
  Shard& s = shards_[key[15] % kShards];
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.map.size() >= per_shard_capacity_) {
    for (auto it = s.map.begin(); it != s.map.end();) {
      it = it->second.valid_until_us <= now_us ? s.map.erase(it) : std::next(it);
    }
    size_t target = per_shard_capacity_ / 2;
    while (s.map.size() > target && !s.order.empty()) {
      s.map.erase(s.order.front());
      s.order.pop_front();
    }
  }
  if (s.order.size() > 4 * per_shard_capacity_) {
    std::deque<uint64_t> kept;
    for (uint64_t d : s.order) {
      if (s.map.count(d)) kept.push_back(d);
    }
    s.order.swap(kept);
  }
  Entry e{key, std::string(signed_part), std::move(verified), valid_until_us};
  auto [it, inserted] = s.map.insert_or_assign(id, std::move(e));
  (void)it;
  if (inserted) s.order.push_back(id);
}

size_t VerifiedTokenCache::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace writ::identity
