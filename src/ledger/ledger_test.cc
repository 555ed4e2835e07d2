#include "ledger/ledger.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>

#include "ledger/ledger_test_util.h"
#include "ledger/log_reader.h"
#include "ledger/verifier.h"
#include "store/forwarding_ledger_store.h"

namespace writ::ledger {
namespace {

using testing::LedgerFixture;
using testing::TestEntry;

// A LedgerStore that forwards to the real one and lets a test hold or fail commits and syncs,
// and tracks which records a completed sync covers.
class ControlledStore final : public store::ForwardingLedgerStore {
 public:
  explicit ControlledStore(store::LedgerStore& inner) : ForwardingLedgerStore(inner) {}

  Status CommitBatch(const store::LedgerBatch& b) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++commits_started_;
    threads_.push_back("commit:" + ThreadName());
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_commits_; });
    if (fail_commits_ > 0) {
      --fail_commits_;
      return once_error_;
    }
    lock.unlock();
    Status s = inner_.CommitBatch(b);
    lock.lock();
    if (s.ok()) committed_end_ = b.first_seq + b.records.size();
    return s;
  }
  Status SyncCommitted() override {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t covering = committed_end_;  // commits that returned before this sync began
    ++syncs_started_;
    threads_.push_back("sync:" + ThreadName());
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_syncs_; });
    if (!sync_error_.ok()) return sync_error_;
    lock.unlock();
    Status s = inner_.SyncCommitted();
    lock.lock();
    if (s.ok()) durable_end_ = std::max(durable_end_, covering);
    return s;
  }
  void HoldCommits(bool hold) { Set(&hold_commits_, hold); }
  void HoldSyncs(bool hold) { Set(&hold_syncs_, hold); }
  // Fails the next `n` commits only.
  void FailNextCommits(int n, Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_commits_ = n;
    once_error_ = std::move(s);
    cv_.notify_all();
  }
  void FailSyncs(Status s) { Set(&sync_error_, std::move(s)); }
  // Waits (up to 10 s) until `n` commits, or syncs, have begun.
  bool WaitCommitsStarted(int n) {
    return WaitFor([&] { return commits_started_ >= n; });
  }
  bool WaitSyncsStarted(int n) {
    return WaitFor([&] { return syncs_started_ >= n; });
  }
  int commits_started() {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_started_;
  }
  // "commit:<thread name>" and "sync:<thread name>", in the order the calls began.
  std::vector<std::string> threads() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_;
  }
  uint64_t durable_end() {
    std::lock_guard<std::mutex> lock(mu_);
    return durable_end_;
  }

 private:
  static std::string ThreadName() {
    char name[32] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    return name;
  }
  template <typename T>
  void Set(T* field, T value) {
    std::lock_guard<std::mutex> lock(mu_);
    *field = std::move(value);
    cv_.notify_all();
  }
  template <typename Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), pred);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_commits_ = false;
  bool hold_syncs_ = false;
  Status sync_error_;
  int fail_commits_ = 0;
  Status once_error_;
  int commits_started_ = 0;
  int syncs_started_ = 0;
  std::vector<std::string> threads_;
  uint64_t committed_end_ = 0;
  uint64_t durable_end_ = 0;
};

// Counts callbacks and waits for them.
class Callbacks {
 public:
  AppendCallback Make() {
    return [this](Result<AppendReceipt> r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (r.ok()) {
        seqs_.push_back(r->seq);
      } else {
        errors_.push_back(r.status());
      }
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20),
                        [&] { return seqs_.size() + errors_.size() >= n; });
  }
  std::vector<uint64_t> seqs() {
    std::lock_guard<std::mutex> lock(mu_);
    return seqs_;
  }
  std::vector<Status> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<uint64_t> seqs_;
  std::vector<Status> errors_;
};

class AsyncLedgerTest : public LedgerFixture {
 protected:
  void SetUp() override {
    LedgerFixture::SetUp();
    controlled_ = std::make_unique<ControlledStore>(store_->ledger());
  }
  void TearDown() override {
    controlled_->HoldCommits(false);
    controlled_->HoldSyncs(false);
    ledger_.reset();
    LedgerFixture::TearDown();
  }
  // These tests are about the pipeline's stages: batches go through the committer and the
  // syncer even when the pipeline is idle, unless a test turns the inline path back on.
  void OpenControlled(size_t inline_when_idle_records = 0) {
    options_.inline_when_idle_records = inline_when_idle_records;
    auto l = Ledger::Open(*controlled_, *signer_, clock_, options_);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(l).value();
  }
  void ExpectCleanVerify(uint64_t records) {
    ledger_.reset();
    auto report = VerifyLedger(store_->ledger(), {kOrigin, Key(), "", nullptr});
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << report->problem->what;
    EXPECT_EQ(report->records, records);
  }
  std::unique_ptr<ControlledStore> controlled_;
};

TEST_F(AsyncLedgerTest, CallbacksComeOnlyAfterASyncCoveredTheRecord) {
  CheckpointOnlyAtClose();
  OpenControlled();
  constexpr int kThreads = 8, kPerThread = 250;
  std::atomic<int> early{0}, failed{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = ledger_->AppendAsync(
            TestEntry(static_cast<uint64_t>(t * kPerThread + i)), [&](Result<AppendReceipt> r) {
              if (!r.ok()) {
                failed.fetch_add(1);
              } else if (r->seq >= controlled_->durable_end()) {
                early.fetch_add(1);  // acknowledged before a sync covered it
              }
              done.fetch_add(1);
            });
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(ledger_->Close().ok());
  EXPECT_EQ(done.load(), kThreads * kPerThread);  // Close completed every accepted append
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  LedgerStats stats = ledger_->Stats();
  EXPECT_EQ(stats.appended, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_LT(stats.batches, stats.appended);  // group commit happened
  EXPECT_LE(stats.syncs, stats.batches);
  ExpectCleanVerify(kThreads * kPerThread + 1);  // and the checkpoint written at Close
}

TEST_F(AsyncLedgerTest, NextBatchIsWrittenWhileThePreviousOneSyncs) {
  OpenControlled();
  controlled_->HoldSyncs(true);
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitSyncsStarted(1));  // batch 1 committed, its sync is held
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(2), cb.Make()).ok());
  // Batch 2 is prepared and committed although batch 1 is not durable yet...
  ASSERT_TRUE(controlled_->WaitCommitsStarted(2));
  // ...and neither is acknowledged before its sync.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(cb.seqs().empty());
  controlled_->HoldSyncs(false);
  ASSERT_TRUE(cb.WaitFor(2));
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(cb.errors().empty());
}

// Callbacks run on a stage of their own: the batch committed meanwhile is synced without
// waiting for them, and callbacks still come in seq order.
TEST_F(AsyncLedgerTest, ASlowCallbackDoesNotDelayTheNextSync) {
  OpenControlled();
  std::mutex mu;
  std::condition_variable cv;
  bool in_first = false, release = false;
  auto open_gate = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      release = true;
    }
    cv.notify_all();
  };
  // The first callback is let go however the test ends (else Close would wait for it).
  std::unique_ptr<void, std::function<void(void*)>> gate(&mu, [&](void*) { open_gate(); });
  Callbacks cb;
  AppendCallback counted = cb.Make();
  ASSERT_TRUE(ledger_
                  ->AppendAsync(TestEntry(1),
                                [&](Result<AppendReceipt> r) {
                                  std::unique_lock<std::mutex> lock(mu);
                                  in_first = true;
                                  cv.notify_all();
                                  cv.wait(lock, [&] { return release; });
                                  lock.unlock();
                                  counted(std::move(r));
                                })
                  .ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return in_first; }));
  }
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(2), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitSyncsStarted(2));  // while the first callback still runs
  for (int i = 0; i < 1000 && controlled_->durable_end() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(controlled_->durable_end(), 2u);
  EXPECT_TRUE(cb.seqs().empty());  // the second callback waits for the first
  open_gate();
  ASSERT_TRUE(cb.WaitFor(2));
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(cb.errors().empty());
}

TEST_F(AsyncLedgerTest, BatchesWaitingForTheSameSyncBecomeOneTransaction) {
  CheckpointOnlyAtClose();
  OpenControlled();
  controlled_->HoldSyncs(true);
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitSyncsStarted(1));  // batch 1 syncing (held)
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(2), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitCommitsStarted(2));  // batch 2 committed, waits for a sync
  // Appends made while batch 2 waits would be made durable by the same sync as it: they are
  // held and merged, not committed one by one.
  for (uint64_t i = 3; i <= 5; ++i) {
    ASSERT_TRUE(ledger_->AppendAsync(TestEntry(i), cb.Make()).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // prepared apart
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(controlled_->commits_started(), 2);
  EXPECT_TRUE(cb.seqs().empty());
  controlled_->HoldSyncs(false);
  ASSERT_TRUE(cb.WaitFor(5));
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(cb.errors().empty());
  EXPECT_EQ(controlled_->commits_started(), 3);  // records 3-5 in one transaction
  ExpectCleanVerify(5 + 1);                      // and the checkpoint written at Close
}

TEST_F(AsyncLedgerTest, AnIdleLedgerCommitsAndSyncsOnThePreparingThread) {
  CheckpointOnlyAtClose();
  OpenControlled(LedgerOptions().inline_when_idle_records);
  Callbacks cb;
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(ledger_->AppendAsync(TestEntry(i), cb.Make()).ok());
    ASSERT_TRUE(cb.WaitFor(i));  // one at a time: the pipeline is idle at each append
  }
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(controlled_->durable_end(), 3u);  // acknowledged only once synced
  std::vector<std::string> want;
  for (int i = 0; i < 3; ++i) {
    want.push_back("commit:ledger-prepare");
    want.push_back("sync:ledger-prepare");
  }
  EXPECT_EQ(controlled_->threads(), want);
  ExpectCleanVerify(3 + 1);
}

// A lazy append is not written on its own: it goes with the next append that is not lazy, in
// the same transaction and sync, in the order they were made.
TEST_F(AsyncLedgerTest, LazyAppendsGoWithTheNextAppend) {
  CheckpointOnlyAtClose();
  options_.lazy_within_ms = 60000;
  OpenControlled(LedgerOptions().inline_when_idle_records);
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendLazyAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(ledger_->AppendLazyAsync(TestEntry(2), cb.Make()).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(controlled_->commits_started(), 0);
  EXPECT_TRUE(cb.seqs().empty());
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(3), cb.Make()).ok());
  ASSERT_TRUE(cb.WaitFor(3));
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(controlled_->commits_started(), 1);
  EXPECT_EQ(controlled_->durable_end(), 3u);
  ExpectCleanVerify(3 + 1);
}

// Alone, a lazy append is written once it has waited lazy_within_ms: whether the preparer slept
// with nothing to wait for (a fresh ledger) or waited for a timed checkpoint further off.
TEST_F(AsyncLedgerTest, ALazyAppendAloneIsWrittenWithinItsBound) {
  options_.checkpoint_every_ms = 1000000;
  options_.lazy_within_ms = 50;
  OpenControlled(LedgerOptions().inline_when_idle_records);
  Callbacks cb;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ledger_->AppendLazyAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(cb.WaitFor(1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  // Now a record is not yet covered by a checkpoint: the preparer waits for one, 100 ms at a
  // time, and must wake sooner for the lazy append.
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(ledger_->AppendLazyAsync(TestEntry(2), cb.Make()).ok());
  ASSERT_TRUE(cb.WaitFor(2));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(controlled_->commits_started(), 2);
}

// Close writes what lazy appends left queued, and acknowledges them.
TEST_F(AsyncLedgerTest, CloseWritesLazyAppends) {
  CheckpointOnlyAtClose();
  options_.lazy_within_ms = 60000;
  OpenControlled();
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendLazyAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(ledger_->Close().ok());
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0}));
  ExpectCleanVerify(1 + 1);
}

TEST_F(AsyncLedgerTest, InlineCommitFailureFailsClosedAndRecovers) {
  CheckpointOnlyAtClose();
  OpenControlled(LedgerOptions().inline_when_idle_records);
  controlled_->FailNextCommits(1, Status(StatusCode::kIoError, "disk gone"));
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(cb.WaitFor(1));
  ASSERT_EQ(cb.errors().size(), 1u);
  EXPECT_EQ(cb.errors()[0].code(), StatusCode::kUnavailable);
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(2), cb.Make()).ok());
  ASSERT_TRUE(cb.WaitFor(2));
  EXPECT_EQ(cb.seqs(), (std::vector<uint64_t>{0}));  // the failed one took no seq
  EXPECT_EQ(ledger_->Stats().append_failures, 1u);
  ExpectCleanVerify(1 + 1);
}

TEST_F(AsyncLedgerTest, FullQueueRefusesAsyncAppendsAndBlocksSyncOnes) {
  options_.max_pending_records = 4;
  OpenControlled();
  controlled_->HoldCommits(true);
  Callbacks cb;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ledger_->AppendAsync(TestEntry(i), cb.Make()).ok());
  Status full = ledger_->AppendAsync(TestEntry(4), cb.Make());
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted) << full.ToString();
  EXPECT_EQ(ledger_->AppendBatchAsync({TestEntry(5)}, [](auto) {}).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(ledger_->Stats().rejected_full, 2u);
  EXPECT_EQ(ledger_->Stats().pending, 4u);
  // A blocking append waits for room instead.
  std::atomic<bool> returned{false};
  std::thread blocked([&] {
    auto r = ledger_->Append(TestEntry(6));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(returned.load());
  controlled_->HoldCommits(false);
  blocked.join();
  ASSERT_TRUE(cb.WaitFor(4));
  EXPECT_EQ(cb.seqs().size(), 4u);
  EXPECT_TRUE(ledger_->AppendAsync(TestEntry(7), cb.Make()).ok());
  ASSERT_TRUE(cb.WaitFor(5));
  ExpectCleanVerify(6 + 1);
}

TEST_F(AsyncLedgerTest, FailedCommitFailsItsBatchAndTheOnePreparedOnTopOfIt) {
  CheckpointOnlyAtClose();
  OpenControlled();
  ASSERT_TRUE(ledger_->AppendBatch({TestEntry(0), TestEntry(1)}).ok());
  controlled_->HoldCommits(true);
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(2), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitCommitsStarted(2));  // batch A (seq 2) is being written
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(3), cb.Make()).ok());
  // Batch B (seq 3) is prepared on top of A while A is held; A alone then fails. Were B
  // written, the store would refuse it for another reason (it starts at seq 3 of 2 records).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  controlled_->FailNextCommits(1, IoError("injected"));
  controlled_->HoldCommits(false);
  ASSERT_TRUE(cb.WaitFor(2));
  ASSERT_EQ(cb.errors().size(), 2u);
  for (const Status& e : cb.errors()) {
    EXPECT_EQ(e.code(), StatusCode::kUnavailable);
    EXPECT_NE(e.message().find("injected"), std::string::npos) << e.message();
  }
  EXPECT_EQ(ledger_->Stats().append_failures, 2u);
  // Appends continue at the next seq, with no gap.
  auto r = ledger_->Append(TestEntry(4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->seq, 2u);
  ExpectCleanVerify(3 + 1);
}

TEST_F(AsyncLedgerTest, FailedSyncFailsEveryBatchItCovers) {
  CheckpointOnlyAtClose();
  OpenControlled();
  controlled_->HoldSyncs(true);
  Callbacks cb;
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(0), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitSyncsStarted(1));
  ASSERT_TRUE(ledger_->AppendAsync(TestEntry(1), cb.Make()).ok());
  ASSERT_TRUE(controlled_->WaitCommitsStarted(2));
  controlled_->FailSyncs(IoError("injected sync failure"));
  controlled_->HoldSyncs(false);
  ASSERT_TRUE(cb.WaitFor(2));
  EXPECT_TRUE(cb.seqs().empty());
  ASSERT_EQ(cb.errors().size(), 2u);
  EXPECT_EQ(cb.errors()[0].code(), StatusCode::kUnavailable);
  EXPECT_NE(cb.errors()[1].message().find("injected sync failure"), std::string::npos);
  // The records were committed but never acknowledged; the ledger continues after them.
  controlled_->FailSyncs(Status::Ok());
  auto r = ledger_->Append(TestEntry(2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->seq, 2u);
  ExpectCleanVerify(3 + 1);
}

TEST_F(AsyncLedgerTest, BatchesAreAtomicAndRefusalsAreClear) {
  OpenControlled();
  EXPECT_EQ(ledger_->AppendBatchAsync({}, [](auto) { FAIL() << "called"; }).code(),
            StatusCode::kInvalidArgument);
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::vector<AppendReceipt>>> got;
  ASSERT_TRUE(ledger_
                  ->AppendBatchAsync({TestEntry(0), TestEntry(1), TestEntry(2)},
                                     [&](Result<std::vector<AppendReceipt>> r) {
                                       std::lock_guard<std::mutex> lock(mu);
                                       got.emplace(std::move(r));
                                       cv.notify_all();
                                     })
                  .ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.has_value(); }));
  }
  ASSERT_TRUE(got->ok());
  ASSERT_EQ((*got)->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((**got)[i].seq, i);
  ASSERT_TRUE(ledger_->Close().ok());
  bool called = false;
  EXPECT_EQ(ledger_->AppendAsync(TestEntry(9), [&](auto) { called = true; }).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(called);
}

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

// Blocked callers share wake words (one per take of the queue, reused round-robin), so a caller
// is often woken for another caller's batch. Each must still get exactly its own receipts, and
// only once they are durable, whatever mix of calls shares the pipeline.
TEST_F(LedgerFixture, BlockedCallersEachGetTheirOwnReceiptsWhileSharingWakeWords) {
  options_.checkpoint_every_records = 300;
  OpenLedger();
  constexpr int kThreads = 24;
  constexpr int kPerThread = 120;
  std::atomic<bool> stop_async{false};
  std::atomic<uint64_t> async_done{0};
  std::thread flooder([&] {
    // Many small takes: the wake words wrap around many times during the run.
    for (uint64_t n = 1000000; !stop_async.load(); ++n) {
      Status s = ledger_->AppendAsync(TestEntry(n, 20), [&](Result<AppendReceipt> r) {
        EXPECT_TRUE(r.ok());
        async_done.fetch_add(1);
      });
      if (!s.ok()) std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  std::atomic<int> checked{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        uint64_t n = static_cast<uint64_t>(t * kPerThread + i);
        std::vector<AppendReceipt> receipts;
        if (t % 4 == 0) {
          auto r = ledger_->AppendBatch({TestEntry(n * 10 + 1), TestEntry(n * 10 + 2)});
          ASSERT_TRUE(r.ok()) << r.status().message();
          receipts = *r;
        } else if (t == 1 && i % 10 == 0) {
          ASSERT_TRUE(ledger_->Checkpoint().ok());
          continue;
        } else {
          auto r = ledger_->Append(TestEntry(n * 10));
          ASSERT_TRUE(r.ok()) << r.status().message();
          receipts.push_back(*r);
        }
        // Durable by now, and the caller's own record.
        ASSERT_LT(receipts.back().seq, ledger_->TreeSize());
        for (size_t k = 0; k < receipts.size(); ++k) {
          auto rec = store_->ledger().GetRecord(kOrigin, receipts[k].seq);
          ASSERT_TRUE(rec.ok() && rec->has_value());
          uint64_t expected = receipts.size() == 1 ? n * 10 : n * 10 + 1 + k;
          EXPECT_EQ((*rec)->decision_id, "dec-" + std::to_string(expected));
          EXPECT_EQ((*rec)->leaf_hash, receipts[k].leaf_hash);
        }
        checked.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  stop_async.store(true);
  flooder.join();
  ledger_.reset();  // completes every accepted async append
  EXPECT_EQ(checked.load(), kThreads * kPerThread - kPerThread / 10);
  EXPECT_GT(async_done.load(), 0u);
  auto report = VerifyLedger(store_->ledger(), {kOrigin, Key(), "", nullptr});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->what;
}

TEST_F(LedgerFixture, ReopenRecoversTheTreeAndContinuesTheChain) {
  CheckpointOnlyAtClose();
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
  options_.checkpoint_every_records = 1000;
  options_.lazy_within_ms = -1;
  EXPECT_FALSE(Ledger::Open(store_->ledger(), *signer_, clock_, options_).ok());
}

}  // namespace
}  // namespace writ::ledger
