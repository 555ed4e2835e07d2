#include "identity/verified_token_cache.h"

namespace writ::identity {

VerifiedTokenCache::VerifiedTokenCache(size_t capacity)
    : per_shard_capacity_(capacity / kShards > 0 ? capacity / kShards : 1) {}

std::shared_ptr<const VerifiedToken> VerifiedTokenCache::Find(const Digest& digest,
                                                              int64_t now_us) {
  Shard& s = shards_[digest[31] % kShards];
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.map.find(digest);
  if (it == s.map.end()) return nullptr;
  if (now_us >= it->second.valid_until_us) {
    s.map.erase(it);
    return nullptr;
  }
  return it->second.token;
}

void VerifiedTokenCache::Insert(const Digest& digest, std::shared_ptr<const VerifiedToken> token,
                                int64_t valid_until_us, int64_t now_us) {
  Shard& s = shards_[digest[31] % kShards];
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.map.size() >= per_shard_capacity_) {
    for (auto it = s.map.begin(); it != s.map.end();) {
      it = it->second.valid_until_us <= now_us ? s.map.erase(it) : ++it;
    }
    // Drop the older half by insertion order (entries already erased are skipped).
    size_t target = per_shard_capacity_ / 2;
    while (s.map.size() > target && !s.order.empty()) {
      s.map.erase(s.order.front());
      s.order.pop_front();
    }
  }
  if (s.order.size() > 4 * per_shard_capacity_) {
    std::deque<Digest> kept;
    for (const Digest& d : s.order) {
      if (s.map.count(d)) kept.push_back(d);
    }
    s.order.swap(kept);
  }
  auto [it, inserted] = s.map.insert_or_assign(digest, Entry{std::move(token), valid_until_us});
  (void)it;
  if (inserted) s.order.push_back(digest);
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
