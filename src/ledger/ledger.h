// The ledger: durable, tamper-evident appends with group commit.
//
// Append() returns only after the record is durable in the store (the store's transaction
// committed with a full sync). Concurrent appends share one transaction and one sync: a single
// writer thread takes everything queued, assigns sequence numbers, chains and hashes the
// records, extends the Merkle tree, and commits the batch — records, completed subtree hashes
// and any due checkpoint — in one store transaction; then it wakes every waiter of the batch.
//
// Checkpoints: every `checkpoint_every_records` records or `checkpoint_every_ms` after the
// first record not yet covered, whichever comes first, the writer signs a C2SP checkpoint of
// the tree and appends it as a `checkpoint` record (at seq == the tree size it signs) in the
// same transaction; it is also appended to the outside checkpoint file when one is configured.
// Close() (and the destructor) checkpoint whatever is not yet covered.
//
// Failure (fail closed): when the store cannot record (disk full, file-size limit, I/O error,
// locked database), Append returns `unavailable` with the cause in the message, nothing of the
// batch is acknowledged, `append_failures` is incremented, and the in-memory tree state is
// reloaded from the store before the next batch, so no gap and no half-applied batch can
// result. When the fault clears, appends resume without a restart.
//
// Recovery: Open() rebuilds the tree state (compact range, last leaf hash) from what is durable
// with O(log n) reads, repairs a torn tail of the outside checkpoint file and appends to it the
// checkpoints it lacks. Memory stays flat: no record or leaf hash is kept after its batch.
//
// Thread-safety: Append, AppendBatch, Checkpoint, Stats and TreeSize may be called from any
// number of threads. The Ledger must be destroyed after every call has returned; the store and
// the signer must outlive it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
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
};

struct AppendReceipt {
  uint64_t seq = 0;
  Digest leaf_hash{};
};

struct LedgerStats {
  uint64_t tree_size = 0;
  uint64_t appended = 0;         // records acknowledged since Open
  uint64_t batches = 0;          // store transactions committed since Open
  uint64_t append_failures = 0;  // appends refused because the store could not record
  uint64_t checkpoints = 0;      // checkpoints written since Open
  uint64_t checkpoint_file_failures = 0;
  std::string last_error;  // the latest failure's message (no secrets in it)
};

class Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(store::LedgerStore& store, const NoteSigner& signer,
                                              const Clock& clock, LedgerOptions options);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Appends one record; returns once it is durable. `unavailable` when it could not be
  // recorded (the caller must then deny); `failed_precondition` after Close().
  Result<AppendReceipt> Append(LedgerEntry entry);
  // Appends several records atomically (all durable, consecutive, or none).
  Result<std::vector<AppendReceipt>> AppendBatch(std::vector<LedgerEntry> entries);
  // Writes a checkpoint now if records are not yet covered by one; returns when durable.
  Status Checkpoint();
  // Checkpoints and stops the writer; later appends fail. Idempotent.
  Status Close();

  LedgerStats Stats() const;
  uint64_t TreeSize() const;
  const std::string& origin() const { return options_.origin; }

 private:
  struct Request {
    std::vector<LedgerEntry> entries;
    bool checkpoint_only = false;
    bool done = false;
    Status status;
    std::vector<AppendReceipt> receipts;
  };

  Ledger(store::LedgerStore& store, const NoteSigner& signer, const Clock& clock,
         LedgerOptions options);
  Status LoadState();
  Status SyncCheckpointFile();
  Status Submit(Request* request);
  void WriterLoop();
  void ProcessBatch(std::vector<Request*>& batch, bool force_checkpoint);

  store::LedgerStore& store_;
  const NoteSigner& signer_;
  const Clock& clock_;
  LedgerOptions options_;
  std::optional<CheckpointFile> checkpoint_file_;

  // Writer-thread state (only the writer touches it after Open).
  Sha256Hasher hasher_;
  CompactRange range_;
  Digest last_leaf_{};
  // Records covered by the latest checkpoint, its own record included (its tree size + 1), or
  // 0 before the first checkpoint; records beyond are "uncovered".
  uint64_t covered_size_ = 0;
  int64_t first_uncovered_us_ = 0;  // when the first uncovered record was appended (0: none)
  bool reload_needed_ = false;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Request*> queue_;
  bool stopping_ = false;
  bool closed_ = false;
  LedgerStats stats_;
  std::thread writer_;
};

}  // namespace writ::ledger
