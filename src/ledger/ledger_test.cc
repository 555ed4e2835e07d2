#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "ledger/ledger_test_util.h"
#include "ledger/log_reader.h"
#include "ledger/verifier.h"

namespace writ::ledger {
namespace {

using testing::LedgerFixture;
using testing::TestEntry;

TEST_F(LedgerFixture, AppendsAreDurableChainedAndProvable) {
  options_.checkpoint_every_records = 10;
  OpenLedger();
  std::vector<AppendReceipt> receipts;
  for (int i = 0; i < 25; ++i) {
    auto r = ledger_->Append(TestEntry(static_cast<uint64_t>(i)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    receipts.push_back(*r);
  }
  // Checkpoint records interleave: seq numbers are strictly increasing but not dense for us.
  for (size_t i = 1; i < receipts.size(); ++i) EXPECT_GT(receipts[i].seq, receipts[i - 1].seq);
  ASSERT_TRUE(ledger_->Close().ok());
  LedgerStats stats = ledger_->Stats();
  EXPECT_EQ(stats.appended, 25u);
  EXPECT_GE(stats.checkpoints, 2u);

  LedgerReader reader(store_->ledger(), kOrigin);
  uint64_t size = *reader.TreeSize();
  EXPECT_EQ(size, stats.tree_size);
  auto latest = reader.LatestCheckpoint();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  // Close() covered everything: the last checkpoint signs all but its own record.
  EXPECT_EQ((*latest)->tree_size + 1, size);
  auto cp = OpenCheckpoint((*latest)->note, Key());
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->root, *reader.Root(cp->tree_size));
  for (const auto& r : receipts) {
    auto proof = reader.ProveInclusion(r.seq, cp->tree_size);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(proof->leaf_hash, r.leaf_hash);
    EXPECT_TRUE(VerifyInclusion(r.leaf_hash, r.seq, cp->tree_size, proof->proof, cp->root));
  }
  auto stored = store_->ledger().GetRecord(kOrigin, receipts[3].seq);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto rec = DecodeRecord((*stored)->body);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->body.at("decision_id").as_string(), "dec-3");
  auto report = VerifyLedger(store_->ledger(), {kOrigin, Key(), "", nullptr});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->what;
  EXPECT_EQ(report->records, size);
}

TEST_F(LedgerFixture, ConcurrentAppendsShareCommitsAndLoseNothing) {
  options_.checkpoint_every_records = 500;
  OpenLedger();
  constexpr int kThreads = 16;
  constexpr int kPerThread = 200;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = ledger_->Append(TestEntry(static_cast<uint64_t>(t * kPerThread + i)));
        ASSERT_TRUE(r.ok());
        seqs[t].push_back(r->seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& v : seqs) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  LedgerStats stats = ledger_->Stats();
  EXPECT_EQ(stats.appended, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.batches, stats.appended);  // group commit happened
  ledger_.reset();
  auto report = VerifyLedger(store_->ledger(), {kOrigin, Key(), "", nullptr});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->what;
}

TEST_F(LedgerFixture, ReopenRecoversTheTreeAndContinuesTheChain) {
  options_.checkpoint_every_records = 1000000;
  options_.checkpoint_every_ms = 1000000;
  OpenLedger();
  Fill(777, 50);
  Digest root_before = *LedgerReader(store_->ledger(), kOrigin).Root(777);
  ledger_.reset();  // closes: writes a final checkpoint at 777
  OpenLedger();
  EXPECT_EQ(ledger_->TreeSize(), 778u);
  Fill(300, 7);
  ledger_.reset();
  LedgerReader reader(store_->ledger(), kOrigin);
  EXPECT_EQ(*reader.Root(777), root_before);
  auto report = VerifyLedger(store_->ledger(), {kOrigin, Key(), "", nullptr});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->what;
  EXPECT_EQ(report->records, 778u + 300u + 1u);
  EXPECT_GE(report->checkpoints, 2u);
  EXPECT_GT(report->nodes, 0u);
}

TEST_F(LedgerFixture, TimedCheckpointsCoverIdleTails) {
  options_.checkpoint_every_records = 1000000;
  options_.checkpoint_every_ms = 50;
  OpenLedger();
  ASSERT_TRUE(ledger_->Append(TestEntry(1)).ok());
  for (int i = 0; i < 100 && ledger_->Stats().checkpoints == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ledger_->Stats().checkpoints, 1u);
  // The checkpoint record itself does not make a new checkpoint due.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(ledger_->Stats().checkpoints, 1u);
  EXPECT_EQ(ledger_->TreeSize(), 2u);
}

TEST_F(LedgerFixture, OutsideCheckpointFileIsKeptInStepAndRepaired) {
  options_.checkpoint_every_records = 100;
  options_.outside_checkpoint_file = (dir_ / "outside.jsonl").string();
  OpenLedger();
  Fill(450);
  ledger_.reset();
  auto file = ReadCheckpointFile(options_.outside_checkpoint_file);
  ASSERT_TRUE(file.ok());
  auto stored = store_->ledger().Checkpoints(kOrigin);
  ASSERT_EQ(file->size(), stored->size());
  // A torn tail (a crash during an append) is cut off at open, and the missing checkpoint is
  // appended again from the store.
  std::filesystem::resize_file(options_.outside_checkpoint_file,
                               std::filesystem::file_size(options_.outside_checkpoint_file) - 10);
  OpenLedger();
  ledger_.reset();
  file = ReadCheckpointFile(options_.outside_checkpoint_file);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size(), stored->size());
  auto report =
      VerifyLedger(store_->ledger(), {kOrigin, Key(), options_.outside_checkpoint_file, nullptr});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->what;
}

TEST_F(LedgerFixture, LockedStoreFailsClosedAndRecovers) {
  OpenLedger();
  Fill(20);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = ledger_->Append(TestEntry(99));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("locked"), std::string::npos);
  EXPECT_EQ(ledger_->Stats().append_failures, 1u);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto ok = ledger_->Append(TestEntry(100));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->seq, 20u);  // no gap where the failed append was
  ledger_.reset();
  auto report = VerifyLedger(store_->ledger(), {kOrigin, Key(), "", nullptr});
  EXPECT_TRUE(report->ok()) << report->problem->what;
}

TEST_F(LedgerFixture, ClosedLedgerRefusesAppends) {
  OpenLedger();
  ASSERT_TRUE(ledger_->Close().ok());
  EXPECT_EQ(ledger_->Append(TestEntry(1)).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ledger_->AppendBatch({}).ok());
}

TEST_F(LedgerFixture, BadOptionsAreRefused) {
  options_.origin = "bad origin";
  EXPECT_FALSE(Ledger::Open(store_->ledger(), *signer_, clock_, options_).ok());
  options_.origin = kOrigin;
  options_.checkpoint_every_records = 0;
  EXPECT_FALSE(Ledger::Open(store_->ledger(), *signer_, clock_, options_).ok());
}

}  // namespace
}  // namespace writ::ledger
