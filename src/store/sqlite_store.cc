#include "store/sqlite_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "store/sqlite_api_key_store.h"
#include "store/sqlite_approval_store.h"
#include "store/sqlite_identity_store.h"
#include "store/sqlite_schema.h"

namespace writ::store {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Resets a cached statement when it goes out of scope.
class StmtReset {
 public:
  explicit StmtReset(sqlite3_stmt* s) : s_(s) {}
  ~StmtReset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtReset(const StmtReset&) = delete;
  StmtReset& operator=(const StmtReset&) = delete;

 private:
  sqlite3_stmt* s_;
};

Result<StmtPtr> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "preparing a statement");
  return StmtPtr(s);
}

void BindText(sqlite3_stmt* s, int i, const std::string& v, bool null_if_empty) {
  if (null_if_empty && v.empty()) {
    sqlite3_bind_null(s, i);
  } else {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
}

void BindBlob(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

std::string ColumnText(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

std::string_view ColumnBlob(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string_view();
}

// A record's rowid is its origin's number times 2^48 plus its seq (schema version 8), so that
// the records table is ordered by (origin, seq) without an index of its own.
constexpr int64_t kSeqLimit = int64_t{1} << 48;
constexpr int64_t kMaxOriginNumber = 32767;

// SQL for the rowid of record `seq` of the origin numbered `no`, both SQL expressions.
std::string KeySql(const std::string& no, const std::string& seq) {
  return "((" + no + ") * " + std::to_string(kSeqLimit) + " + " + seq + ")";
}

// SQL for the rowid of record `seq` of `origin`, both SQL expressions; NULL (matching nothing)
// when the origin has no number yet.
std::string RecordKeySql(const std::string& origin, const std::string& seq) {
  return KeySql("SELECT no FROM ledger_origins WHERE origin = " + origin, seq);
}

// The postings value under which a decision id's records are listed: for a UUIDv7-shaped id
// (36 ASCII characters, hyphens at 8, 13, 18 and 23, version 7) its first 13 characters, the
// millisecond it was made in; for any other id, the id. The ids of one millisecond share a row
// per fill, so that a fill writes a few rows rather than one per decision; a lookup reads the
// listed records and keeps those of its id. Schema version 9 computes the same in SQL.
std::string_view DecisionBucket(std::string_view id) {
  bool v7 = id.size() == 36 && id[8] == '-' && id[13] == '-' && id[14] == '7' && id[18] == '-' &&
            id[23] == '-' &&
            std::all_of(id.begin(), id.end(), [](char c) { return (c & 0x80) == 0; });
  return v7 ? id.substr(0, 13) : id;
}

bool ToDigest(std::string_view bytes, Digest* out) {
  if (bytes.size() != kSha256Size) return false;
  std::memcpy(out->data(), bytes.data(), kSha256Size);
  return true;
}

constexpr const char* kRecordColumns =
    "SELECT r.origin, r.seq, r.kind, r.time_us, r.decision_id, r.task_id, r.principal, "
    "r.verdict, r.leaf_hash, r.body";

// The conditions of a record query on the columns of `r`, with named parameters (BindQuery).
std::string QueryFilters(const RecordQuery& q) {
  std::string filters;
  if (!q.origin.empty()) filters += " AND r.origin = :origin";
  if (q.seq_from) filters += " AND r.seq >= :seq_from";
  if (q.seq_to) filters += " AND r.seq <= :seq_to";
  if (!q.decision_id.empty()) filters += " AND r.decision_id = :decision_id";
  if (!q.task_id.empty()) filters += " AND r.task_id = :task_id";
  if (!q.principal.empty()) filters += " AND r.principal = :principal";
  if (!q.verdict.empty()) filters += " AND r.verdict = :verdict";
  if (!q.kind.empty()) filters += " AND r.kind = :kind";
  if (q.time_from_us) filters += " AND r.time_us >= :time_from";
  if (q.time_to_us) filters += " AND r.time_us < :time_to";
  return filters;
}

// (origin, seq) order, as `o.origin` (the origin's row) and `r.id` (the record's key).
std::string QueryOrder(const RecordQuery& q) {
  std::string dir = q.descending ? " DESC" : "";
  return " ORDER BY o.origin" + dir + ", r.id" + dir + " LIMIT :limit";
}

Result<DbPtr> OpenConnection(const std::string& path, const SqliteOptions& o, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    if (!create && (rc & 0xff) == SQLITE_CANTOPEN) {
      return NotFound("store: no database at " + path);
    }
    return SqliteError(db.get(), rc, "opening the database");
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), o.busy_timeout_ms);
  // page_size only takes effect on a database not yet written, so it comes before the switch
  // to WAL (which writes the header).
  std::string pragmas = "PRAGMA page_size=" + std::to_string(o.page_size) +
                        "; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=" +
                        std::to_string(o.wal_checkpoint_pages) + ";";
  rc = sqlite3_exec(db.get(), pragmas.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "configuring the database");
  return db;
}

// A file descriptor closed when it goes out of scope.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileHandle& operator=(FileHandle&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~FileHandle() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A reader of one origin's records in a read transaction of its own connection (the snapshot),
// memory-mapped: measured 8% of verify time spent copying pages out of the kernel without.
class SqliteRecordScan final : public RecordScan {
 public:
  static Result<std::unique_ptr<RecordScan>> Open(const std::string& path,
                                                  const SqliteOptions& options,
                                                  const std::string& origin) {
    WRIT_ASSIGN_OR_RETURN(DbPtr db, OpenConnection(path, options, false));
    // A small page cache: a scan reads each page once, and the pages it cannot map (SQLite maps
    // at most 2 GiB of the file) are read into cache buffers; 256 KiB of them stay in the core's
    // L2 cache. With SQLite's default 2 MiB, `writ ledger verify` ran 7-8% slower.
    sqlite3_exec(db.get(), "PRAGMA mmap_size=4294967296; PRAGMA cache_size=-256", nullptr, nullptr,
                 nullptr);
    auto scan = std::unique_ptr<SqliteRecordScan>(new SqliteRecordScan(std::move(db)));
    WRIT_RETURN_IF_ERROR(scan->Begin(origin));
    return std::unique_ptr<RecordScan>(std::move(scan));
  }
  ~SqliteRecordScan() override {
    range_.reset();
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  uint64_t End() const override { return end_; }

  Status Read(uint64_t begin, uint64_t end,
              const std::function<bool(const RecordView&)>& fn) override {
    end = std::min<uint64_t>(end, end_);
    if (begin >= end) return Status::Ok();
    sqlite3_stmt* s = range_.get();
    StmtReset reset(s);
    sqlite3_bind_int64(s, 1, base_ + static_cast<int64_t>(begin));
    sqlite3_bind_int64(s, 2, base_ + static_cast<int64_t>(end));
    int rc;
    RecordView v;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      v.seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
      v.leaf_hash = ColumnBlob(s, 1);
      v.body = ColumnBlob(s, 2);
      if (!fn(v)) return Status::Ok();
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "scanning records");
    return Status::Ok();
  }

 private:
  explicit SqliteRecordScan(DbPtr db) : db_(std::move(db)) {}

  // Starts the read transaction: its first read fixes the snapshot.
  Status Begin(const std::string& origin) {
    int rc = sqlite3_exec(db_.get(), "BEGIN", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "starting a read");
    WRIT_ASSIGN_OR_RETURN(StmtPtr no, Prepare(db_.get(),
                                              "SELECT no FROM ledger_origins WHERE "
                                              "origin = ?"));
    BindText(no.get(), 1, origin, false);
    rc = sqlite3_step(no.get());
    if (rc == SQLITE_DONE) return Status::Ok();  // no records yet
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "finding the origin");
    base_ = sqlite3_column_int64(no.get(), 0) * kSeqLimit;
    WRIT_ASSIGN_OR_RETURN(StmtPtr last, Prepare(db_.get(),
                                                "SELECT id FROM ledger_records WHERE id >= ? AND "
                                                "id < ? ORDER BY id DESC LIMIT 1"));
    sqlite3_bind_int64(last.get(), 1, base_);
    sqlite3_bind_int64(last.get(), 2, base_ + kSeqLimit);
    rc = sqlite3_step(last.get());
    if (rc == SQLITE_ROW)
      end_ = static_cast<uint64_t>(sqlite3_column_int64(last.get(), 0) - base_) + 1;
    else if (rc != SQLITE_DONE)
      return SqliteError(db_.get(), rc, "finding the last record");
    WRIT_ASSIGN_OR_RETURN(range_, Prepare(db_.get(),
                                          "SELECT seq, leaf_hash, body FROM "
                                          "ledger_records WHERE id >= ? AND id < ? "
                                          "ORDER BY id"));
    return Status::Ok();
  }

  DbPtr db_;
  StmtPtr range_;
  int64_t base_ = 0;  // the key of the origin's seq 0
  uint64_t end_ = 0;
};

class SqliteLedgerStore final : public LedgerStore {
 public:
  SqliteLedgerStore(std::string path, SqliteOptions options)
      : path_(std::move(path)), options_(std::move(options)) {}
  ~SqliteLedgerStore() override { StopCheckpointer(); }

  Status Init(DbPtr writer, DbPtr reader) {
    writer_ = std::move(writer);
    reader_ = std::move(reader);
    if (!options_.read_only) {
      // The writer commits without syncing; SyncCommitted() syncs the WAL for every batch
      // committed before it (see sqlite_store.h). Its page cache holds the indexes' hot pages.
      std::string pragmas = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-" +
                            std::to_string(options_.ledger_cache_kib) + ";";
      int rc = sqlite3_exec(writer_.get(), pragmas.c_str(), nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return SqliteError(writer_.get(), rc, "configuring the ledger writer");
      const char* wal = sqlite3_filename_wal(sqlite3_db_filename(writer_.get(), "main"));
      wal_path_ = wal != nullptr ? wal : path_ + "-wal";
      // The hook replaces SQLite's automatic checkpoint on this connection: checkpoints run on
      // the checkpointer thread instead of the committing one.
      sqlite3_wal_hook(writer_.get(), &SqliteLedgerStore::WalHook, this);
      restart_at_frames_ = options_.wal_restart_pages;
      checkpoint_at_frames_ = options_.wal_checkpoint_pages;
      WRIT_ASSIGN_OR_RETURN(checkpoint_db_, OpenConnection(path_, options_, false));
      checkpointer_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "wal-checkpoint");
        CheckpointLoop();
      });
      WRIT_ASSIGN_OR_RETURN(insert_record_,
                            Prepare(writer_.get(),
                                    "INSERT INTO ledger_records(origin, seq, kind, time_us, "
                                    "decision_id, task_id, principal, verdict, leaf_hash, body, "
                                    "id) VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
      WRIT_ASSIGN_OR_RETURN(
          insert_node_,
          Prepare(writer_.get(),
                  "INSERT INTO ledger_nodes(origin, level, idx, hash) VALUES(?,?,?,?)"));
      WRIT_ASSIGN_OR_RETURN(insert_checkpoint_,
                            Prepare(writer_.get(),
                                    "INSERT INTO ledger_checkpoints(origin, tree_size, time_us, "
                                    "note) VALUES(?,?,?,?)"));
      // The last rowid of an origin's range, given its first and the next origin's.
      WRIT_ASSIGN_OR_RETURN(writer_last_, Prepare(writer_.get(),
                                                  "SELECT id FROM ledger_records WHERE id >= ? "
                                                  "AND id < ? ORDER BY id DESC LIMIT 1"));
      WRIT_ASSIGN_OR_RETURN(
          origin_number_get_,
          Prepare(writer_.get(), "SELECT no FROM ledger_origins WHERE origin = ?"));
      WRIT_ASSIGN_OR_RETURN(
          origin_number_add_,
          Prepare(writer_.get(), "INSERT INTO ledger_origins(origin) VALUES(?) RETURNING no"));
      // Records committed before this process's first commit of an origin are read back.
      WRIT_ASSIGN_OR_RETURN(lookup_read_back_,
                            Prepare(writer_.get(),
                                    "SELECT seq, task_id, principal, time_us, decision_id FROM "
                                    "ledger_records WHERE id >= ? AND id < ? ORDER BY id"));
      WRIT_ASSIGN_OR_RETURN(lookup_insert_,
                            Prepare(writer_.get(),
                                    "INSERT OR REPLACE INTO ledger_postings(field, value, origin, "
                                    "from_seq, seqs) VALUES(?, ?, ?, ?, ?)"));
      WRIT_ASSIGN_OR_RETURN(recent_insert_,
                            Prepare(writer_.get(),
                                    "INSERT OR REPLACE INTO ledger_postings_recent(field, value, "
                                    "origin, from_seq, seqs) VALUES(?, ?, ?, ?, ?)"));
      WRIT_ASSIGN_OR_RETURN(recent_read_,
                            Prepare(writer_.get(),
                                    "SELECT from_seq, field, value, seqs FROM "
                                    "ledger_postings_recent WHERE origin = ? ORDER BY from_seq"));
      WRIT_ASSIGN_OR_RETURN(
          recent_count_,
          Prepare(writer_.get(),
                  "SELECT count(DISTINCT from_seq) FROM ledger_postings_recent WHERE origin = ?"));
      WRIT_ASSIGN_OR_RETURN(
          recent_delete_,
          Prepare(writer_.get(), "DELETE FROM ledger_postings_recent WHERE origin = ?"));
      WRIT_ASSIGN_OR_RETURN(time_block_insert_,
                            Prepare(writer_.get(),
                                    "INSERT OR REPLACE INTO ledger_time_blocks(origin, from_seq, "
                                    "to_seq, min_time_us, max_time_us) VALUES(?, ?, ?, ?, ?)"));
      WRIT_ASSIGN_OR_RETURN(
          lookup_done_get_,
          Prepare(writer_.get(),
                  "SELECT below, decisions_below FROM ledger_lookup_done WHERE origin = ?"));
      WRIT_ASSIGN_OR_RETURN(
          lookup_done_set_,
          Prepare(writer_.get(),
                  "INSERT INTO ledger_lookup_done(origin, below, decisions_below) VALUES(?, ?, ?) "
                  "ON CONFLICT(origin) DO UPDATE SET below = excluded.below, decisions_below = "
                  "excluded.decisions_below"));
    }
    WRIT_ASSIGN_OR_RETURN(
        count_,
        Prepare(reader_.get(), "SELECT id + 1 - " + RecordKeySql("?1", "0") +
                                   " FROM ledger_records WHERE id >= " + RecordKeySql("?1", "0") +
                                   " AND id < " + RecordKeySql("?1", std::to_string(kSeqLimit)) +
                                   " ORDER BY id DESC LIMIT 1"));
    WRIT_ASSIGN_OR_RETURN(
        leaf_hashes_,
        Prepare(reader_.get(), "SELECT seq, leaf_hash FROM ledger_records WHERE id >= " +
                                   RecordKeySql("?1", "?2") + " AND id < " +
                                   RecordKeySql("?1", "?3") + " ORDER BY id"));
    WRIT_ASSIGN_OR_RETURN(node_hashes_,
                          Prepare(reader_.get(),
                                  "SELECT idx, hash FROM ledger_nodes WHERE origin = ? AND "
                                  "level = ? AND idx >= ? AND idx < ? ORDER BY idx"));
    return Status::Ok();
  }

  Status AppendBatch(const LedgerBatch& b) override {
    WRIT_RETURN_IF_ERROR(CommitBatch(b));
    return SyncCommitted();
  }

  Status CommitBatch(const LedgerBatch& b) override {
    if (options_.read_only) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(write_mu_);
    if (sync_failed_.load()) return SyncFailedError();
    sqlite3* db = writer_.get();
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, "starting a ledger write");
    Result<int64_t> base = WriteBatch(b);
    Status s = base.status();
    bool values_filled = false, decisions_filled = false;
    if (s.ok()) s = UpdateLookup(b, *base, &values_filled, &decisions_filled);
    if (s.ok()) {
      rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) s = SqliteError(db, rc, "committing a ledger write");
    }
    if (!s.ok() && !sqlite3_get_autocommit(db)) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    if (s.ok()) {
      origin_base_[b.origin] = *base;
      LookupState& st = lookup_[b.origin];
      st.stored = true;
      uint64_t end = b.first_seq + b.records.size();
      auto filled = [end](FillState& f) {
        f = FillState();
        f.below = f.held_from = end;
      };
      if (values_filled) filled(st.values);
      if (decisions_filled) filled(st.decisions);
      MaybeRestartWal();
    } else {
      // Forget what was held: the next commit reads the state back and the records since
      // `below` from the database.
      lookup_.erase(b.origin);
      origin_base_.erase(b.origin);
    }
    return s;
  }

  Status SyncCommitted() override {
    if (options_.read_only) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(sync_mu_);
    if (sync_failed_.load()) return SyncFailedError();
    // Our own descriptor of the WAL file: on Linux, fdatasync writes back every page of the
    // file, whichever descriptor wrote it, so this covers each commit that returned before.
    // The WAL is only ever replaced when every connection has closed it, which cannot happen
    // while the writer is open; the inode check costs one stat per sync.
    struct stat by_path, by_fd;
    if (wal_fd_.get() < 0 || ::stat(wal_path_.c_str(), &by_path) != 0 ||
        ::fstat(wal_fd_.get(), &by_fd) != 0 || by_path.st_ino != by_fd.st_ino ||
        by_path.st_dev != by_fd.st_dev) {
      wal_fd_ = FileHandle(::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (wal_fd_.get() < 0) {
        return IoError("store: cannot open the WAL " + wal_path_ +
                       " to sync it: " + std::strerror(errno));
      }
    }
    int rc;
    do {
      rc = ::fdatasync(wal_fd_.get());
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      sync_error_ = std::strerror(errno);
      sync_failed_.store(true);
      return SyncFailedError();
    }
    return Status::Ok();
  }

  Result<uint64_t> RecordCount(const std::string& origin) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    sqlite3_stmt* s = count_.get();
    StmtReset reset(s);
    BindText(s, 1, origin, false);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return uint64_t{0};
    if (rc != SQLITE_ROW) return SqliteError(reader_.get(), rc, "counting records");
    return static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  }

  Result<std::vector<std::string>> Origins() override {
    std::lock_guard<std::mutex> lock(read_mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, Prepare(reader_.get(),
                           "SELECT o.origin FROM ledger_origins o WHERE EXISTS (SELECT 1 "
                           "FROM ledger_records r WHERE r.id >= " +
                               KeySql("o.no", "0") + " AND r.id < " + KeySql("o.no + 1", "0") +
                               ") ORDER BY o.origin"));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(ColumnText(s.get(), 0));
    if (rc != SQLITE_DONE) return SqliteError(reader_.get(), rc, "listing origins");
    return out;
  }

  Result<std::optional<StoredRecord>> GetRecord(const std::string& origin, uint64_t seq) override {
    RecordQuery q;
    q.origin = origin;
    q.seq_from = seq;
    q.seq_to = seq;
    q.limit = 1;
    WRIT_ASSIGN_OR_RETURN(auto rows, QueryRecords(q));
    if (rows.empty()) return std::optional<StoredRecord>();
    return std::optional<StoredRecord>(std::move(rows.front()));
  }

  Result<std::vector<StoredRecord>> QueryRecords(const RecordQuery& q) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    // A decision, task or principal is found through the postings table for the records it
    // covers (seq < below of their origin) and by reading the rest, the tail of each log.
    int field = !q.decision_id.empty() ? 1 : !q.task_id.empty() ? 2 : !q.principal.empty() ? 3 : 0;
    if (field != 0) return QueryByPostings(q, field, QueryFilters(q), QueryOrder(q));
    WRIT_ASSIGN_OR_RETURN(StmtPtr st, Prepare(reader_.get(), LedgerQuerySql(q)));
    BindQuery(st.get(), q);
    std::vector<StoredRecord> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.push_back(RecordRow(st.get()));
    if (rc != SQLITE_DONE) return SqliteError(reader_.get(), rc, "querying records");
    return out;
  }

  Result<std::vector<Digest>> LeafHashes(const std::string& origin, uint64_t begin,
                                         uint64_t end) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    return ReadHashes(leaf_hashes_.get(), origin, -1, begin, end, "leaf hash");
  }

  Result<std::vector<Digest>> NodeHashes(const std::string& origin, uint32_t level, uint64_t begin,
                                         uint64_t end) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    return ReadHashes(node_hashes_.get(), origin, static_cast<int>(level), begin, end,
                      "Merkle node");
  }

  Result<std::unique_ptr<RecordScan>> OpenRecordScan(const std::string& origin) override {
    return SqliteRecordScan::Open(path_, options_, origin);
  }

  Status ScanNodes(const std::string& origin, uint32_t level,
                   const std::function<bool(const MerkleNode&)>& fn) override {
    WRIT_ASSIGN_OR_RETURN(DbPtr db, OpenConnection(path_, options_, false));
    WRIT_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db.get(),
                                              "SELECT idx, hash FROM ledger_nodes WHERE origin "
                                              "= ? AND level = ? ORDER BY idx"));
    sqlite3_stmt* s = st.get();
    BindText(s, 1, origin, false);
    sqlite3_bind_int(s, 2, static_cast<int>(level));
    int rc;
    MerkleNode n;
    n.level = level;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      n.index = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
      if (!ToDigest(ColumnBlob(s, 1), &n.hash)) n.hash.fill(0);
      if (!fn(n)) return Status::Ok();
    }
    if (rc != SQLITE_DONE) return SqliteError(db.get(), rc, "scanning Merkle nodes");
    return Status::Ok();
  }

  Result<std::vector<uint32_t>> NodeLevels(const std::string& origin) override {
    std::lock_guard<std::mutex> lock(read_mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr st,
                          Prepare(reader_.get(),
                                  "SELECT DISTINCT level FROM ledger_nodes WHERE origin = ? "
                                  "ORDER BY level"));
    BindText(st.get(), 1, origin, false);
    std::vector<uint32_t> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      out.push_back(static_cast<uint32_t>(sqlite3_column_int(st.get(), 0)));
    }
    if (rc != SQLITE_DONE) return SqliteError(reader_.get(), rc, "listing node levels");
    return out;
  }

  Result<std::vector<StoredCheckpoint>> Checkpoints(const std::string& origin) override {
    return ReadCheckpoints(origin, false);
  }

  Result<std::optional<StoredCheckpoint>> LatestCheckpoint(const std::string& origin) override {
    WRIT_ASSIGN_OR_RETURN(auto all, ReadCheckpoints(origin, true));
    if (all.empty()) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(std::move(all.front()));
  }

 private:
  // The first rowid of the origin's range, numbering the origin if it has no number yet (in the
  // caller's transaction: the number is kept in origin_base_ once it commits).
  Result<int64_t> OriginBase(const std::string& origin) {
    auto known = origin_base_.find(origin);
    if (known != origin_base_.end()) return known->second;
    sqlite3* db = writer_.get();
    int64_t number = 0;
    {
      sqlite3_stmt* s = origin_number_get_.get();
      StmtReset reset(s);
      BindText(s, 1, origin, false);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) number = sqlite3_column_int64(s, 0);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(db, rc, "reading origins");
    }
    if (number == 0) {
      sqlite3_stmt* s = origin_number_add_.get();
      StmtReset reset(s);
      BindText(s, 1, origin, false);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_ROW) return SqliteError(db, rc, "numbering an origin");
      number = sqlite3_column_int64(s, 0);
    }
    if (number < 1 || number > kMaxOriginNumber) {
      return Status(StatusCode::kResourceExhausted,
                    "store: this store holds the logs of " + std::to_string(kMaxOriginNumber) +
                        " origins, the most it can; " + origin + " cannot be added");
    }
    return number * kSeqLimit;
  }

  // Writes the batch's records, nodes and checkpoints; returns the first rowid of its origin.
  Result<int64_t> WriteBatch(const LedgerBatch& b) {
    sqlite3* db = writer_.get();
    WRIT_ASSIGN_OR_RETURN(int64_t base, OriginBase(b.origin));
    if (b.first_seq + b.records.size() > static_cast<uint64_t>(kSeqLimit)) {
      return Status(StatusCode::kResourceExhausted,
                    "store: the log of " + b.origin + " has reached its most records (2^48)");
    }
    {
      sqlite3_stmt* s = writer_last_.get();
      StmtReset reset(s);
      sqlite3_bind_int64(s, 1, base);
      sqlite3_bind_int64(s, 2, base + kSeqLimit);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(db, rc, "counting records");
      uint64_t count =
          rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(s, 0) - base + 1) : 0;
      if (count != b.first_seq) {
        return FailedPrecondition("store: batch starts at seq " + std::to_string(b.first_seq) +
                                  " but the log of " + b.origin + " holds " +
                                  std::to_string(count) + " records");
      }
    }
    sqlite3_stmt* s = insert_record_.get();
    for (size_t i = 0; i < b.records.size(); ++i) {
      const StoredRecord& r = b.records[i];
      if (r.origin != b.origin || r.seq != b.first_seq + i) {
        return InvalidArgument("store: batch records are not consecutive in one origin");
      }
      StmtReset reset(s);
      BindText(s, 1, r.origin, false);
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(r.seq));
      BindText(s, 3, r.kind, false);
      sqlite3_bind_int64(s, 4, r.time_us);
      BindText(s, 5, r.decision_id, true);
      BindText(s, 6, r.task_id, true);
      BindText(s, 7, r.principal, true);
      BindText(s, 8, r.verdict, true);
      BindBlob(s, 9, DigestBytes(r.leaf_hash));
      BindBlob(s, 10, r.body);
      sqlite3_bind_int64(s, 11, base + static_cast<int64_t>(r.seq));
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return SqliteError(db, rc, "inserting a record");
    }
    s = insert_node_.get();
    for (const MerkleNode& n : b.nodes) {
      StmtReset reset(s);
      BindText(s, 1, b.origin, false);
      sqlite3_bind_int(s, 2, static_cast<int>(n.level));
      sqlite3_bind_int64(s, 3, static_cast<int64_t>(n.index));
      BindBlob(s, 4, DigestBytes(n.hash));
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return SqliteError(db, rc, "inserting a Merkle node");
    }
    s = insert_checkpoint_.get();
    for (const StoredCheckpoint& c : b.checkpoints) {
      StmtReset reset(s);
      BindText(s, 1, b.origin, false);
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(c.tree_size));
      sqlite3_bind_int64(s, 3, c.time_us);
      BindText(s, 4, c.note, false);
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return SqliteError(db, rc, "inserting a checkpoint");
    }
    return base;
  }

  static StoredRecord RecordRow(sqlite3_stmt* s) {
    StoredRecord r;
    r.origin = ColumnText(s, 0);
    r.seq = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    r.kind = ColumnText(s, 2);
    r.time_us = sqlite3_column_int64(s, 3);
    r.decision_id = ColumnText(s, 4);
    r.task_id = ColumnText(s, 5);
    r.principal = ColumnText(s, 6);
    r.verdict = ColumnText(s, 7);
    ToDigest(ColumnBlob(s, 8), &r.leaf_hash);
    r.body = std::string(ColumnBlob(s, 9));
    return r;
  }

  // Binds the query's filters to the named parameters the statement has.
  static void BindQuery(sqlite3_stmt* s, const RecordQuery& q) {
    auto bind_text = [&](const char* name, const std::string& v) {
      int i = sqlite3_bind_parameter_index(s, name);
      if (i > 0) BindText(s, i, v, false);
    };
    auto bind_int = [&](const char* name, int64_t v) {
      int i = sqlite3_bind_parameter_index(s, name);
      if (i > 0) sqlite3_bind_int64(s, i, v);
    };
    bind_text(":origin", q.origin);
    if (q.seq_from) bind_int(":seq_from", static_cast<int64_t>(*q.seq_from));
    if (q.seq_to) bind_int(":seq_to", static_cast<int64_t>(*q.seq_to));
    bind_text(":decision_id", q.decision_id);
    bind_text(":task_id", q.task_id);
    bind_text(":principal", q.principal);
    bind_text(":verdict", q.verdict);
    bind_text(":kind", q.kind);
    if (q.time_from_us) bind_int(":time_from", *q.time_from_us);
    if (q.time_to_us) bind_int(":time_to", *q.time_to_us);
    bind_int(":seq_lo",
             q.seq_from ? static_cast<int64_t>(std::min<uint64_t>(*q.seq_from, kSeqLimit)) : 0);
    bind_int(":seq_hi", q.seq_to
                            ? static_cast<int64_t>(std::min<uint64_t>(*q.seq_to, kSeqLimit - 1))
                            : kSeqLimit - 1);
    bind_int(":limit", static_cast<int64_t>(q.limit));
  }

  // Parses a postings row's offsets ("0,3,17") into seqs from `from`.
  static bool ParseOffsets(std::string_view text, uint64_t from, std::vector<uint64_t>* out) {
    size_t i = 0;
    while (i < text.size()) {
      uint64_t v = 0;
      size_t start = i;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 18) {
        v = v * 10 + static_cast<uint64_t>(text[i] - '0');
        ++i;
      }
      if (i == start || (i < text.size() && text[i] != ',') || i + 1 == text.size()) return false;
      if (i < text.size()) ++i;
      out->push_back(from + v);
    }
    return !text.empty();
  }

  // Records of one task or principal: the postings give the seqs under each log's `below`, which
  // are fetched one by one with the other filters; the records from `below` on are read with
  // the filters directly. Both come in (origin, seq) order and are merged. One read transaction
  // covers all of it, so that a fill committed meanwhile cannot move `below` between them.
  // Called with read_mu_ held.
  Result<std::vector<StoredRecord>> QueryByPostings(const RecordQuery& q, int field,
                                                    const std::string& filters,
                                                    const std::string& order) {
    sqlite3* db = reader_.get();
    int rc = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, "starting a read");
    struct EndRead {
      sqlite3* db;
      ~EndRead() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
    } end_read{db};

    // The posted seqs of the value, one row at a time: the rows of an origin, merged ones and
    // recent fills alike, cover consecutive, disjoint ranges of seqs, so reading them in
    // (origin, from_seq) order — reversed for a descending query — gives every key in order
    // with one row in memory.
    std::string dir = q.descending ? " DESC" : "";
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr postings,
        Prepare(db,
                "SELECT origin, from_seq, seqs FROM ledger_postings WHERE field = ?1 AND "
                "value = ?2 AND (?3 = '' OR origin = ?3) UNION ALL SELECT origin, from_seq, "
                "seqs FROM ledger_postings_recent WHERE field = ?1 AND value = ?2 AND (?3 = '' "
                "OR origin = ?3) ORDER BY origin" +
                    dir + ", from_seq" + dir));
    sqlite3_bind_int(postings.get(), 1, field);
    std::string value = field == 1   ? std::string(DecisionBucket(q.decision_id))
                        : field == 2 ? q.task_id
                                     : q.principal;
    BindText(postings.get(), 2, value, false);
    BindText(postings.get(), 3, q.origin, false);
    std::string key_origin_text;     // the origin of the row being read
    std::vector<uint64_t> row_seqs;  // its seqs, in the query's order
    size_t row_next = 0;
    bool postings_done = false;
    uint64_t previous_edge = 0;  // the last seq of the previous row of the same origin
    // Advances to the next posted key within the query's seq range; false when none is left.
    auto next_key = [&]() -> Result<bool> {
      for (;;) {
        for (; row_next < row_seqs.size(); ++row_next) {
          uint64_t seq = row_seqs[row_next];
          if ((q.seq_from && seq < *q.seq_from) || (q.seq_to && seq > *q.seq_to)) continue;
          return true;
        }
        if (postings_done) return false;
        int r = sqlite3_step(postings.get());
        if (r == SQLITE_DONE) {
          postings_done = true;
          row_seqs.clear();
          continue;
        }
        if (r != SQLITE_ROW) return SqliteError(db, r, "reading the lookup table");
        std::string origin = ColumnText(postings.get(), 0);
        auto from = static_cast<uint64_t>(sqlite3_column_int64(postings.get(), 1));
        row_seqs.clear();
        row_next = 0;
        bool parsed = ParseOffsets(ColumnText(postings.get(), 2), from, &row_seqs);
        // Rows converted from schema 5 may list their seqs in any order.
        std::sort(row_seqs.begin(), row_seqs.end());
        if (q.descending) std::reverse(row_seqs.begin(), row_seqs.end());
        bool same_origin = origin == key_origin_text;
        bool in_order =
            parsed && std::adjacent_find(row_seqs.begin(), row_seqs.end()) == row_seqs.end() &&
            (!same_origin ||
             (q.descending ? row_seqs.front() < previous_edge : row_seqs.front() > previous_edge));
        if (!in_order) {
          return DataLoss("store: a lookup row of " + origin + " from seq " + std::to_string(from) +
                          " is damaged");
        }
        key_origin_text = std::move(origin);
        previous_edge = row_seqs.back();
      }
    };

    WRIT_ASSIGN_OR_RETURN(
        StmtPtr tail,
        Prepare(db, std::string(kRecordColumns) +
                        " FROM ledger_lookup_done d CROSS JOIN ledger_origins o "
                        "ON o.origin = d.origin CROSS JOIN ledger_records r NOT "
                        "INDEXED ON r.id >= " +
                        KeySql("o.no", field == 1 ? "d.decisions_below" : "d.below") +
                        " AND r.id < " + KeySql("o.no + 1", "0") + " WHERE 1" + filters + order));
    BindQuery(tail.get(), q);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr one,
        Prepare(db, std::string(kRecordColumns) + " FROM ledger_records r WHERE r.id = " +
                        RecordKeySql(":key_origin", ":key_seq") + filters));
    BindQuery(one.get(), q);
    int key_origin = sqlite3_bind_parameter_index(one.get(), ":key_origin");
    int key_seq = sqlite3_bind_parameter_index(one.get(), ":key_seq");

    std::vector<StoredRecord> out;
    std::optional<StoredRecord> next_tail;
    auto step_tail = [&]() -> Status {
      next_tail.reset();
      int r = sqlite3_step(tail.get());
      if (r == SQLITE_ROW) next_tail = RecordRow(tail.get());
      if (r != SQLITE_ROW && r != SQLITE_DONE) return SqliteError(db, r, "querying records");
      return Status::Ok();
    };
    WRIT_RETURN_IF_ERROR(step_tail());
    WRIT_ASSIGN_OR_RETURN(bool has_key, next_key());
    while (out.size() < q.limit) {
      bool take_key = false;
      uint64_t seq = has_key ? row_seqs[row_next] : 0;
      if (has_key) {
        if (!next_tail) {
          take_key = true;
        } else {
          int c = key_origin_text.compare(next_tail->origin);
          bool before = c < 0 || (c == 0 && seq < next_tail->seq);
          take_key = q.descending ? !before : before;
        }
      }
      if (take_key) {
        sqlite3_stmt* s = one.get();
        sqlite3_reset(s);
        BindText(s, key_origin, key_origin_text, false);
        sqlite3_bind_int64(s, key_seq, static_cast<int64_t>(seq));
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
          out.push_back(RecordRow(s));
        } else if (rc != SQLITE_DONE) {
          return SqliteError(db, rc, "querying records");
        }
        ++row_next;
        WRIT_ASSIGN_OR_RETURN(has_key, next_key());
      } else if (next_tail) {
        out.push_back(std::move(*next_tail));
        WRIT_RETURN_IF_ERROR(step_tail());
      } else {
        break;
      }
    }
    return out;
  }

  Result<std::vector<Digest>> ReadHashes(sqlite3_stmt* s, const std::string& origin, int level,
                                         uint64_t begin, uint64_t end, const char* what) {
    StmtReset reset(s);
    int i = 1;
    BindText(s, i++, origin, false);
    if (level >= 0) sqlite3_bind_int(s, i++, level);
    sqlite3_bind_int64(s, i++, static_cast<int64_t>(begin));
    sqlite3_bind_int64(s, i++, static_cast<int64_t>(end));
    std::vector<Digest> out;
    out.reserve(end > begin ? end - begin : 0);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      auto idx = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
      Digest d;
      if (idx != begin + out.size() || !ToDigest(ColumnBlob(s, 1), &d)) {
        return DataLoss(std::string("store: ") + what + " " + std::to_string(begin + out.size()) +
                        " of " + origin + " is missing or damaged");
      }
      out.push_back(d);
    }
    if (rc != SQLITE_DONE) return SqliteError(reader_.get(), rc, "reading hashes");
    if (out.size() != end - begin) {
      return DataLoss(std::string("store: ") + what + " " + std::to_string(begin + out.size()) +
                      " of " + origin + " is missing");
    }
    return out;
  }

  Result<std::vector<StoredCheckpoint>> ReadCheckpoints(const std::string& origin, bool latest) {
    std::lock_guard<std::mutex> lock(read_mu_);
    std::string sql =
        "SELECT origin, tree_size, time_us, note FROM ledger_checkpoints WHERE origin = ? ORDER "
        "BY tree_size";
    if (latest) sql += " DESC LIMIT 1";
    WRIT_ASSIGN_OR_RETURN(StmtPtr st, Prepare(reader_.get(), sql));
    BindText(st.get(), 1, origin, false);
    std::vector<StoredCheckpoint> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      StoredCheckpoint c;
      c.origin = ColumnText(st.get(), 0);
      c.tree_size = static_cast<uint64_t>(sqlite3_column_int64(st.get(), 1));
      c.time_us = sqlite3_column_int64(st.get(), 2);
      c.note = ColumnText(st.get(), 3);
      out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return SqliteError(reader_.get(), rc, "reading checkpoints");
    return out;
  }

  // Decision id (field 1), task (2) and principal (3) of the records of one origin not yet in
  // the postings table: value -> their seqs, ascending.
  // Ordered by field, then value; found by a (field, string_view) key without a copy of it.
  struct HeldOrder {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.first != b.first) return a.first < b.first;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };
  using HeldPostings = std::map<std::pair<int, std::string>, std::vector<uint64_t>, HeldOrder>;
  struct TimeRange {
    int64_t min = INT64_MAX, max = INT64_MIN;
    void Add(int64_t t) {
      min = std::min(min, t);
      max = std::max(max, t);
    }
  };
  // One kind of fill: decision ids, often; tasks, principals and time ranges, in larger fills.
  struct FillState {
    uint64_t below = 0;      // every record under it is in the postings table
    uint64_t held_from = 0;  // `held` covers the records from here on; those before are read back
    HeldPostings held;
    TimeRange held_times;  // of the records in `held`
  };
  struct LookupState {
    bool stored = false;   // both `below`s are in ledger_lookup_done
    FillState values;      // tasks and principals (ledger_lookup_done.below), and times
    FillState decisions;   // decision ids (ledger_lookup_done.decisions_below)
    int recent_fills = 0;  // values fills in ledger_postings_recent, not yet merged
  };

  // Called for every committed record: values repeat, so a key is copied only when it is new.
  static void Hold(bool decisions, HeldPostings& held, uint64_t seq, std::string_view decision,
                   std::string_view task, std::string_view principal) {
    auto add = [&](int field, std::string_view value) {
      if (value.empty()) return;
      auto it = held.find(std::pair<int, std::string_view>(field, value));
      if (it == held.end()) it = held.try_emplace({field, std::string(value)}).first;
      it->second.push_back(seq);
    };
    if (decisions) {
      add(1, DecisionBucket(decision));
      return;
    }
    add(2, task);
    add(3, principal);
  }

  // Keeps the postings table (decision, task, principal -> records) close to the end of each
  // log, inside the batch's transaction: the seqs of committed records are held in memory by
  // value, and once enough have accumulated each value gets one row listing its records of the
  // fill, so that a fill writes one row per distinct value rather than one per record (and no
  // index page per commit). Decision ids are filled every decision_fill_records, so that a
  // lookup by decision reads few records directly; tasks and principals, which repeat, every
  // lookup_fill_records. Sets what was filled; the caller completes the state once the
  // transaction commits, or forgets it when it fails.
  Status UpdateLookup(const LedgerBatch& b, int64_t base, bool* values_filled,
                      bool* decisions_filled) {
    sqlite3* db = writer_.get();
    uint64_t end = b.first_seq + b.records.size();
    auto [it, fresh] = lookup_.try_emplace(b.origin);
    LookupState& st = it->second;
    if (fresh) {
      sqlite3_stmt* s = lookup_done_get_.get();
      StmtReset reset(s);
      BindText(s, 1, b.origin, false);
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        st.values.below = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
        st.decisions.below = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
        st.stored = true;
      } else if (rc != SQLITE_DONE) {
        return SqliteError(db, rc, "reading the lookup state");
      }
      st.values.held_from = st.decisions.held_from = b.first_seq;
      sqlite3_stmt* c = recent_count_.get();
      StmtReset reset_count(c);
      BindText(c, 1, b.origin, false);
      rc = sqlite3_step(c);
      if (rc != SQLITE_ROW) return SqliteError(db, rc, "reading the lookup state");
      st.recent_fills = sqlite3_column_int(c, 0);
    }
    for (const StoredRecord& r : b.records) {
      Hold(false, st.values.held, r.seq, r.decision_id, r.task_id, r.principal);
      st.values.held_times.Add(r.time_us);
      Hold(true, st.decisions.held, r.seq, r.decision_id, r.task_id, r.principal);
    }
    if (end >= st.values.below + static_cast<uint64_t>(options_.lookup_fill_records)) {
      WRIT_RETURN_IF_ERROR(Fill(b.origin, base, false, st.values, end));
      *values_filled = true;
      // Should the transaction fail, the caller forgets the state and reads it back.
      if (++st.recent_fills >= std::max(1, options_.postings_merge_fills)) {
        WRIT_RETURN_IF_ERROR(MergeRecent(b.origin));
        st.recent_fills = 0;
      }
    }
    if (end >= st.decisions.below + static_cast<uint64_t>(options_.decision_fill_records)) {
      WRIT_RETURN_IF_ERROR(Fill(b.origin, base, true, st.decisions, end));
      *decisions_filled = true;
    }
    if (*values_filled || *decisions_filled || !st.stored) {
      sqlite3_stmt* s = lookup_done_set_.get();
      StmtReset reset(s);
      BindText(s, 1, b.origin, false);
      sqlite3_bind_int64(s, 2, static_cast<int64_t>(*values_filled ? end : st.values.below));
      sqlite3_bind_int64(s, 3, static_cast<int64_t>(*decisions_filled ? end : st.decisions.below));
      int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) return SqliteError(db, rc, "recording the lookup state");
    }
    return Status::Ok();
  }

  // Writes the postings rows of one fill, [f.below, end), and for tasks and principals the
  // fill's time range. Records committed before this process's first commit of the origin
  // (under f.held_from) are read back from the table.
  Status Fill(const std::string& origin, int64_t base, bool decisions, const FillState& f,
              uint64_t end) {
    sqlite3* db = writer_.get();
    HeldPostings read_back;
    const HeldPostings* fill = &f.held;
    TimeRange times = f.held_times;
    if (f.below < f.held_from) {
      sqlite3_stmt* s = lookup_read_back_.get();
      StmtReset reset(s);
      sqlite3_bind_int64(s, 1, base + static_cast<int64_t>(f.below));
      sqlite3_bind_int64(s, 2, base + static_cast<int64_t>(f.held_from));
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        Hold(decisions, read_back, static_cast<uint64_t>(sqlite3_column_int64(s, 0)),
             ColumnText(s, 4), ColumnText(s, 1), ColumnText(s, 2));
        times.Add(sqlite3_column_int64(s, 3));
      }
      if (rc != SQLITE_DONE) return SqliteError(db, rc, "filling the lookup table");
      for (const auto& [key, seqs] : f.held) {
        auto& to = read_back[key];
        to.insert(to.end(), seqs.begin(), seqs.end());
      }
      fill = &read_back;
    }
    // Decision ids go straight into the postings (their values grow, so the rows land at the
    // end of their field); tasks and principals into the recent fills (MergeRecent).
    std::string offsets;
    for (const auto& [key, seqs] : *fill) {
      offsets.clear();
      for (uint64_t seq : seqs) {
        if (!offsets.empty()) offsets += ',';
        offsets += std::to_string(seq - f.below);
      }
      WRIT_RETURN_IF_ERROR(InsertPostings(decisions ? lookup_insert_.get() : recent_insert_.get(),
                                          key.first, key.second, origin, f.below, offsets));
    }
    if (!decisions) {
      sqlite3_stmt* t = time_block_insert_.get();
      StmtReset reset(t);
      BindText(t, 1, origin, false);
      sqlite3_bind_int64(t, 2, static_cast<int64_t>(f.below));
      sqlite3_bind_int64(t, 3, static_cast<int64_t>(end));
      sqlite3_bind_int64(t, 4, times.min);
      sqlite3_bind_int64(t, 5, times.max);
      int rc = sqlite3_step(t);
      if (rc != SQLITE_DONE) return SqliteError(db, rc, "recording a time range");
    }
    return Status::Ok();
  }

  // Writes one postings row with `insert` (lookup_insert_ or recent_insert_, which take the
  // same parameters).
  Status InsertPostings(sqlite3_stmt* insert, int field, const std::string& value,
                        const std::string& origin, uint64_t from_seq, const std::string& offsets) {
    StmtReset reset(insert);
    sqlite3_bind_int(insert, 1, field);
    BindText(insert, 2, value, false);
    BindText(insert, 3, origin, false);
    sqlite3_bind_int64(insert, 4, static_cast<int64_t>(from_seq));
    BindText(insert, 5, offsets, false);
    int rc = sqlite3_step(insert);
    if (rc != SQLITE_DONE) return SqliteError(writer_.get(), rc, "filling the lookup table");
    return Status::Ok();
  }

  // Moves the recent fills of `origin` into the postings: one row per task and principal,
  // from its first fill's from_seq, listing its records of every fill. A row whose offsets do
  // not parse is moved as it is, so that queries report it as damaged (data_loss) rather than
  // the merge dropping it or refusing every later commit.
  Status MergeRecent(const std::string& origin) {
    struct Merged {
      uint64_t from = 0;
      std::string offsets;
    };
    std::map<std::pair<int, std::string>, Merged> merged;
    std::vector<std::pair<std::pair<int, std::string>, Merged>> damaged;
    {
      sqlite3_stmt* s = recent_read_.get();
      StmtReset reset(s);
      BindText(s, 1, origin, false);
      std::vector<uint64_t> seqs;
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        auto from = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
        std::pair<int, std::string> key(sqlite3_column_int(s, 1), ColumnText(s, 2));
        std::string text = ColumnText(s, 3);
        seqs.clear();
        if (!ParseOffsets(text, from, &seqs)) {
          damaged.push_back({std::move(key), Merged{from, std::move(text)}});
          continue;
        }
        auto [it, fresh] = merged.try_emplace(std::move(key));
        if (fresh) it->second.from = from;
        for (uint64_t seq : seqs) {
          if (!it->second.offsets.empty()) it->second.offsets += ',';
          it->second.offsets += std::to_string(seq - it->second.from);
        }
      }
      if (rc != SQLITE_DONE) return SqliteError(writer_.get(), rc, "merging the lookup table");
    }
    auto post = [&](const std::pair<int, std::string>& key, const Merged& m) {
      return InsertPostings(lookup_insert_.get(), key.first, key.second, origin, m.from, m.offsets);
    };
    for (const auto& [key, m] : merged) WRIT_RETURN_IF_ERROR(post(key, m));
    for (const auto& [key, m] : damaged) WRIT_RETURN_IF_ERROR(post(key, m));
    sqlite3_stmt* s = recent_delete_.get();
    StmtReset reset(s);
    BindText(s, 1, origin, false);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return SqliteError(writer_.get(), rc, "merging the lookup table");
    return Status::Ok();
  }

  Status SyncFailedError() const {
    return IoError("store: syncing the ledger's WAL failed (" + sync_error_ +
                   "); ledger writes are refused until the store is opened again");
  }

  // Called by SQLite on the writer's thread after each commit with the WAL's size in pages.
  static int WalHook(void* self, sqlite3*, const char*, int frames) {
    static_cast<SqliteLedgerStore*>(self)->OnCommitted(frames);
    return SQLITE_OK;
  }

  void OnCommitted(int frames) {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    if (frames < wal_frames_) {
      // The WAL started over: both thresholds count from its new start.
      checkpoint_at_frames_ = options_.wal_checkpoint_pages;
      restart_at_frames_ = options_.wal_restart_pages;
    }
    wal_frames_ = frames;
    if (wal_frames_ >= checkpoint_at_frames_) checkpoint_cv_.notify_one();
  }

  // Copies the WAL into the database on the checkpointer's own connection whenever
  // wal_checkpoint_pages pages have been added since the last copy, so that the committing
  // thread never does (SQLite's automatic checkpoint would, on the connection that commits).
  void CheckpointLoop() {
    std::unique_lock<std::mutex> lock(checkpoint_mu_);
    for (;;) {
      checkpoint_cv_.wait(lock, [&] { return stopping_ || wal_frames_ >= checkpoint_at_frames_; });
      if (stopping_) return;
      checkpointing_ = true;
      lock.unlock();
      int log = 0, copied = 0;
      int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &log, &copied);
      lock.lock();
      checkpointing_ = false;
      // Next copy once the WAL has grown again by a checkpoint's worth (also after a failure:
      // a busy reader or I/O error is retried later rather than in a loop).
      if (rc == SQLITE_OK && log >= 0) {
        checkpoint_at_frames_ = std::max(wal_frames_, log) + options_.wal_checkpoint_pages;
      } else {
        checkpoint_at_frames_ = wal_frames_ + options_.wal_checkpoint_pages;
      }
    }
  }

  // Lets the WAL start over once it holds wal_restart_pages pages. SQLite rewrites the WAL from
  // its start only when a write transaction begins with every page already copied into the
  // database; under a steady stream of commits the background checkpoint is always a little
  // behind, so the writer copies the remainder itself (a small copy, as the checkpointer has
  // done the rest) and the next commit starts the WAL over. Readers of an older snapshot (a
  // long scan) can delay this; it is then retried after another wal_checkpoint_pages pages.
  void MaybeRestartWal() {
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      if (wal_frames_ < restart_at_frames_ || checkpointing_) return;
      restart_at_frames_ = wal_frames_ + options_.wal_checkpoint_pages;
    }
    int log = 0, copied = 0;
    sqlite3_wal_checkpoint_v2(writer_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  }

  void StopCheckpointer() {
    {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_one();
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  std::string path_;
  SqliteOptions options_;
  std::mutex write_mu_;
  std::mutex read_mu_;
  std::mutex sync_mu_;
  std::string wal_path_;
  FileHandle wal_fd_;  // guarded by sync_mu_
  std::atomic<bool> sync_failed_{false};
  std::string sync_error_;  // set once, before sync_failed_

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  int wal_frames_ = 0;            // the WAL's size in pages after the latest commit
  int checkpoint_at_frames_ = 0;  // the checkpointer copies when the WAL reaches this size
  int restart_at_frames_ = 0;     // the writer lets the WAL start over at this size
  bool checkpointing_ = false;
  bool stopping_ = false;

  // Statements are declared after the connections so that they are finalised first.
  DbPtr writer_;
  DbPtr reader_;
  DbPtr checkpoint_db_;
  StmtPtr insert_record_, insert_node_, insert_checkpoint_, writer_last_;
  StmtPtr origin_number_get_, origin_number_add_;
  StmtPtr lookup_read_back_, lookup_insert_, time_block_insert_, lookup_done_get_, lookup_done_set_;
  StmtPtr recent_insert_, recent_read_, recent_count_, recent_delete_;
  std::map<std::string, LookupState> lookup_;   // per origin, as committed; under write_mu_
  std::map<std::string, int64_t> origin_base_;  // committed origin numbers, times 2^48; ditto
  StmtPtr count_, leaf_hashes_, node_hashes_;
  std::thread checkpointer_;  // joined by the destructor before the connections close
};

class SqliteBlobStore final : public BlobStore {
 public:
  explicit SqliteBlobStore(sqlite3* db, std::mutex* mu, bool read_only)
      : db_(db), mu_(mu), read_only_(read_only) {}

  Result<Digest> PutBlob(std::string_view media_type, std::string_view data) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    Digest d = Sha256(data);
    std::lock_guard<std::mutex> lock(*mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db_,
                                              "INSERT INTO blobs(sha256, media_type, size, data, "
                                              "created_us) VALUES(?,?,?,?,?) ON CONFLICT(sha256) "
                                              "DO NOTHING"));
    sqlite3_stmt* s = st.get();
    BindBlob(s, 1, DigestBytes(d));
    sqlite3_bind_text(s, 2, media_type.data(), static_cast<int>(media_type.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, static_cast<int64_t>(data.size()));
    BindBlob(s, 4, data);
    sqlite3_bind_int64(s, 5, SystemClock().NowMicros());
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return SqliteError(db_, rc, "storing a blob");
    return d;
  }

  Result<std::optional<Blob>> GetBlob(const Digest& sha256) override {
    std::lock_guard<std::mutex> lock(*mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr st,
        Prepare(db_, "SELECT media_type, data, created_us FROM blobs WHERE sha256 = ?"));
    BindBlob(st.get(), 1, DigestBytes(sha256));
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) return std::optional<Blob>();
    if (rc != SQLITE_ROW) return SqliteError(db_, rc, "reading a blob");
    Blob b;
    b.sha256 = sha256;
    b.media_type = ColumnText(st.get(), 0);
    b.data = std::string(ColumnBlob(st.get(), 1));
    b.created_us = sqlite3_column_int64(st.get(), 2);
    if (Sha256(b.data) != sha256) {
      return DataLoss("store: blob " + DigestHex(sha256) + " does not match its hash");
    }
    return std::optional<Blob>(std::move(b));
  }

 private:
  sqlite3* db_;
  std::mutex* mu_;
  bool read_only_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, SqliteOptions options)
      : ledger_(path, options), path_(std::move(path)), options_(std::move(options)) {}

  Status Open() {
    bool create = !options_.read_only;
    WRIT_ASSIGN_OR_RETURN(DbPtr writer, OpenConnection(path_, options_, create));
    if (options_.read_only) {
      WRIT_ASSIGN_OR_RETURN(int v, ReadSchemaVersion(writer.get()));
      if (v > SqliteSchemaVersion()) {
        return FailedPrecondition("store: the database has schema version " + std::to_string(v) +
                                  ", newer than this binary (" +
                                  std::to_string(SqliteSchemaVersion()) + ")");
      }
      if (v < SqliteSchemaVersion()) {
        return FailedPrecondition("store: the database has schema version " + std::to_string(v) +
                                  "; open it once read-write to migrate it");
      }
    } else {
      WRIT_RETURN_IF_ERROR(MigrateSqlite(writer.get()));
    }
    WRIT_ASSIGN_OR_RETURN(DbPtr reader, OpenConnection(path_, options_, false));
    WRIT_ASSIGN_OR_RETURN(blob_db_, OpenConnection(path_, options_, false));
    blobs_ = std::make_unique<SqliteBlobStore>(blob_db_.get(), &blob_mu_, options_.read_only);
    WRIT_ASSIGN_OR_RETURN(identity_, OpenSqliteIdentityStore(path_, options_));
    WRIT_ASSIGN_OR_RETURN(api_keys_, OpenSqliteApiKeyStore(path_, options_));
    WRIT_ASSIGN_OR_RETURN(approvals_, OpenSqliteApprovalStore(path_, options_));
    return ledger_.Init(std::move(writer), std::move(reader));
  }

  LedgerStore& ledger() override { return ledger_; }
  BlobStore& blobs() override { return *blobs_; }
  IdentityStore& identity() override { return *identity_; }
  ApiKeyStore& api_keys() override { return *api_keys_; }
  ApprovalStore& approvals() override { return *approvals_; }
  Result<int> SchemaVersion() override {
    std::lock_guard<std::mutex> lock(blob_mu_);
    return ReadSchemaVersion(blob_db_.get());
  }

 private:
  SqliteLedgerStore ledger_;
  std::string path_;
  SqliteOptions options_;
  std::mutex blob_mu_;
  DbPtr blob_db_;
  std::unique_ptr<SqliteBlobStore> blobs_;
  std::unique_ptr<IdentityStore> identity_;
  std::unique_ptr<ApiKeyStore> api_keys_;
  std::unique_ptr<ApprovalStore> approvals_;
};

}  // namespace

std::string LedgerQuerySql(const RecordQuery& q) {
  // Each origin's records are a rowid range (within the query's seqs), read in order, so that a
  // limit stops the scan early. The origins come in name order through their index; NOT
  // INDEXED keeps SQLite from building an automatic index over the records instead.
  std::string from =
      " FROM ledger_origins o INDEXED BY ledger_origins_by_name CROSS JOIN ledger_records r NOT "
      "INDEXED ON r.id >= " +
      KeySql("o.no", ":seq_lo") + " AND r.id <= " + KeySql("o.no", ":seq_hi") + " WHERE 1";
  if (!q.origin.empty()) from += " AND o.origin = :origin";
  if (q.time_from_us || q.time_to_us) {
    // By time: the records of the fills whose time range overlaps the query's, and each log's
    // tail (from `below` on), which no fill covers yet.
    std::string overlap;
    if (q.time_from_us) overlap += " AND t.max_time_us >= :time_from";
    if (q.time_to_us) overlap += " AND t.min_time_us < :time_to";
    from = " FROM (SELECT t.origin, t.from_seq, t.to_seq FROM ledger_time_blocks t WHERE 1" +
           overlap + " UNION ALL SELECT d.origin, d.below, " + std::to_string(kSeqLimit) +
           " FROM ledger_lookup_done d) b CROSS JOIN ledger_origins o ON o.origin = b.origin "
           "CROSS JOIN ledger_records r NOT INDEXED ON r.id >= " +
           KeySql("o.no", "b.from_seq") + " AND r.id < " + KeySql("o.no", "b.to_seq") + " WHERE 1";
  }
  return std::string(kRecordColumns) + from + QueryFilters(q) + QueryOrder(q);
}

std::string SqliteDatabasePath(const SqliteOptions& options) {
  std::string dir = options.data_dir.empty() ? "." : options.data_dir;
  if (dir.back() != '/') dir += '/';
  return dir + options.file_name;
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (!options.data_dir.empty() && !options.read_only) {
    if (::mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError("store: cannot create data directory " + options.data_dir + ": " +
                     std::strerror(errno));
    }
  }
  auto store = std::make_unique<SqliteStore>(SqliteDatabasePath(options), options);
  WRIT_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace writ::store
