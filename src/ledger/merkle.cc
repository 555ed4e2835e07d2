#include "ledger/merkle.h"

#include <bit>

namespace writ::ledger {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

bool IsPowerOfTwo(uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

Status PathInto(SubtreeSource& src, uint64_t m, uint64_t begin, uint64_t end,
                std::vector<Digest>* out) {
  uint64_t n = end - begin;
  if (n <= 1) return Status::Ok();
  uint64_t k = SplitPoint(n);
  if (m < k) {
    WRIT_RETURN_IF_ERROR(PathInto(src, m, begin, begin + k, out));
    WRIT_ASSIGN_OR_RETURN(Digest d, RangeHash(src, begin + k, end));
    out->push_back(d);
  } else {
    WRIT_RETURN_IF_ERROR(PathInto(src, m - k, begin + k, end, out));
    WRIT_ASSIGN_OR_RETURN(Digest d, RangeHash(src, begin, begin + k));
    out->push_back(d);
  }
  return Status::Ok();
}

Status SubProofInto(SubtreeSource& src, uint64_t m, uint64_t begin, uint64_t end, bool whole,
                    std::vector<Digest>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      WRIT_ASSIGN_OR_RETURN(Digest d, RangeHash(src, begin, end));
      out->push_back(d);
    }
    return Status::Ok();
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    WRIT_RETURN_IF_ERROR(SubProofInto(src, m, begin, begin + k, whole, out));
    WRIT_ASSIGN_OR_RETURN(Digest d, RangeHash(src, begin + k, end));
    out->push_back(d);
  } else {
    WRIT_RETURN_IF_ERROR(SubProofInto(src, m - k, begin + k, end, false, out));
    WRIT_ASSIGN_OR_RETURN(Digest d, RangeHash(src, begin, begin + k));
    out->push_back(d);
  }
  return Status::Ok();
}

}  // namespace

Digest LeafHash(Sha256Hasher& h, std::string_view leaf_bytes) {
  h.Update(&kLeafPrefix, 1);
  h.Update(leaf_bytes);
  return h.Finish();
}

Digest NodeHash(Sha256Hasher& h, const Digest& left, const Digest& right) {
  uint8_t buf[1 + 2 * kSha256Size];
  buf[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 1 + kSha256Size);
  h.Update(buf, sizeof buf);
  return h.Finish();
}

Digest LeafHash(std::string_view leaf_bytes) {
  Sha256Hasher h;
  return LeafHash(h, leaf_bytes);
}

Digest NodeHash(const Digest& left, const Digest& right) {
  Sha256Hasher h;
  return NodeHash(h, left, right);
}

Digest EmptyRoot() {
  return Sha256("");
}

uint64_t SplitPoint(uint64_t n) {
  return std::bit_floor(n - 1);
}

Result<CompactRange> CompactRange::FromRoots(uint64_t size, std::vector<Digest> roots) {
  if (static_cast<size_t>(std::popcount(size)) != roots.size()) {
    return InvalidArgument("merkle: " + std::to_string(roots.size()) +
                           " subtree roots do not fit a tree of size " + std::to_string(size));
  }
  CompactRange r;
  r.size_ = size;
  r.roots_ = std::move(roots);
  return r;
}

void CompactRange::Append(Sha256Hasher& h, const Digest& leaf,
                          std::vector<CompletedNode>* completed) {
  Digest cur = leaf;
  uint32_t level = 0;
  uint64_t index = size_;  // the new leaf's index at level 0
  // Each trailing one bit of size_ is a complete subtree of the same height to merge with.
  uint64_t s = size_;
  while (s & 1) {
    cur = NodeHash(h, roots_.back(), cur);
    roots_.pop_back();
    ++level;
    index >>= 1;
    if (completed) completed->push_back({level, index, cur});
    s >>= 1;
  }
  roots_.push_back(cur);
  ++size_;
}

Digest CompactRange::Root(Sha256Hasher& h) const {
  if (roots_.empty()) return EmptyRoot();
  Digest acc = roots_.back();
  for (size_t i = roots_.size() - 1; i-- > 0;) acc = NodeHash(h, roots_[i], acc);
  return acc;
}

Result<Digest> RangeHash(SubtreeSource& source, uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  if (IsPowerOfTwo(n) && begin % n == 0) {
    return source.CompleteSubtree(static_cast<uint32_t>(std::countr_zero(n)), begin / n);
  }
  uint64_t k = SplitPoint(n);
  WRIT_ASSIGN_OR_RETURN(Digest left, RangeHash(source, begin, begin + k));
  WRIT_ASSIGN_OR_RETURN(Digest right, RangeHash(source, begin + k, end));
  return NodeHash(left, right);
}

Result<Digest> TreeRoot(SubtreeSource& source, uint64_t size) {
  return RangeHash(source, 0, size);
}

Result<std::vector<Digest>> InclusionProof(SubtreeSource& source, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Status(StatusCode::kOutOfRange, "merkle: leaf " + std::to_string(index) +
                                               " is not in a tree of size " + std::to_string(size));
  }
  std::vector<Digest> out;
  WRIT_RETURN_IF_ERROR(PathInto(source, index, 0, size, &out));
  return out;
}

Result<std::vector<Digest>> ConsistencyProof(SubtreeSource& source, uint64_t first,
                                             uint64_t second) {
  if (first > second) {
    return Status(StatusCode::kOutOfRange, "merkle: tree size " + std::to_string(first) +
                                               " is larger than " + std::to_string(second));
  }
  std::vector<Digest> out;
  if (first == 0 || first == second) return out;
  WRIT_RETURN_IF_ERROR(SubProofInto(source, first, 0, second, true, &out));
  return out;
}

bool VerifyInclusion(const Digest& leaf_hash, uint64_t index, uint64_t size,
                     const std::vector<Digest>& proof, const Digest& root) {
  if (index >= size) return false;
  Sha256Hasher h;
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = NodeHash(h, p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(h, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t first, uint64_t second, const Digest& first_root,
                       const Digest& second_root, const std::vector<Digest>& proof) {
  if (first > second) return false;
  if (first == second) return proof.empty() && first_root == second_root;
  if (first == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<Digest> c;
  c.reserve(proof.size() + 1);
  if (IsPowerOfTwo(first)) c.push_back(first_root);
  c.insert(c.end(), proof.begin(), proof.end());
  Sha256Hasher h;
  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = c[0];
  Digest sr = c[0];
  for (size_t i = 1; i < c.size(); ++i) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(h, c[i], fr);
      sr = NodeHash(h, c[i], sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(h, sr, c[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == first_root && sr == second_root;
}

Result<Digest> MemorySubtreeSource::CompleteSubtree(uint32_t level, uint64_t index) {
  uint64_t width = uint64_t{1} << level;
  uint64_t begin = index * width;
  if (begin + width > leaves_.size()) return Status(StatusCode::kOutOfRange, "merkle: no subtree");
  std::vector<Digest> layer(leaves_.begin() + static_cast<ptrdiff_t>(begin),
                            leaves_.begin() + static_cast<ptrdiff_t>(begin + width));
  while (layer.size() > 1) {
    for (size_t i = 0; i < layer.size() / 2; ++i) {
      layer[i] = NodeHash(hasher_, layer[2 * i], layer[2 * i + 1]);
    }
    layer.resize(layer.size() / 2);
  }
  return layer[0];
}

}  // namespace writ::ledger
