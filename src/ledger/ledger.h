// The ledger: durable, tamper-evident appends with group commit.
//
// An append is acknowledged only once its record is durable in the store. AppendAsync()
// enqueues and returns at once; its callback runs when the record is durable (or could not be
// recorded). Append() and AppendBatch() are the same with the caller blocked until then.
//
// Pipeline (four threads, so that a batch is hashed and written while earlier ones sync; at low
// load, when none is in flight, the preparer commits and syncs a small batch itself):
//   1. the preparer takes everything queued (up to max_batch_records), assigns sequence
//      numbers, encodes, chains and hashes the records, extends the Merkle tree and adds any
//      due checkpoint — while the committer writes the batch before;
//   2. the committer writes the batch, its completed subtree hashes and checkpoint in one
//      store transaction (LedgerStore::CommitBatch), then takes the next prepared batch;
//   3. the syncer makes every committed batch durable with one sync (SyncCommitted) and takes
//      the next committed ones;
//   4. the completer runs the callbacks of every append in the synced batches and wakes the
//      blocked callers, one futex wake per take of the queue rather than one per caller (see
//      wake_words_); a small group (up to inline_when_idle_records records) the syncer completes
//      itself when the completer is idle.
// At most one prepared batch waits for the committer (what is prepared while it waits joins
// it, up to max_batch_records), so no more than two batches are built ahead of what the store
// holds.
//
// Lazy appends (AppendLazyAsync) wait in the queue without waking the preparer until an append
// that is not lazy arrives or lazy_within_ms passed, and go with it.
//
// Back-pressure: at most `max_pending_records` records are accepted and not yet completed
// (queued, in the pipeline, or syncing). Beyond it AppendAsync/AppendBatchAsync refuse at once
// with `resource_exhausted` (the caller denies or retries; nothing is recorded), while Append,
// AppendBatch and Checkpoint wait for room. A batch larger than the bound is accepted only when
// nothing else is pending. Memory stays bounded by that and by O(log n) tree state.
//
// Checkpoints: every `checkpoint_every_records` records or `checkpoint_every_ms` after the
// first record not yet covered, whichever comes first, the preparer signs a C2SP checkpoint of
// the tree and appends it as a `checkpoint` record (at seq == the tree size it signs) in the
// same transaction; once durable it is also appended to the outside checkpoint file when one
// is configured. Close() (and the destructor) checkpoint whatever is not yet covered.
//
// Failure (fail closed): when the store cannot record (disk full, file-size limit, I/O error,
// locked database, failed sync), every append of the batch fails with `unavailable` and the
// cause in the message, and so does every batch prepared on top of it (its sequence numbers
// and chain assumed the failed batch); nothing of them is acknowledged, `append_failures`
// counts them, and the tree state is reloaded from the store before the next batch, so no gap
// and no half-applied batch can result. When the fault clears, appends resume without a
// restart (except after a failed sync, which the SQLite store refuses to continue from until
// it is reopened; see store.h). A failed append's record may still be in the log when its
// commit succeeded and only the sync failed; it was never acknowledged.
//
// Recovery: Open() rebuilds the tree state (compact range, last leaf hash) from what is durable
// with O(log n) reads, repairs a torn tail of the outside checkpoint file and appends to it the
// checkpoints it lacks. No record or leaf hash is kept after its batch completes.
//
// Thread-safety: every public method may be called from any number of threads. Callbacks run
// on a ledger thread (the completer, or the preparer when it committed an idle batch itself), one
// after another: they must be short and must not call Append, AppendBatch, Checkpoint or Close
// (which wait for the ledger's threads); AppendAsync is allowed. The
// Ledger must be destroyed after every call has returned; the store and the signer must outlive
// it. Close() completes every accepted append before it returns.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "ledger/checkpoint.h"
#include "ledger/checkpoint_file.h"
#include "ledger/merkle.h"
#include "ledger/record.h"
#include "store/store.h"

namespace writ::ledger {

struct LedgerOptions {
  std::string origin;  // this node's log name (ValidateOrigin); also the checkpoint key name
  uint64_t checkpoint_every_records = 1000;
  int64_t checkpoint_every_ms = 1000;
  std::string outside_checkpoint_file;  // empty: none
  size_t max_batch_records = 8192;      // upper bound of one group commit
  size_t max_pending_records = 65536;   // accepted and not yet completed (see above)
  // When nothing is being committed or synced, a batch of at most this many records is
  // committed and synced by the preparing thread itself (two thread hand-offs fewer for an
  // append at low load); 0 turns this off, so that every batch goes through the pipeline.
  size_t inline_when_idle_records = 64;
  // Longest a lazy append (AppendLazyAsync) waits for another append to share a commit with.
  int64_t lazy_within_ms = 100;
};

struct AppendReceipt {
  uint64_t seq = 0;
  Digest leaf_hash{};
};

struct LedgerStats {
  uint64_t tree_size = 0;        // records durable in the log
  uint64_t appended = 0;         // records acknowledged since Open
  uint64_t batches = 0;          // store transactions committed and synced since Open
  uint64_t syncs = 0;            // store syncs since Open (one covers several batches)
  uint64_t append_failures = 0;  // appends refused because the store could not record
  uint64_t rejected_full = 0;    // AppendAsync calls refused because the queue was full
  uint64_t checkpoints = 0;      // checkpoints written since Open
  uint64_t checkpoint_file_failures = 0;
  uint64_t pending = 0;    // records accepted and not yet completed, now
  std::string last_error;  // the latest failure's message (no secrets in it)
};

// Called once with the receipt when the record is durable, or with why it is not recorded.
using AppendCallback = std::function<void(Result<AppendReceipt>)>;
using AppendBatchCallback = std::function<void(Result<std::vector<AppendReceipt>>)>;

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(store::LedgerStore& store, const NoteSigner& signer,
                                              const Clock& clock, LedgerOptions options);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Enqueues one record and returns at once. Ok: `done` will be called exactly once, on a
  // ledger thread, with the receipt once the record is durable or with `unavailable` when it
  // could not be recorded (the caller must then deny). Not ok, and `done` is never called:
  // resource_exhausted when max_pending_records are pending, failed_precondition after Close().
  Status AppendAsync(LedgerEntry entry, AppendCallback done);
  // The same for several records, appended atomically (all durable and consecutive, or none);
  // invalid_argument for an empty batch.
  Status AppendBatchAsync(std::vector<LedgerEntry> entries, AppendBatchCallback done);
  // AppendAsync for a record nobody waits on (a forwarded call's outcome): it is not written on
  // its own but with the next append that is not lazy, or once it has waited lazy_within_ms,
  // whichever comes first (and at Close). Under load that is the next group commit; for one
  // client calling back to back, its next decision's. Saves a commit and a sync per record,
  // and keeps the record from holding up the next append's sync.
  Status AppendLazyAsync(LedgerEntry entry, AppendCallback done);

  // Appends one record; returns once it is durable. `unavailable` when it could not be
  // recorded (the caller must then deny); `failed_precondition` after Close(). Waits for room
  // when the queue is full.
  Result<AppendReceipt> Append(LedgerEntry entry);
  // Appends several records atomically (all durable, consecutive, or none).
  Result<std::vector<AppendReceipt>> AppendBatch(std::vector<LedgerEntry> entries);
  // Writes a checkpoint now if records are not yet covered by one; returns when durable.
  Status Checkpoint();
  // Completes every accepted append, checkpoints and stops; later appends fail. Idempotent.
  Status Close();

  LedgerStats Stats() const;
  uint64_t TreeSize() const;  // records durable in the log
  const std::string& origin() const { return options_.origin; }

 private:
  struct Request {
    std::vector<LedgerEntry> entries;
    bool checkpoint_only = false;
    // Exactly one is set (none for the preparer's own checkpoint at Close).
    AppendCallback one;
    AppendBatchCallback many;
    std::function<void(Status)> checkpointed;
    std::vector<AppendReceipt> receipts;
    std::atomic<uint32_t>* wake = nullptr;  // a blocked caller sleeps on it (see wake_words_)
    bool lazy = false;                      // AppendLazyAsync
    int64_t lazy_since_us = 0;              // lazy: when it was queued (MonotonicMicros)
  };
  // Blocked callers sleep on a futex word shared by everything queued between two takes of the
  // preparer, so completing a batch wakes its callers with one system call per take instead of
  // one per caller. Words are reused round-robin; a caller woken for another take sleeps again.
  static constexpr size_t kWakeWords = 64;
  struct alignas(64) WakeWord {
    std::atomic<uint32_t> word{0};
  };
  // One group commit on its way through the pipeline.
  struct Batch {
    uint64_t epoch = 0;  // tree state generation it was prepared on
    store::LedgerBatch data;
    std::vector<std::unique_ptr<Request>> requests;
    uint64_t records = 0;      // appended records, without the checkpoint record
    uint64_t checkpoints = 0;  // checkpoint records in it
    bool committed = false;
    Status status;  // not ok: failed, nothing of it acknowledged
  };

  Ledger(store::LedgerStore& store, const NoteSigner& signer, const Clock& clock,
         LedgerOptions options);
  Status LoadState();
  Status SyncCheckpointFile();
  // `blocking`: the caller waits for room and then for completion on the returned word.
  Result<std::atomic<uint32_t>*> Enqueue(std::unique_ptr<Request> request, bool blocking);
  // One asynchronous append, lazy (AppendLazyAsync) or not.
  Status EnqueueOne(LedgerEntry entry, AppendCallback done, bool lazy);
  void PrepareLoop();
  void CommitLoop();
  void SyncLoop();
  void CompleteLoop();
  // The work of the commit, sync and completion stages, run by whoever holds the stage
  // (committing_, syncing_, completing_): the committer, the syncer and the completer, or the
  // preparer when the pipeline is idle.
  void CommitOne(Batch& batch);
  void SyncGroup(std::vector<std::unique_ptr<Batch>>& group);
  // Runs the callbacks and appends checkpoints to the outside file.
  void CompleteGroup(std::vector<std::unique_ptr<Batch>>& group);
  // Completes synced batches taken off the pipeline, holding the completion stage (called
  // with `lock` on mu_, which it releases meanwhile).
  void CompleteTaken(std::unique_lock<std::mutex>& lock,
                     std::vector<std::unique_ptr<Batch>>& group);
  std::unique_ptr<Batch> Prepare(std::vector<std::unique_ptr<Request>> requests, bool force);
  bool CanMerge(const Batch& waiting, const Batch& next) const;
  void Merge(Batch& into, Batch&& next);
  void Complete(Batch& batch);
  Status CannotRecord(const Status& cause) const;

  store::LedgerStore& store_;
  const NoteSigner& signer_;
  const Clock& clock_;
  LedgerOptions options_;
  std::optional<CheckpointFile> checkpoint_file_;  // the completion stage's after Open

  // Preparer state: the tree as it will be once every prepared batch is committed.
  Sha256Hasher hasher_;
  CompactRange range_;
  Digest last_leaf_{};
  // Records covered by the latest checkpoint, its own record included (its tree size + 1), or
  // 0 before the first checkpoint; records beyond are "uncovered".
  uint64_t covered_size_ = 0;
  int64_t first_uncovered_us_ = 0;  // when the first uncovered record was appended (0: none)
  uint64_t epoch_ = 1;              // bumped at each reload of the tree state

  uint64_t failed_epoch_ = 0;  // commit stage: batches of this epoch are failed without writing
  Status failed_cause_;        // commit stage: why
  bool checkpoint_file_behind_ = false;  // completion stage: an append to the outside file failed

  mutable std::mutex mu_;
  std::condition_variable work_cv_;      // preparer: requests queued, commit slot free, stop
  std::condition_variable room_cv_;      // blocked appenders: pending records went down
  std::condition_variable commit_cv_;    // committer: a prepared batch, or the preparer stopped
  std::condition_variable sync_cv_;      // syncer: committed batches, or the committer stopped
  std::condition_variable complete_cv_;  // completer: synced batches, or the syncer stopped
  std::condition_variable drained_cv_;   // preparer: the pipeline emptied (before a reload)
  std::deque<std::unique_ptr<Request>> queue_;
  size_t eager_queued_ = 0;  // requests in queue_ that are not lazy
  // While the preparer sleeps: when it will wake at the latest (steady microseconds; INT64_MAX
  // when only a notify wakes it); 0 while it is awake.
  int64_t preparer_wake_at_us_ = 0;
  uint64_t takes_ = 0;  // times the preparer took the queue; picks the wake word of a request
  std::array<WakeWord, kWakeWords> wake_words_;
  std::deque<std::unique_ptr<Batch>> commit_queue_;  // at most one prepared batch
  std::deque<std::unique_ptr<Batch>> sync_queue_;
  std::deque<std::unique_ptr<Batch>> complete_queue_;
  size_t in_pipeline_ = 0;  // batches handed to the committer and not yet completed
  uint64_t pending_records_ = 0;
  bool reload_needed_ = false;
  bool stopping_ = false;
  bool preparer_done_ = false;
  bool committer_done_ = false;
  bool syncer_done_ = false;
  bool committing_ = false;  // the commit stage is busy (committer, or preparer inline)
  bool syncing_ = false;     // the sync stage is busy (syncer, or preparer inline)
  bool completing_ = false;  // the completion stage is busy (completer, syncer or preparer)
  bool closed_ = false;
  LedgerStats stats_;
  std::mutex close_mu_;  // serialises Close()
  std::thread preparer_;
  std::thread committer_;
  std::thread syncer_;
  std::thread completer_;
};

}  // namespace writ::ledger
