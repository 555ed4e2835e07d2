// The storage interface for everything Writ keeps.
//
// A Store is one database shared by every part of Writ: ledger records, Merkle nodes and
// checkpoints (LedgerStore), content-addressed blobs such as policy sets and entity snapshots
// (BlobStore), and the tables later parts add (agents, signing keys, tokens, revocations,
// approvals, API keys) through their own interfaces reached from Store.
//
// Two implementations are planned: SQLite (embedded, one file `writ.db` under the data
// directory; see sqlite_store.h) and PostgreSQL (a fleet of Writ nodes sharing one database).
// The interface is shaped for both: every ledger row carries its `origin` (the node's log name),
// each node appends only to its own origin, and queries span all origins unless they name one.
//
// Contract for every method:
//   - An error Status means nothing was changed (writes are atomic) and carries a code:
//     resource_exhausted (disk full, file-size limit), io_error (the OS failed an I/O),
//     unavailable (locked/busy/read-only: retry later), data_loss (the file is corrupt),
//     failed_precondition (the call does not fit the stored state), invalid_argument.
//   - A write that returns ok is durable (synced to stable storage) before it returns.
//   - Thread-safety: a Store and the interfaces it hands out may be used from any number of
//     threads at once; the Store outlives the references it hands out.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "base/status.h"

namespace writ::store {

// One ledger record as stored. `body` is the record's canonical JSON (the bytes the Merkle leaf
// hashes); the other columns are copies of fields inside it, kept for queries.
struct StoredRecord {
  std::string origin;
  uint64_t seq = 0;  // the record's leaf index in its origin's Merkle log
  std::string kind;
  int64_t time_us = 0;
  std::string decision_id;  // empty when the record has none
  std::string task_id;
  std::string principal;
  std::string verdict;
  Digest leaf_hash{};  // SHA-256(0x00 || body)
  std::string body;
};

// A view of a stored record, valid only during the callback that receives it.
struct RecordView {
  uint64_t seq = 0;
  std::string_view leaf_hash;  // 32 bytes unless the row was damaged
  std::string_view body;
};

// Reads one origin's records over one snapshot of the store, by ranges of seq, from one thread
// at a time. Readers opened one after the other see the same records below the smaller of their
// End()s (records are only ever appended), so that ranges can be read in parallel, one reader
// per thread.
class RecordScan {
 public:
  virtual ~RecordScan() = default;
  // One past the largest seq in the snapshot (0 when the origin has no records).
  virtual uint64_t End() const = 0;
  // Calls `fn` for each record with seq in [begin, end), in seq order; stops early when `fn`
  // returns false.
  virtual Status Read(uint64_t begin, uint64_t end,
                      const std::function<bool(const RecordView&)>& fn) = 0;
};

// The hash of a complete Merkle subtree: level L, index i covers leaves [i*2^L, (i+1)*2^L).
struct MerkleNode {
  uint32_t level = 0;
  uint64_t index = 0;
  Digest hash{};
};

struct StoredCheckpoint {
  std::string origin;
  uint64_t tree_size = 0;
  int64_t time_us = 0;
  std::string note;  // the signed note, as published
};

// What one group commit writes, all or nothing.
struct LedgerBatch {
  std::string origin;
  uint64_t first_seq = 0;             // must equal the origin's current record count
  std::vector<StoredRecord> records;  // seqs first_seq, first_seq+1, ...
  std::vector<MerkleNode> nodes;      // subtree hashes completed by these records
  std::vector<StoredCheckpoint> checkpoints;
};

// Filters of a record query; empty/unset members do not filter. Results are ordered by
// (origin, seq), ascending unless `descending`.
struct RecordQuery {
  std::string origin;
  std::optional<uint64_t> seq_from;  // inclusive
  std::optional<uint64_t> seq_to;    // inclusive
  std::string decision_id;
  std::string task_id;
  std::string principal;
  std::string verdict;
  std::string kind;
  std::optional<int64_t> time_from_us;  // inclusive
  std::optional<int64_t> time_to_us;    // exclusive
  size_t limit = 100;
  bool descending = false;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // Appends a batch atomically and durably. failed_precondition when first_seq is not the
  // origin's record count (another writer appended, or the caller's state is stale).
  // Equivalent to CommitBatch followed by SyncCommitted.
  virtual Status AppendBatch(const LedgerBatch& batch) = 0;

  // Group commit in two steps, so that the next batch can be written while the previous ones
  // reach stable storage. CommitBatch appends a batch atomically (same checks as AppendBatch)
  // and makes it visible to readers, but it is durable only once a SyncCommitted() that began
  // after CommitBatch returned has returned ok: a crash before then may or may not keep it
  // (never half of it). One CommitBatch and one SyncCommitted may run at the same time on two
  // threads; calls of the same method are serialised.
  //
  // When SyncCommitted fails (io_error), the batches committed since the last successful sync
  // may or may not survive a crash, and the operating system may already have dropped what it
  // could not write: the store then refuses every later CommitBatch and SyncCommitted (io_error)
  // until it is opened again. What an earlier successful sync covered stays durable.
  // An implementation whose commits are durable by themselves makes SyncCommitted a no-op.
  virtual Status CommitBatch(const LedgerBatch& batch) = 0;
  virtual Status SyncCommitted() = 0;

  // The number of records of `origin` (its Merkle tree size).
  virtual Result<uint64_t> RecordCount(const std::string& origin) = 0;
  // The origins that have records, sorted.
  virtual Result<std::vector<std::string>> Origins() = 0;

  virtual Result<std::optional<StoredRecord>> GetRecord(const std::string& origin,
                                                        uint64_t seq) = 0;
  virtual Result<std::vector<StoredRecord>> QueryRecords(const RecordQuery& query) = 0;

  // Leaf hashes of records [begin, end) of `origin`, in order; data_loss when one is missing.
  virtual Result<std::vector<Digest>> LeafHashes(const std::string& origin, uint64_t begin,
                                                 uint64_t end) = 0;
  // Stored subtree hashes at `level` with indexes [begin, end); data_loss when one is missing.
  virtual Result<std::vector<Digest>> NodeHashes(const std::string& origin, uint32_t level,
                                                 uint64_t begin, uint64_t end) = 0;

  // A reader of `origin`'s records over a snapshot taken now (see RecordScan).
  virtual Result<std::unique_ptr<RecordScan>> OpenRecordScan(const std::string& origin) = 0;
  // Calls `fn` for each record of `origin` with seq >= from_seq in seq order, in one sequential
  // read over a snapshot taken now; stops early when `fn` returns false.
  Status ScanRecords(const std::string& origin, uint64_t from_seq,
                     const std::function<bool(const RecordView&)>& fn) {
    WRIT_ASSIGN_OR_RETURN(std::unique_ptr<RecordScan> scan, OpenRecordScan(origin));
    return scan->Read(from_seq, UINT64_MAX, fn);
  }
  // Calls `fn` for each stored node of `origin` at `level`, by ascending index.
  virtual Status ScanNodes(const std::string& origin, uint32_t level,
                           const std::function<bool(const MerkleNode&)>& fn) = 0;
  // The levels at which `origin` has stored nodes, ascending.
  virtual Result<std::vector<uint32_t>> NodeLevels(const std::string& origin) = 0;

  // Every checkpoint of `origin`, by ascending tree size.
  virtual Result<std::vector<StoredCheckpoint>> Checkpoints(const std::string& origin) = 0;
  virtual Result<std::optional<StoredCheckpoint>> LatestCheckpoint(const std::string& origin) = 0;
};

struct Blob {
  Digest sha256{};
  std::string media_type;  // e.g. "application/cedar", "application/json"
  std::string data;
  int64_t created_us = 0;
};

// Content-addressed blobs: policy sets and entity snapshots that decisions refer to by hash, so
// that a decision can be replayed on exactly the data it was made with.
class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores `data` under its SHA-256 (idempotent: storing the same bytes again is a no-op) and
  // returns that digest.
  virtual Result<Digest> PutBlob(std::string_view media_type, std::string_view data) = 0;
  virtual Result<std::optional<Blob>> GetBlob(const Digest& sha256) = 0;
};

class IdentityStore;  // identity_store.h
class ApiKeyStore;    // api_key_store.h
class ApprovalStore;  // approval_store.h

class Store {
 public:
  virtual ~Store() = default;
  virtual LedgerStore& ledger() = 0;
  virtual BlobStore& blobs() = 0;
  virtual IdentityStore& identity() = 0;   // agents, signing keys, tokens, revocations, secrets
  virtual ApiKeyStore& api_keys() = 0;     // API keys of people and tools (hashed)
  virtual ApprovalStore& approvals() = 0;  // human approvals of held decisions
  // The schema version of the open database.
  virtual Result<int> SchemaVersion() = 0;
};

}  // namespace writ::store
