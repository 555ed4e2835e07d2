// VerifiedTokenCache: tokens whose signature and claims were verified, keyed by the SHA-256 of
// the token's bytes, so that a token presented again skips the signature check.
//
// An entry lives until the token expires (plus the clock skew) or its signing key leaves its
// overlap window, whichever comes first, and is never served after that. What the cache does
// not cover is re-checked on every hit by the caller: the current time against nbf and exp,
// and revocation. Capacity is bounded: a full shard drops its expired entries, then its oldest
// half of entries by insertion order.
//
// Thread-safety: every method may be called from any number of threads (16 mutex-guarded
// shards, chosen by the digest).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "base/crypto.h"

namespace writ::identity {

struct VerifiedToken;

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(size_t capacity);

  // The entry for `digest` if it is still valid at `now_us`.
  std::shared_ptr<const VerifiedToken> Find(const Digest& digest, int64_t now_us);
  void Insert(const Digest& digest, std::shared_ptr<const VerifiedToken> token,
              int64_t valid_until_us, int64_t now_us);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct DigestHash {
    size_t operator()(const Digest& d) const {
      size_t h;
      static_assert(sizeof h <= kSha256Size);
      __builtin_memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  struct Entry {
    std::shared_ptr<const VerifiedToken> token;
    int64_t valid_until_us = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<Digest, Entry, DigestHash> map;
    std::deque<Digest> order;  // insertion order, for eviction
  };
  size_t per_shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace writ::identity
