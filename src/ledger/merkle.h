// The RFC 6962 / RFC 9162 Merkle tree: hashing, the compact range used to append, proofs and
// their verification.
//
//   leaf hash  = SHA-256(0x00 || record bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH of n leaves splits at k, the largest power of two smaller than n; MTH({}) = SHA-256("").
//
// Proofs are computed from a SubtreeSource, anything that can give the hash of a complete,
// aligned subtree (level L, index i covers leaves [i*2^L, (i+1)*2^L)). An inclusion or
// consistency proof needs O(log n) such hashes, so a source backed by stored subtree hashes
// answers a proof with O(log n) reads and never rehashes the log.
//
// Thread-safety: the free functions are thread-safe; a CompactRange belongs to one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "base/crypto.h"
#include "base/status.h"

namespace writ::ledger {

Digest LeafHash(std::string_view leaf_bytes);
Digest NodeHash(const Digest& left, const Digest& right);
Digest EmptyRoot();  // SHA-256 of the empty string

// Faster variants that reuse a hasher (the append and verify hot paths).
Digest LeafHash(Sha256Hasher& h, std::string_view leaf_bytes);
Digest NodeHash(Sha256Hasher& h, const Digest& left, const Digest& right);

// The largest power of two strictly smaller than n (n >= 2).
uint64_t SplitPoint(uint64_t n);

struct CompletedNode {
  uint32_t level;
  uint64_t index;
  Digest hash;
};

// The roots of the maximal complete subtrees of a tree of `size` leaves, one per set bit of
// size, largest first: all that is needed to append and to compute the root. O(log n) memory.
class CompactRange {
 public:
  CompactRange() = default;
  // `roots` must hold one hash per set bit of `size`, largest subtree first.
  static Result<CompactRange> FromRoots(uint64_t size, std::vector<Digest> roots);

  uint64_t size() const { return size_; }
  const std::vector<Digest>& roots() const { return roots_; }

  // Appends a leaf hash; every subtree this completes (level >= 1) is passed to `completed`
  // when it is not null.
  void Append(Sha256Hasher& h, const Digest& leaf, std::vector<CompletedNode>* completed);
  // The tree head (MTH) of the current size.
  Digest Root(Sha256Hasher& h) const;

 private:
  uint64_t size_ = 0;
  std::vector<Digest> roots_;
};

class SubtreeSource {
 public:
  virtual ~SubtreeSource() = default;
  // The hash of the complete subtree at (level, index); the subtree lies within the tree the
  // proof is about.
  virtual Result<Digest> CompleteSubtree(uint32_t level, uint64_t index) = 0;
};

// MTH(D[begin:end]) for a range that the RFC's recursion produces (begin aligned to a power of
// two not smaller than end - begin's split), from O(log n) complete subtrees.
Result<Digest> RangeHash(SubtreeSource& source, uint64_t begin, uint64_t end);
// MTH of the first `size` leaves.
Result<Digest> TreeRoot(SubtreeSource& source, uint64_t size);

// RFC 9162 §2.1.3.1 PATH(index, D[size]); out_of_range unless index < size.
Result<std::vector<Digest>> InclusionProof(SubtreeSource& source, uint64_t index, uint64_t size);
// RFC 9162 §2.1.4.1 PROOF(first, D[second]); empty when first == second or first == 0;
// out_of_range when first > second.
Result<std::vector<Digest>> ConsistencyProof(SubtreeSource& source, uint64_t first,
                                             uint64_t second);

// RFC 9162 §2.1.3.2.
bool VerifyInclusion(const Digest& leaf_hash, uint64_t index, uint64_t size,
                     const std::vector<Digest>& proof, const Digest& root);
// RFC 9162 §2.1.4.2; first == second needs an empty proof and equal roots; first == 0 needs
// an empty proof.
bool VerifyConsistency(uint64_t first, uint64_t second, const Digest& first_root,
                       const Digest& second_root, const std::vector<Digest>& proof);

// A SubtreeSource over leaf hashes held in memory (tests, small trees).
class MemorySubtreeSource final : public SubtreeSource {
 public:
  explicit MemorySubtreeSource(std::vector<Digest> leaves) : leaves_(std::move(leaves)) {}
  Result<Digest> CompleteSubtree(uint32_t level, uint64_t index) override;

 private:
  std::vector<Digest> leaves_;
  Sha256Hasher hasher_;
};

}  // namespace writ::ledger
