// VerifiedTokenCache: tokens whose signature and claims were verified, so that a token
// presented again skips the signature check.
//
// Key: a keyed 128-bit digest (SipHash-2-4-128 under a random per-process key) of the token's
// signature segment; a hit also requires the signed part (header and claims, which are not
// secret) to equal the cached one byte for byte. So a hit happens only for exactly the bytes
// that were verified, and the cache never holds a signature, from which a bearer token could be
// rebuilt. Hashing the 86-byte signature instead of the whole ~1 KB token is what keeps a
// repeated verification under a microsecond (bench/identity_bench.cc: SHA-256 of a 1 KB token
// alone measured about 2 µs through OpenSSL's EVP on this machine).
//
// An entry lives until the token expires (plus the clock skew) or its signing key leaves its
// overlap window, whichever comes first, and is never served after that. What the cache does
// not cover is re-checked on every hit by the caller: the current time against nbf and exp,
// and revocation. Capacity is bounded: a full shard drops its expired entries, then the older
// half of its entries by insertion order.
//
// Thread-safety: every method may be called from any number of threads (16 mutex-guarded
// shards, chosen by the digest).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace writ::identity {

struct VerifiedToken;

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(size_t capacity);

  // The entry for exactly `token` if it is still valid at `now_us`.
  std::shared_ptr<const VerifiedToken> Find(std::string_view token, int64_t now_us);
  void Insert(std::string_view token, std::shared_ptr<const VerifiedToken> verified,
              int64_t valid_until_us, int64_t now_us);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  using Key = std::array<uint8_t, 16>;
  struct Entry {
    Key key{};
    std::string signed_part;
    std::shared_ptr<const VerifiedToken> token;
    int64_t valid_until_us = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, Entry> map;
    std::deque<uint64_t> order;  // insertion order, for eviction
  };
  // Splits `token` into its signed part and the keyed digest of its signature; false when it
  // has no signature segment.
  bool Digest(std::string_view token, std::string_view* signed_part, Key* key) const;

  std::array<uint8_t, 16> siphash_key_{};
  size_t per_shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace writ::identity
