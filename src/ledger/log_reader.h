// Reading a stored Merkle log: subtree hashes, roots and proofs with O(log n) store reads.
//
// The appender persists, besides each record's leaf hash, the hash of every complete subtree
// whose level is a positive multiple of kStoredLevelStride. Any complete subtree is then one
// read of at most 2^(kStoredLevelStride-1) stored hashes plus a few hashes in memory, and a
// proof needs O(log n) of them; nothing rehashes the log. (Storing every fourth level costs
// about n/15 extra rows instead of n for every level.)
//
// Thread-safety: a LedgerReader may be used from several threads if its store allows it; it
// keeps no state besides its arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/merkle.h"
#include "store/store.h"

namespace writ::ledger {

inline constexpr uint32_t kStoredLevelStride = 4;

// True for the levels whose complete subtrees the appender stores.
inline bool IsStoredLevel(uint32_t level) {
  return level > 0 && level % kStoredLevelStride == 0;
}

// A SubtreeSource over the stored leaf hashes and subtree hashes of one origin.
class StoredSubtrees final : public SubtreeSource {
 public:
  StoredSubtrees(store::LedgerStore& store, std::string origin)
      : store_(store), origin_(std::move(origin)) {}
  Result<Digest> CompleteSubtree(uint32_t level, uint64_t index) override;

 private:
  store::LedgerStore& store_;
  std::string origin_;
  Sha256Hasher hasher_;
};

struct InclusionProofResult {
  uint64_t seq = 0;
  uint64_t tree_size = 0;
  Digest leaf_hash{};
  std::vector<Digest> proof;
};

class LedgerReader {
 public:
  LedgerReader(store::LedgerStore& store, std::string origin)
      : store_(store), origin_(std::move(origin)) {}

  const std::string& origin() const { return origin_; }
  Result<uint64_t> TreeSize();
  // MTH of the first `size` records; out_of_range beyond the stored log.
  Result<Digest> Root(uint64_t size);
  // The compact range (roots of the complete subtrees) of the first `size` records.
  Result<CompactRange> Range(uint64_t size);
  Result<InclusionProofResult> ProveInclusion(uint64_t seq, uint64_t tree_size);
  Result<std::vector<Digest>> ProveConsistency(uint64_t first, uint64_t second);
  // The latest signed checkpoint (nullopt when none was written yet).
  Result<std::optional<store::StoredCheckpoint>> LatestCheckpoint();
  // The smallest stored checkpoint whose tree contains `seq`.
  Result<std::optional<store::StoredCheckpoint>> CheckpointCovering(uint64_t seq);

 private:
  Status CheckSize(uint64_t size);
  store::LedgerStore& store_;
  std::string origin_;
};

}  // namespace writ::ledger
