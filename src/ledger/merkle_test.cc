#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace writ::ledger {
namespace {

// The RFC 6962 reference leaves used by Certificate Transparency's test suites.
std::vector<Digest> ReferenceLeaves() {
  std::vector<Digest> out;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    out.push_back(LeafHash(HexDecode(hex).value()));
  }
  return out;
}

// MTH straight from the RFC's recursive definition, independent of the code under test.
Digest ReferenceMth(const std::vector<Digest>& leaves, size_t begin, size_t end) {
  if (end == begin) return Sha256("");
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(ReferenceMth(leaves, begin, begin + k), ReferenceMth(leaves, begin + k, end));
}

TEST(MerkleTest, Rfc6962ReferenceRoots) {
  const char* roots[] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  auto leaves = ReferenceLeaves();
  MemorySubtreeSource src(leaves);
  CompactRange range;
  Sha256Hasher h;
  EXPECT_EQ(DigestHex(range.Root(h)), roots[0]);
  for (size_t n = 0; n <= 8; ++n) {
    EXPECT_EQ(DigestHex(*TreeRoot(src, n)), roots[n]) << n;
    if (n > 0) {
      range.Append(h, leaves[n - 1], nullptr);
      EXPECT_EQ(DigestHex(range.Root(h)), roots[n]) << n;
    }
  }
}

TEST(MerkleTest, Rfc6962ReferenceInclusionProofs) {
  MemorySubtreeSource src(ReferenceLeaves());
  struct {
    uint64_t index, size;
    std::vector<const char*> proof;
  } cases[] = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  auto leaves = ReferenceLeaves();
  for (const auto& c : cases) {
    auto proof = InclusionProof(src, c.index, c.size);
    ASSERT_TRUE(proof.ok());
    ASSERT_EQ(proof->size(), c.proof.size());
    for (size_t i = 0; i < c.proof.size(); ++i) EXPECT_EQ(DigestHex((*proof)[i]), c.proof[i]);
    EXPECT_TRUE(VerifyInclusion(leaves[c.index], c.index, c.size, *proof, *TreeRoot(src, c.size)));
  }
  EXPECT_EQ(InclusionProof(src, 8, 8).status().code(), StatusCode::kOutOfRange);
}

TEST(MerkleTest, Rfc6962ReferenceConsistencyProofs) {
  MemorySubtreeSource src(ReferenceLeaves());
  struct {
    uint64_t first, second;
    std::vector<const char*> proof;
  } cases[] = {
      {1, 1, {}},
      {2,
       8,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  for (const auto& c : cases) {
    auto proof = ConsistencyProof(src, c.first, c.second);
    ASSERT_TRUE(proof.ok());
    ASSERT_EQ(proof->size(), c.proof.size()) << c.first << "->" << c.second;
    for (size_t i = 0; i < c.proof.size(); ++i) EXPECT_EQ(DigestHex((*proof)[i]), c.proof[i]);
    EXPECT_TRUE(VerifyConsistency(c.first, c.second, *TreeRoot(src, c.first),
                                  *TreeRoot(src, c.second), *proof));
  }
  EXPECT_EQ(ConsistencyProof(src, 5, 3).status().code(), StatusCode::kOutOfRange);
}

class MerkleExhaustiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 70; ++i) leaves_.push_back(LeafHash("leaf " + std::to_string(i)));
    for (size_t n = 0; n <= leaves_.size(); ++n) roots_.push_back(ReferenceMth(leaves_, 0, n));
  }
  std::vector<Digest> leaves_;
  std::vector<Digest> roots_;
};

TEST_F(MerkleExhaustiveTest, CompactRangeMatchesTheDefinitionAndReportsCompletedSubtrees) {
  CompactRange range;
  Sha256Hasher h;
  MemorySubtreeSource src(leaves_);
  for (size_t n = 1; n <= leaves_.size(); ++n) {
    std::vector<CompletedNode> done;
    range.Append(h, leaves_[n - 1], &done);
    EXPECT_EQ(range.Root(h), roots_[n]) << n;
    EXPECT_EQ(range.roots().size(), static_cast<size_t>(__builtin_popcountll(n)));
    for (const auto& c : done) EXPECT_EQ(c.hash, *src.CompleteSubtree(c.level, c.index));
    // A subtree completes at level L exactly when n is a multiple of 2^L.
    size_t expect_done = static_cast<size_t>(__builtin_ctzll(n));
    EXPECT_EQ(done.size(), expect_done) << n;
  }
  auto rebuilt = CompactRange::FromRoots(range.size(), range.roots());
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->Root(h), roots_.back());
  EXPECT_FALSE(CompactRange::FromRoots(3, {roots_[1]}).ok());
}

TEST_F(MerkleExhaustiveTest, EveryInclusionProofVerifiesAndMangledOnesDoNot) {
  MemorySubtreeSource src(leaves_);
  for (uint64_t n = 1; n <= leaves_.size(); ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(src, i, n);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyInclusion(leaves_[i], i, n, *proof, roots_[n])) << i << "/" << n;
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(leaves_[i], (i + 1) % n, n, *proof, roots_[n]));
      }
      EXPECT_FALSE(VerifyInclusion(leaves_[(i + 1) % leaves_.size()], i, n, *proof, roots_[n]));
      if (!proof->empty()) {
        auto bad = *proof;
        bad.back()[3] ^= 1;
        EXPECT_FALSE(VerifyInclusion(leaves_[i], i, n, bad, roots_[n]));
        bad = *proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyInclusion(leaves_[i], i, n, bad, roots_[n]));
      }
      auto longer = *proof;
      longer.push_back(leaves_[0]);
      EXPECT_FALSE(VerifyInclusion(leaves_[i], i, n, longer, roots_[n]));
    }
  }
}

TEST_F(MerkleExhaustiveTest, EveryConsistencyProofVerifiesAndMangledOnesDoNot) {
  MemorySubtreeSource src(leaves_);
  for (uint64_t second = 1; second <= leaves_.size(); ++second) {
    for (uint64_t first = 1; first <= second; ++first) {
      auto proof = ConsistencyProof(src, first, second);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyConsistency(first, second, roots_[first], roots_[second], *proof))
          << first << "->" << second;
      if (first < second) {
        EXPECT_FALSE(VerifyConsistency(first, second, roots_[first - 1], roots_[second], *proof));
        EXPECT_FALSE(VerifyConsistency(first, second, roots_[first], roots_[second - 1], *proof));
        auto bad = *proof;
        bad[0][0] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(first, second, roots_[first], roots_[second], bad));
        bad = *proof;
        bad.pop_back();
        EXPECT_FALSE(VerifyConsistency(first, second, roots_[first], roots_[second], bad));
      }
    }
  }
  EXPECT_TRUE(VerifyConsistency(0, 5, EmptyRoot(), roots_[5], {}));
  EXPECT_FALSE(VerifyConsistency(0, 5, EmptyRoot(), roots_[5], {leaves_[0]}));
  EXPECT_FALSE(VerifyConsistency(6, 5, roots_[6], roots_[5], {}));
}

TEST(MerkleTest, SplitPointIsTheLargestPowerOfTwoBelowN) {
  EXPECT_EQ(SplitPoint(2), 1u);
  EXPECT_EQ(SplitPoint(3), 2u);
  EXPECT_EQ(SplitPoint(4), 2u);
  EXPECT_EQ(SplitPoint(5), 4u);
  EXPECT_EQ(SplitPoint(9), 8u);
  EXPECT_EQ(SplitPoint(1000), 512u);
  EXPECT_EQ(SplitPoint(uint64_t{1} << 40), uint64_t{1} << 39);
}

}  // namespace
}  // namespace writ::ledger
