// RevocationIndex: which tokens, tasks, agents and users are revoked, in memory, checked on
// every verification.
//
// A token is revoked when its own id or the id of any ancestor in its `chain` is revoked, when
// its task is revoked, when its subject or any agent of its `act` chain is revoked, or when its
// user is revoked. Because every token carries its lineage (claims.h), the check needs nothing
// but the token and this index: no parent-link walk, no store read, and it works the same for
// tokens issued by another node. The store keeps the parent links for the cascade listing that
// a revocation reports (IdentityStore::TokensReachedBy).
//
// Cost: the fingerprints of what a token depends on are computed once, when the token is first
// verified (KeysFor); a check is then a handful of probes in one open-addressing table of 64-bit
// fingerprints, under a shared lock. A fingerprint hit is confirmed against the exact strings,
// so a hash collision can never revoke the wrong token. bench/identity_bench.cc measures it.
//
// Revocations are permanent: nothing un-revokes (a new task id, agent registration or user
// subject is needed). Sources: LoadFromStore at start-up and after a gap, Apply for each
// revocation made here or received from another node (a PostgreSQL LISTEN/NOTIFY payload
// carries the revocation id, target and value: the "apply revocation event" entry point), and
// CatchUp, which the token service calls before each verification so that what another process
// sharing the store revoked (`writ revoke` beside `writ serve`) is in effect within a bounded
// time without any notification.
//
// Thread-safety: every method may be called from any number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "identity/claims.h"
#include "identity/errors.h"
#include "store/identity_store.h"

namespace writ::identity {

// The fingerprints a token's revocation check looks up, computed once per token.
struct RevocationKeys {
  uint64_t token = 0;
  uint64_t task = 0;
  uint64_t user = 0;
  std::vector<uint64_t> ancestors;  // root first
  std::vector<uint64_t> agents;     // subject first, then the actors
};

class RevocationIndex {
 public:
  RevocationIndex();

  static uint64_t Fingerprint(store::RevocationTarget target, std::string_view value);
  static RevocationKeys KeysFor(const TokenClaims& claims);

  // Records a revocation; idempotent.
  void Apply(store::RevocationTarget target, std::string_view value);

  // Applies every revocation the store holds beyond the feed position the previous load reached
  // (all of them the first time), and advances the position. A feed that may have missed
  // notifications calls it to catch up. Returns how many revocations were new to the index.
  Result<size_t> LoadFromStore(store::IdentityStore& store);

  // Catches up with the store (LoadFromStore) when the last load began `max_age_us` or more ago
  // on the monotonic clock, so that a revocation stored at time T by anyone is in effect for
  // every check that starts at T + max_age_us or later. When no load is due this costs one
  // atomic load and one clock read; when one is due, the callers wait for the single thread that
  // reads (one indexed read of the rows beyond the feed position). An error (the store cannot
  // be read) leaves the index as it was and the load still due, so the next call reads again.
  Status CatchUp(store::IdentityStore& store, int64_t max_age_us);

  // The first reason `claims` is revoked, in this order: the token itself, an ancestor, its task,
  // an agent of its chain, its user; std::nullopt when it is not revoked.
  std::optional<IdentityError> Check(const TokenClaims& claims, const RevocationKeys& keys) const;

  bool IsRevoked(store::RevocationTarget target, std::string_view value) const;
  size_t size() const;
  int64_t feed_position() const;  // the highest store revocation id loaded

 private:
  bool Contains(uint64_t fingerprint) const;                                   // caller holds mu_
  bool Confirm(store::RevocationTarget target, std::string_view value) const;  // holds mu_
  void Insert(uint64_t fingerprint);                       // holds mu_ exclusively
  Result<size_t> LoadLocked(store::IdentityStore& store);  // caller holds load_mu_

  mutable std::shared_mutex mu_;
  std::vector<uint64_t> table_;  // open addressing, 0 = empty, size a power of two
  size_t used_ = 0;
  std::unordered_set<std::string> exact_;  // "<target>:<value>"
  int64_t feed_position_ = 0;

  std::mutex load_mu_;  // one load at a time
  // Monotonic time at which the last successful load began; lowest when none has.
  std::atomic<int64_t> loaded_at_us_{std::numeric_limits<int64_t>::min() / 2};
};

}  // namespace writ::identity
