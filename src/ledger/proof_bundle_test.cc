#include "ledger/proof_bundle.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "ledger/ledger_test_util.h"
#include "ledger/merkle.h"

namespace writ::ledger {
namespace {

std::vector<Digest> Hashes(const boost::json::value& v) {
  std::vector<Digest> out;
  for (const auto& h : v.as_array()) out.push_back(DigestFromHex(h.as_string()).value());
  return out;
}

class ProofBundleTest : public testing::LedgerFixture {};

TEST_F(ProofBundleTest, BundlesVerifyWithOnlyTheirContentsAndTheKey) {
  options_.checkpoint_every_records = 40;
  OpenLedger();
  Fill(100, 10);
  ledger_.reset();
  std::string vkey = FormatVerifierKey(signer_->name(), signer_->public_key());
  auto b = InclusionBundle(store_->ledger(), kOrigin, 17, vkey);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto key = ParseVerifierKey(b->at("verifier_key").as_string()).value();
  auto cp = OpenCheckpoint(b->at("checkpoint").as_string(), key);
  ASSERT_TRUE(cp.ok());
  std::string record(b->at("record").as_string());
  Digest leaf = LeafHash(record);
  EXPECT_EQ(DigestHex(leaf), b->at("leaf_hash").as_string());
  EXPECT_TRUE(VerifyInclusion(leaf, 17, cp->tree_size, Hashes(b->at("inclusion_proof")), cp->root));
  EXPECT_FALSE(
      VerifyInclusion(leaf, 18, cp->tree_size, Hashes(b->at("inclusion_proof")), cp->root));

  auto cps = *store_->ledger().Checkpoints(kOrigin);
  ASSERT_GE(cps.size(), 2u);
  auto c =
      ConsistencyBundle(store_->ledger(), kOrigin, cps[0].tree_size, cps.back().tree_size, vkey);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto first = OpenCheckpoint(c->at("first_checkpoint").as_string(), key).value();
  auto second = OpenCheckpoint(c->at("second_checkpoint").as_string(), key).value();
  EXPECT_TRUE(VerifyConsistency(first.tree_size, second.tree_size, first.root, second.root,
                                Hashes(c->at("consistency_proof"))));

  EXPECT_EQ(InclusionBundle(store_->ledger(), kOrigin, 5000, vkey).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ConsistencyBundle(store_->ledger(), kOrigin, 3, cps[0].tree_size, vkey).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ProofBundleTest, UncoveredRecordIsReported) {
  options_.checkpoint_every_records = 1000;
  options_.checkpoint_every_ms = 1000000;
  OpenLedger();
  Fill(5, 5);
  auto b = InclusionBundle(store_->ledger(), kOrigin, 2, "");
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace writ::ledger
