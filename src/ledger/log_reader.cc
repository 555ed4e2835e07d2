#include "ledger/log_reader.h"

#include <bit>

namespace writ::ledger {

Result<Digest> StoredSubtrees::CompleteSubtree(uint32_t level, uint64_t index) {
  // Read the 2^r hashes of the nearest stored level below and fold them up.
  uint32_t base = level - level % kStoredLevelStride;
  uint32_t r = level - base;
  uint64_t first = index << r;
  uint64_t count = uint64_t{1} << r;
  std::vector<Digest> layer;
  if (base == 0) {
    WRIT_ASSIGN_OR_RETURN(layer, store_.LeafHashes(origin_, first, first + count));
  } else {
    WRIT_ASSIGN_OR_RETURN(layer, store_.NodeHashes(origin_, base, first, first + count));
  }
  while (layer.size() > 1) {
    for (size_t i = 0; i < layer.size() / 2; ++i) {
      layer[i] = NodeHash(hasher_, layer[2 * i], layer[2 * i + 1]);
    }
    layer.resize(layer.size() / 2);
  }
  return layer[0];
}

Result<uint64_t> LedgerReader::TreeSize() {
  return store_.RecordCount(origin_);
}

Status LedgerReader::CheckSize(uint64_t size) {
  WRIT_ASSIGN_OR_RETURN(uint64_t have, TreeSize());
  if (size > have) {
    return Status(StatusCode::kOutOfRange, "ledger: tree size " + std::to_string(size) +
                                               " is beyond the log of " + origin_ + " (" +
                                               std::to_string(have) + " records)");
  }
  return Status::Ok();
}

Result<Digest> LedgerReader::Root(uint64_t size) {
  WRIT_RETURN_IF_ERROR(CheckSize(size));
  StoredSubtrees src(store_, origin_);
  return TreeRoot(src, size);
}

Result<CompactRange> LedgerReader::Range(uint64_t size) {
  WRIT_RETURN_IF_ERROR(CheckSize(size));
  StoredSubtrees src(store_, origin_);
  std::vector<Digest> roots;
  uint64_t begin = 0;
  for (int bit = 63; bit >= 0; --bit) {
    uint64_t width = uint64_t{1} << bit;
    if (!(size & width)) continue;
    WRIT_ASSIGN_OR_RETURN(Digest d, src.CompleteSubtree(static_cast<uint32_t>(bit), begin / width));
    roots.push_back(d);
    begin += width;
  }
  return CompactRange::FromRoots(size, std::move(roots));
}

Result<InclusionProofResult> LedgerReader::ProveInclusion(uint64_t seq, uint64_t tree_size) {
  WRIT_RETURN_IF_ERROR(CheckSize(tree_size));
  StoredSubtrees src(store_, origin_);
  InclusionProofResult out;
  out.seq = seq;
  out.tree_size = tree_size;
  WRIT_ASSIGN_OR_RETURN(out.proof, InclusionProof(src, seq, tree_size));
  WRIT_ASSIGN_OR_RETURN(out.leaf_hash, src.CompleteSubtree(0, seq));
  return out;
}

Result<std::vector<Digest>> LedgerReader::ProveConsistency(uint64_t first, uint64_t second) {
  WRIT_RETURN_IF_ERROR(CheckSize(second));
  StoredSubtrees src(store_, origin_);
  return ConsistencyProof(src, first, second);
}

Result<std::optional<store::StoredCheckpoint>> LedgerReader::LatestCheckpoint() {
  return store_.LatestCheckpoint(origin_);
}

Result<std::optional<store::StoredCheckpoint>> LedgerReader::CheckpointCovering(uint64_t seq) {
  WRIT_ASSIGN_OR_RETURN(auto all, store_.Checkpoints(origin_));
  for (auto& c : all) {
    if (c.tree_size > seq) return std::optional<store::StoredCheckpoint>(std::move(c));
  }
  return std::optional<store::StoredCheckpoint>();
}

}  // namespace writ::ledger
