#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "store/sqlite_schema.h"

namespace writ::store {
namespace {

std::string ColumnString(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p) : std::string();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("writ-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.data_dir = dir_.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    auto s = OpenSqliteStore(options_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  static StoredRecord Record(const std::string& origin, uint64_t seq, const std::string& kind) {
    StoredRecord r;
    r.origin = origin;
    r.seq = seq;
    r.kind = kind;
    r.time_us = 1000 + static_cast<int64_t>(seq);
    r.decision_id = kind == "decision" ? "d-" + std::to_string(seq) : "";
    r.task_id = "task-" + std::to_string(seq % 3);
    r.principal = seq % 2 ? "agent-a" : "agent-b";
    r.verdict = kind == "decision" ? (seq % 2 ? "allow" : "deny") : "";
    r.body = "{\"seq\":" + std::to_string(seq) + "}";
    r.leaf_hash = Sha256(r.body);
    return r;
  }

  static LedgerBatch Batch(const std::string& origin, uint64_t first, uint64_t n) {
    LedgerBatch b;
    b.origin = origin;
    b.first_seq = first;
    for (uint64_t i = 0; i < n; ++i) b.records.push_back(Record(origin, first + i, "decision"));
    return b;
  }

  // Runs SQL on the database file directly, as an editor of the file would.
  void EditFile(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &db), SQLITE_OK);
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    std::string error = sqlite3_errmsg(db);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << error;
  }

  // SQL that takes the records table back to its layout before schema version 8: its own
  // rowids, a unique (origin, seq) index, no origin numbers.
  static constexpr const char* kRecordsBeforeVersion8 =
      "CREATE TABLE old_records (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, seq INTEGER NOT "
      "NULL, kind TEXT NOT NULL, time_us INTEGER NOT NULL, decision_id TEXT, task_id TEXT, "
      "principal TEXT, verdict TEXT, leaf_hash BLOB NOT NULL, body BLOB NOT NULL, UNIQUE "
      "(origin, seq));"
      "INSERT INTO old_records(origin, seq, kind, time_us, decision_id, task_id, principal, "
      "verdict, leaf_hash, body) SELECT origin, seq, kind, time_us, decision_id, task_id, "
      "principal, verdict, leaf_hash, body FROM ledger_records ORDER BY time_us DESC;"
      "DROP TABLE ledger_records; DROP TABLE ledger_origins;"
      "ALTER TABLE old_records RENAME TO ledger_records;"
      "CREATE INDEX ledger_records_decision ON ledger_records (decision_id) WHERE decision_id "
      "IS NOT NULL;";

  // SQL that takes the lookup tables back to before schema version 9 (and so 10): recent fills
  // folded into the postings, no decision postings, a per-record decision index.
  static constexpr const char* kUndoVersion9 =
      "INSERT INTO ledger_postings SELECT field, value, origin, from_seq, seqs FROM "
      "ledger_postings_recent; DROP TABLE ledger_postings_recent;"
      "DELETE FROM ledger_postings WHERE field = 1;"
      "ALTER TABLE ledger_lookup_done DROP COLUMN decisions_below;"
      "CREATE INDEX ledger_records_decision ON ledger_records (decision_id) WHERE decision_id "
      "IS NOT NULL;";

  void EditFile(const std::string& sql) { EditFile(sql.c_str()); }

  // The seqs of the records a query finds, in its order (none when it fails, which fails the
  // test).
  static std::vector<uint64_t> SeqsOf(Store& store, const RecordQuery& query) {
    std::vector<uint64_t> seqs;
    auto found = store.ledger().QueryRecords(query);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    if (found.ok()) {
      for (const auto& r : *found) seqs.push_back(r.seq);
    }
    return seqs;
  }

  // The first row of a query on the database file, each column as text.
  std::vector<std::string> FileRow(const std::string& sql) {
    sqlite3* db = nullptr;
    std::vector<std::string> row;
    EXPECT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(st); ++i) row.push_back(ColumnString(st, i));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return row;
  }

  std::filesystem::path dir_;
  SqliteOptions options_;
};

TEST_F(SqliteStoreTest, CreatesDatabaseWithCurrentSchemaAndPrivateDirectory) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), SqliteSchemaVersion());
  EXPECT_TRUE(std::filesystem::exists(dir_ / "writ.db"));
  struct stat st;
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  store.reset();
  // Reopening does not re-apply migrations.
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), SqliteSchemaVersion());
}

TEST_F(SqliteStoreTest, RefusesADatabaseNewerThanTheBinary) {
  ASSERT_TRUE(Open());
  EditFile(
      "INSERT INTO schema_version(version, applied_us, description) "
      "VALUES(999, 0, 'future')");
  auto s = OpenSqliteStore(options_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("999"), std::string::npos);
  options_.read_only = true;
  EXPECT_EQ(OpenSqliteStore(options_).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SqliteStoreTest, ReadOnlyOpenOfMissingDatabaseIsNotFound) {
  options_.read_only = true;
  auto s = OpenSqliteStore(options_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "writ.db"));
}

TEST_F(SqliteStoreTest, AppendsAndReadsBack) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  EXPECT_EQ(*l.RecordCount("node-a"), 0u);
  LedgerBatch b = Batch("node-a", 0, 5);
  b.nodes.push_back({1, 0, Sha256("n10")});
  b.nodes.push_back({1, 1, Sha256("n11")});
  b.checkpoints.push_back({"node-a", 4, 77, "note-4"});
  ASSERT_TRUE(l.AppendBatch(b).ok());
  ASSERT_TRUE(l.AppendBatch(Batch("node-b", 0, 2)).ok());
  EXPECT_EQ(*l.RecordCount("node-a"), 5u);
  EXPECT_EQ(*l.RecordCount("node-b"), 2u);
  EXPECT_EQ(*l.Origins(), (std::vector<std::string>{"node-a", "node-b"}));

  auto r = l.GetRecord("node-a", 3);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->body, "{\"seq\":3}");
  EXPECT_EQ((*r)->leaf_hash, Sha256("{\"seq\":3}"));
  EXPECT_EQ((*r)->decision_id, "d-3");
  EXPECT_FALSE(l.GetRecord("node-a", 5)->has_value());

  auto leaves = l.LeafHashes("node-a", 1, 4);
  ASSERT_TRUE(leaves.ok());
  ASSERT_EQ(leaves->size(), 3u);
  EXPECT_EQ((*leaves)[0], Sha256("{\"seq\":1}"));
  EXPECT_EQ(l.LeafHashes("node-a", 3, 7).status().code(), StatusCode::kDataLoss);

  auto nodes = l.NodeHashes("node-a", 1, 0, 2);
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ((*nodes)[1], Sha256("n11"));
  EXPECT_EQ(l.NodeHashes("node-a", 2, 0, 1).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(*l.NodeLevels("node-a"), std::vector<uint32_t>{1});

  auto cps = l.Checkpoints("node-a");
  ASSERT_TRUE(cps.ok());
  ASSERT_EQ(cps->size(), 1u);
  EXPECT_EQ((*cps)[0].note, "note-4");
  EXPECT_EQ((*l.LatestCheckpoint("node-a"))->tree_size, 4u);
  EXPECT_FALSE(l.LatestCheckpoint("node-b")->has_value());
}

TEST_F(SqliteStoreTest, StaleBatchIsRefusedWhole) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  ASSERT_TRUE(l.AppendBatch(Batch("o", 0, 3)).ok());
  LedgerBatch stale = Batch("o", 2, 3);  // overlaps seq 2
  stale.nodes.push_back({4, 0, Sha256("x")});
  Status s = l.AppendBatch(stale);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*l.RecordCount("o"), 3u);
  EXPECT_TRUE(l.NodeLevels("o")->empty());
  LedgerBatch gap = Batch("o", 3, 2);
  gap.records[1].seq = 9;  // not consecutive
  EXPECT_EQ(l.AppendBatch(gap).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*l.RecordCount("o"), 3u);
  EXPECT_TRUE(l.AppendBatch(Batch("o", 3, 2)).ok());
}

TEST_F(SqliteStoreTest, CommittedBatchesAreVisibleAtOnceAndDurableAfterTheSync) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  ASSERT_TRUE(l.CommitBatch(Batch("o", 0, 3)).ok());
  ASSERT_TRUE(l.CommitBatch(Batch("o", 3, 2)).ok());
  EXPECT_EQ(*l.RecordCount("o"), 5u);
  EXPECT_EQ(l.CommitBatch(Batch("o", 4, 1)).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(l.SyncCommitted().ok());
  ASSERT_TRUE(l.SyncCommitted().ok());  // nothing new: still fine
  store.reset();
  store = Open();
  EXPECT_EQ(*store->ledger().RecordCount("o"), 5u);
  EXPECT_EQ((*store->ledger().GetRecord("o", 4))->body, "{\"seq\":4}");
}

TEST_F(SqliteStoreTest, CommitsAndSyncsRunOnTwoThreads) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  constexpr uint64_t kBatches = 200;
  std::atomic<bool> done{false};
  std::atomic<int> sync_failures{0};
  std::thread syncer([&] {
    while (!done.load()) {
      if (!l.SyncCommitted().ok()) sync_failures.fetch_add(1);
    }
  });
  for (uint64_t i = 0; i < kBatches; ++i) ASSERT_TRUE(l.CommitBatch(Batch("o", i * 3, 3)).ok());
  done = true;
  syncer.join();
  ASSERT_TRUE(l.SyncCommitted().ok());
  EXPECT_EQ(sync_failures.load(), 0);
  store.reset();
  store = Open();
  EXPECT_EQ(*store->ledger().RecordCount("o"), kBatches * 3);
}

TEST_F(SqliteStoreTest, WalStartsOverUnderASteadyStreamOfCommits) {
  options_.page_size = 4096;
  options_.wal_checkpoint_pages = 32;
  options_.wal_restart_pages = 128;
  auto store = Open();
  LedgerStore& l = store->ledger();
  // 400 commits of 20 records of about 1 KB: 8 MB of records, about 2,000 pages of 4 KiB.
  constexpr uint64_t kBatches = 400, kPerBatch = 20;
  for (uint64_t i = 0; i < kBatches; ++i) {
    LedgerBatch b = Batch("o", i * kPerBatch, kPerBatch);
    for (auto& r : b.records) r.body.append(1000, ' ');
    ASSERT_TRUE(l.CommitBatch(b).ok());
    ASSERT_TRUE(l.SyncCommitted().ok());
  }
  EXPECT_EQ(*l.RecordCount("o"), kBatches * kPerBatch);
  // Without starting over, the WAL would hold every page written (8 MB and more).
  auto wal = std::filesystem::file_size(dir_ / "writ.db-wal");
  EXPECT_LT(wal, 2u << 20) << "the WAL did not start over";
  // Everything reached the database file through checkpoints.
  EXPECT_GT(std::filesystem::file_size(dir_ / "writ.db"), 6u << 20);
  store.reset();
  store = Open();
  EXPECT_EQ(*store->ledger().RecordCount("o"), kBatches * kPerBatch);
}

TEST_F(SqliteStoreTest, NewDatabaseTakesThePageSize) {
  options_.page_size = 8192;
  ASSERT_TRUE(Open());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 8192);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, QueriesFilterAndOrder) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  ASSERT_TRUE(l.AppendBatch(Batch("o", 0, 10)).ok());
  RecordQuery q;
  q.verdict = "deny";
  auto rows = l.QueryRecords(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  for (const auto& r : *rows) EXPECT_EQ(r.seq % 2, 0u);
  q = RecordQuery();
  q.task_id = "task-1";
  q.principal = "agent-a";
  rows = l.QueryRecords(q);
  ASSERT_EQ(rows->size(), 2u);  // seq 1 and 7
  EXPECT_EQ((*rows)[0].seq, 1u);
  EXPECT_EQ((*rows)[1].seq, 7u);
  q = RecordQuery();
  q.time_from_us = 1003;
  q.time_to_us = 1006;
  q.descending = true;
  rows = l.QueryRecords(q);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].seq, 5u);
  q = RecordQuery();
  q.decision_id = "d-8";
  rows = l.QueryRecords(q);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].seq, 8u);
  q = RecordQuery();
  q.limit = 4;
  EXPECT_EQ(l.QueryRecords(q)->size(), 4u);
  q.kind = "outcome";
  EXPECT_TRUE(l.QueryRecords(q)->empty());
}

// Lookups by decision, task and principal find every record whether it is already in the
// lookup table or still in the tail of its log (held in memory, or read back after a
// reopen), across origins, in order.
TEST_F(SqliteStoreTest, LookupsCoverTheTableAndTheTailOfEachLog) {
  options_.lookup_fill_records = 7;
  auto store = Open();
  // 3 batches of 5 per origin: the table is filled when a batch reaches 7 records past the
  // bound, so seq 0-9 are in the table and 10-14 in the tail.
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", i * 5, 5)).ok());
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("b", i * 5, 5)).ok());
  }
  auto seqs = [&](RecordQuery q) {
    std::vector<std::string> out;
    auto rows = store->ledger().QueryRecords(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.origin + std::to_string(r.seq));
    }
    return out;
  };
  auto check = [&] {
    RecordQuery q;
    q.decision_id = "d-3";  // in the table
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"a3", "b3"}));
    q.decision_id = "d-12";  // in the tail
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"a12", "b12"}));
    q.origin = "b";
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"b12"}));
    q = RecordQuery();
    q.task_id = "task-1";  // seq 1, 4, 7, 10, 13
    q.origin = "a";
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"a1", "a4", "a7", "a10", "a13"}));
    q.descending = true;
    q.limit = 3;
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"a13", "a10", "a7"}));
    q = RecordQuery();
    q.principal = "agent-a";  // odd seqs
    q.seq_from = 6;
    q.seq_to = 11;
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"a7", "a9", "a11", "b7", "b9", "b11"}));
    q.verdict = "deny";  // even seqs: none of them
    EXPECT_TRUE(seqs(q).empty());
    // By time (1000 + seq): 8 and 9 through the filled time range, 10 and 11 from the tail.
    q = RecordQuery();
    q.time_from_us = 1008;
    q.time_to_us = 1012;
    EXPECT_EQ(seqs(q),
              (std::vector<std::string>{"a8", "a9", "a10", "a11", "b8", "b9", "b10", "b11"}));
    q.time_to_us.reset();
    q.origin = "b";
    q.descending = true;
    q.limit = 2;
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"b14", "b13"}));
    q = RecordQuery();
    q.time_to_us = 1002;
    q.kind = "decision";
    EXPECT_EQ(seqs(q), (std::vector<std::string>{"a0", "a1", "b0", "b1"}));
  };
  check();
  // The lookup state is read back from the database after a reopen, and filling goes on.
  store.reset();
  store = Open();
  check();
  ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 15, 5)).ok());
  RecordQuery q;
  q.decision_id = "d-17";
  EXPECT_EQ(seqs(q), (std::vector<std::string>{"a17"}));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT below, (SELECT group_concat(from_seq || ':' || seqs, ' ') "
                               "FROM (SELECT from_seq, seqs FROM ledger_postings_recent WHERE "
                               "origin = 'a' AND field = 2 AND value = 'task-1' ORDER BY "
                               "from_seq)) FROM ledger_lookup_done WHERE origin = 'a'",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 20);  // 20 - 10 >= 7: filled up to the end
  // One row per fill, among the recent fills (16 are kept before they are merged): seq 1, 4, 7
  // in the first (records 0-9), 10, 13, 16, 19 in the second.
  EXPECT_EQ(ColumnString(st, 1), "0:1,4,7 10:0,3,6,9");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, MigrationFillsTheLookupTableFromExistingRecords) {
  {
    auto store = Open();
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 0, 6)).ok());
  }
  // Take the file back to schema version 4, with the per-record indexes it had.
  EditFile(std::string(kUndoVersion9) + kRecordsBeforeVersion8 +
           "DROP TABLE ledger_postings; DROP TABLE ledger_lookup_done; DROP TABLE "
           "ledger_time_blocks;"
           "CREATE INDEX ledger_records_time ON ledger_records (time_us);"
           "CREATE INDEX ledger_records_task ON ledger_records (task_id);"
           "CREATE INDEX ledger_records_principal ON ledger_records (principal);"
           "DELETE FROM schema_version WHERE version >= 5;");
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), SqliteSchemaVersion());
  RecordQuery q;
  q.task_id = "task-2";
  auto rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);  // seq 2 and 5, both from the table (the tail starts at 6)
  EXPECT_EQ((*rows)[1].seq, 5u);
  ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 6, 2)).ok());
  q.task_id = "task-0";
  rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);  // 0, 3 from the table; 6 from the tail
  EXPECT_EQ((*rows)[2].seq, 6u);
}

// Schema version 5 kept one lookup row per record; version 6 converts them into one row per
// value and block of 8192 records, and queries find the same records.
TEST_F(SqliteStoreTest, MigrationGroupsTheLookupRowsOfVersion5) {
  options_.lookup_fill_records = 9000;
  {
    auto store = Open();
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 0, 9500)).ok());
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("b", 0, 10)).ok());
  }
  EditFile(std::string(kUndoVersion9) + kRecordsBeforeVersion8 +
           "DROP TABLE ledger_postings; DROP TABLE ledger_time_blocks;"
           "CREATE INDEX ledger_records_time ON ledger_records (time_us);"
           "CREATE TABLE ledger_lookup (field INTEGER NOT NULL, value TEXT NOT NULL, "
           "origin TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (field, value, "
           "origin, seq)) WITHOUT ROWID;"
           "INSERT INTO ledger_lookup SELECT 2, task_id, origin, seq FROM "
           "ledger_records UNION ALL SELECT 3, principal, origin, seq FROM "
           "ledger_records;"
           "UPDATE ledger_lookup_done SET below = 9500 WHERE origin = 'a';"
           "UPDATE ledger_lookup_done SET below = 10 WHERE origin = 'b';"
           "DELETE FROM schema_version WHERE version >= 6;");
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), SqliteSchemaVersion());
  RecordQuery q;
  q.task_id = "task-2";
  q.limit = 10000;
  auto rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3166u + 3u);  // seq 2, 5, ... 9497 of a; 2, 5, 8 of b
  for (size_t i = 0; i < 3166; ++i) {
    ASSERT_EQ((*rows)[i].origin, "a");
    ASSERT_EQ((*rows)[i].seq, 2 + 3 * i);
  }
  EXPECT_EQ((*rows)[3166].origin, "b");
  // Across the block boundary at 8192, newest first, and after more appends.
  ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 9500, 3)).ok());
  auto seqs_of = [&](const RecordQuery& query) { return SeqsOf(*store, query); };
  q.origin = "a";
  q.descending = true;
  q.seq_to = 8200;
  q.limit = 4;
  EXPECT_EQ(seqs_of(q), (std::vector<uint64_t>{8198, 8195, 8192, 8189}));
  q = RecordQuery();
  q.principal = "agent-a";
  q.seq_from = 9495;
  EXPECT_EQ(seqs_of(q),
            (std::vector<uint64_t>{9495, 9497, 9499, 9501}));  // the last two in the tail
  // Time ranges (1000 + seq) of the converted blocks, 0-8191 and 8192-9499, and the tail.
  q = RecordQuery();
  q.origin = "a";
  q.time_from_us = 1000 + 8190;
  q.time_to_us = 1000 + 8194;
  EXPECT_EQ(seqs_of(q), (std::vector<uint64_t>{8190, 8191, 8192, 8193}));
  q.time_from_us = 1000 + 9498;
  q.time_to_us.reset();
  EXPECT_EQ(seqs_of(q), (std::vector<uint64_t>{9498, 9499, 9500, 9501, 9502}));
}

// A damaged postings row is reported, not read as other records.
TEST_F(SqliteStoreTest, DamagedLookupRowIsReported) {
  options_.lookup_fill_records = 5;
  {
    auto store = Open();
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 0, 6)).ok());
  }
  EditFile("UPDATE ledger_postings_recent SET seqs = '1,,4' WHERE value = 'task-1'");
  auto store = Open();
  RecordQuery q;
  q.task_id = "task-1";
  auto rows = store->ledger().QueryRecords(q);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(rows.status().message().find("lookup row of a from seq 0 is damaged"),
            std::string::npos);
  q.task_id = "task-2";  // its row is intact
  rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
  // Rows whose ranges overlap (a row added that lists seq 3 after the row listing 2 and 5), and
  // a row that lists a seq twice, are damaged too.
  store.reset();
  EditFile(
      "INSERT INTO ledger_postings VALUES(2, 'task-2', 'a', 3, '0');"
      "UPDATE ledger_postings_recent SET seqs = '0,0,3' WHERE value = 'task-0';");
  store = Open();
  for (const char* task : {"task-2", "task-0"}) {
    q.task_id = task;
    for (bool descending : {false, true}) {
      q.descending = descending;
      rows = store->ledger().QueryRecords(q);
      ASSERT_FALSE(rows.ok()) << task;
      EXPECT_EQ(rows.status().code(), StatusCode::kDataLoss);
    }
  }
}

// Task and principal fills are appended to the recent fills, and every postings_merge_fills
// fills merged into the postings, one row per value from its first fill. Queries find the same
// records before, during and after a merge, also after a reopen between two merges (the count
// of recent fills is read back), and a damaged recent row is moved as it is and reported.
TEST_F(SqliteStoreTest, RecentFillsAreMergedIntoThePostings) {
  options_.lookup_fill_records = 4;
  options_.postings_merge_fills = 3;
  auto store = Open();
  auto rows_of = [&](const std::string& table) {
    return FileRow("SELECT group_concat(r, ' ') FROM (SELECT from_seq || ':' || seqs AS r FROM " +
                   table + " WHERE field = 2 AND value = 'task-1' ORDER BY from_seq)")[0];
  };
  auto task_1 = [&] {
    RecordQuery q;
    q.task_id = "task-1";
    q.limit = 1000;
    return SeqsOf(*store, q);
  };
  auto expected = [](uint64_t records) {
    std::vector<uint64_t> out;
    for (uint64_t seq = 1; seq < records; seq += 3) out.push_back(seq);
    return out;
  };
  uint64_t next = 0;
  auto append = [&](uint64_t n) {
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", next, n)).ok());
    next += n;
  };
  append(4);
  append(4);  // two fills: [0, 4) and [4, 8)
  EXPECT_EQ(rows_of("ledger_postings_recent"), "0:1 4:0,3");
  EXPECT_EQ(rows_of("ledger_postings"), "");
  EXPECT_EQ(task_1(), expected(8));
  store.reset();
  store = Open();
  EXPECT_EQ(task_1(), expected(8));
  append(5);  // the third fill, [8, 13): merged with the two before
  EXPECT_EQ(rows_of("ledger_postings_recent"), "");
  EXPECT_EQ(rows_of("ledger_postings"), "0:1,4,7,10");
  EXPECT_EQ(FileRow("SELECT count(*) FROM ledger_postings_recent")[0], "0");
  EXPECT_EQ(task_1(), expected(13));
  append(4);  // [13, 17) among the recent fills again
  EXPECT_EQ(rows_of("ledger_postings_recent"), "13:0,3");
  EXPECT_EQ(task_1(), expected(17));
  RecordQuery q;
  q.principal = "agent-a";  // odd seqs, from the postings and the recent fills
  q.descending = true;
  q.limit = 4;
  auto rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok());
  std::vector<uint64_t> seqs;
  for (const auto& r : *rows) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{15, 13, 11, 9}));

  // A damaged recent row is moved as it is at the next merge: the rest merge, and a query by
  // its task reports it.
  store.reset();
  EditFile("UPDATE ledger_postings_recent SET seqs = '0,,3' WHERE value = 'task-1'");
  store = Open();
  append(4);
  append(4);  // the merge
  EXPECT_EQ(FileRow("SELECT count(*) FROM ledger_postings_recent")[0], "0");
  EXPECT_EQ(rows_of("ledger_postings"), "0:1,4,7,10 13:0,,3 17:2,5");
  q = RecordQuery();
  q.task_id = "task-1";
  rows = store->ledger().QueryRecords(q);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDataLoss);
  q.task_id = "task-2";
  rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 8u);  // 2, 5, ..., 23
}

TEST_F(SqliteStoreTest, ScansInSeqOrderAndStopsEarly) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  ASSERT_TRUE(l.AppendBatch(Batch("o", 0, 50)).ok());
  uint64_t next = 10;
  ASSERT_TRUE(l.ScanRecords("o", 10, [&](const RecordView& v) {
                 EXPECT_EQ(v.seq, next);
                 EXPECT_EQ(v.body, "{\"seq\":" + std::to_string(next) + "}");
                 ++next;
                 return next < 20;
               }).ok());
  EXPECT_EQ(next, 20u);
}

TEST_F(SqliteStoreTest, RecordScansReadRangesOfOneSnapshot) {
  auto store = Open();
  LedgerStore& l = store->ledger();
  auto none = l.OpenRecordScan("o");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)->End(), 0u);
  ASSERT_TRUE(l.AppendBatch(Batch("o", 0, 30)).ok());
  ASSERT_TRUE(l.AppendBatch(Batch("p", 0, 5)).ok());
  auto scan = l.OpenRecordScan("o");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  ASSERT_TRUE(l.AppendBatch(Batch("o", 30, 10)).ok());  // after the snapshot
  EXPECT_EQ((*scan)->End(), 30u);
  auto read = [&](RecordScan& s, uint64_t begin, uint64_t end) {
    std::vector<uint64_t> seqs;
    Status st = s.Read(begin, end, [&](const RecordView& v) {
      EXPECT_EQ(v.body, "{\"seq\":" + std::to_string(v.seq) + "}");
      EXPECT_EQ(v.leaf_hash, DigestBytes(Sha256(v.body)));
      seqs.push_back(v.seq);
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return seqs;
  };
  // Ranges in any order, each in seq order, none beyond the snapshot.
  EXPECT_EQ(read(**scan, 12, 15), (std::vector<uint64_t>{12, 13, 14}));
  EXPECT_EQ(read(**scan, 0, 2), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(read(**scan, 28, 100), (std::vector<uint64_t>{28, 29}));
  EXPECT_EQ(read(**scan, 30, 40), std::vector<uint64_t>{});
  EXPECT_EQ(read(**scan, 5, 5), std::vector<uint64_t>{});
  // A reader opened now sees the later records; another origin's are its own.
  auto later = l.OpenRecordScan("o");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ((*later)->End(), 40u);
  EXPECT_EQ(read(**later, 38, UINT64_MAX), (std::vector<uint64_t>{38, 39}));
  auto other = l.OpenRecordScan("p");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->End(), 5u);
  EXPECT_EQ(read(**other, 0, 100), (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

// Version 8 keys each record by its origin's number and its seq. Records written under the
// earlier layout, in any rowid order, keep their origin, seq and bytes, and every way of reading
// them finds the same records.
TEST_F(SqliteStoreTest, MigrationKeysRecordsByOriginAndSeq) {
  options_.lookup_fill_records = 8;
  {
    auto store = Open();
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("o", 0, 10)).ok());
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("p", 0, 3)).ok());
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("n", 0, 4)).ok());
  }
  // Stored newest first, so that the old rowids follow no order at all.
  EditFile(std::string(kUndoVersion9) + kRecordsBeforeVersion8 +
           "DELETE FROM schema_version WHERE version >= 8;");
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), SqliteSchemaVersion());
  LedgerStore& l = store->ledger();
  EXPECT_EQ(*l.Origins(), (std::vector<std::string>{"n", "o", "p"}));
  EXPECT_EQ(*l.RecordCount("o"), 10u);
  EXPECT_EQ(*l.RecordCount("p"), 3u);
  EXPECT_EQ(*l.RecordCount("q"), 0u);
  std::vector<uint64_t> seen;
  ASSERT_TRUE(l.ScanRecords("o", 2, [&](const RecordView& v) {
                 EXPECT_EQ(v.body, "{\"seq\":" + std::to_string(v.seq) + "}");
                 seen.push_back(v.seq);
                 return true;
               }).ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  auto hashes = l.LeafHashes("p", 1, 3);
  ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
  EXPECT_EQ(*hashes, (std::vector<Digest>{Sha256("{\"seq\":1}"), Sha256("{\"seq\":2}")}));
  auto one = l.GetRecord("p", 2);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->origin, "p");
  EXPECT_EQ((*one)->task_id, "task-2");
  // All origins in (origin, seq) order; one origin newest first; by task across the fill.
  RecordQuery q;
  q.limit = 100;
  auto all = l.QueryRecords(q);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 17u);
  EXPECT_EQ((*all)[0].origin, "n");
  EXPECT_EQ((*all)[4].origin, "o");
  EXPECT_EQ((*all)[4].seq, 0u);
  EXPECT_EQ((*all)[16].origin, "p");
  EXPECT_EQ((*all)[16].seq, 2u);
  q.origin = "o";
  q.descending = true;
  q.seq_to = 8;
  q.limit = 3;
  auto newest = l.QueryRecords(q);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ((*newest)[0].seq, 8u);
  EXPECT_EQ((*newest)[2].seq, 6u);
  q = RecordQuery();
  q.task_id = "task-1";
  q.origin = "o";
  auto by_task = l.QueryRecords(q);
  ASSERT_TRUE(by_task.ok());
  ASSERT_EQ(by_task->size(), 3u);  // 1 and 4 from the postings, 7 from the tail
  EXPECT_EQ((*by_task)[2].seq, 7u);
  // Appends go on after the last record of each origin, and a new origin gets the next number.
  EXPECT_EQ(l.AppendBatch(Batch("o", 9, 1)).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(l.AppendBatch(Batch("o", 10, 2)).ok());
  ASSERT_TRUE(l.AppendBatch(Batch("m", 0, 1)).ok());
  EXPECT_EQ(*l.RecordCount("o"), 12u);
  EXPECT_EQ(*l.Origins(), (std::vector<std::string>{"m", "n", "o", "p"}));
  store.reset();
  EXPECT_EQ(FileRow("SELECT count(*) FROM ledger_records r JOIN ledger_origins o ON o.origin = "
                    "r.origin WHERE r.id = o.no * 281474976710656 + r.seq"),
            (std::vector<std::string>{std::to_string(10 + 3 + 4 + 2 + 1)}));
}

// Reading one log is a range of the records table's own key, in order, without sorting and
// without an automatic index. The plans are SQLite's for the statements QueryRecords runs.
TEST_F(SqliteStoreTest, LedgerQueriesReadTheRecordKeyInOrder) {
  { auto store = Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &db), SQLITE_OK);
  auto plan = [&](const RecordQuery& q) {
    sqlite3_stmt* st = nullptr;
    std::string sql = "EXPLAIN QUERY PLAN " + LedgerQuerySql(q);
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string out;
    while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) out += ColumnString(st, 3) + "; ";
    sqlite3_finalize(st);
    return out;
  };
  constexpr const char* kByKey = "SEARCH r USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)";
  RecordQuery newest;  // one origin, newest first, with a filter no index serves
  newest.origin = "o";
  newest.verdict = "deny";
  newest.seq_to = 99;
  newest.descending = true;
  RecordQuery every;  // every origin, in order
  every.kind = "decision";
  for (const RecordQuery& q : {newest, every}) {
    std::string p = plan(q);
    EXPECT_NE(p.find(kByKey), std::string::npos) << p;
    EXPECT_EQ(p.find("TEMP B-TREE"), std::string::npos) << p;
    EXPECT_EQ(p.find("AUTOMATIC"), std::string::npos) << p;
  }
  RecordQuery by_time;
  by_time.time_from_us = 5;
  by_time.verdict = "deny";
  std::string p = plan(by_time);
  EXPECT_NE(p.find(kByKey), std::string::npos) << p;
  EXPECT_EQ(p.find("AUTOMATIC"), std::string::npos) << p;
  sqlite3_close(db);
}

// Decision ids are posted every decision_fill_records records; a lookup finds a decision's
// records whether they are posted, in the tail, or both, after a restart (the tail committed by
// the process before), and from a read-only store beside the writer.
TEST_F(SqliteStoreTest, DecisionsAreFoundPostedAndInTheTail) {
  options_.decision_fill_records = 8;
  options_.lookup_fill_records = 1000;
  auto with_outcome = [](LedgerBatch b, const std::string& decision) {
    for (StoredRecord& rec : b.records) {
      if (rec.seq % 5 == 4) rec.decision_id = decision;  // an outcome of an earlier decision
    }
    return b;
  };
  auto store = Open();
  LedgerStore& l = store->ledger();
  ASSERT_TRUE(l.AppendBatch(Batch("a", 0, 6)).ok());
  ASSERT_TRUE(l.AppendBatch(with_outcome(Batch("a", 6, 6), "d-2")).ok());  // 9 says d-2: posted
  ASSERT_TRUE(l.AppendBatch(Batch("b", 0, 3)).ok());
  auto seqs = [&](LedgerStore& from, const std::string& decision, bool descending = false) {
    RecordQuery q;
    q.decision_id = decision;
    q.descending = descending;
    std::vector<std::string> out;
    auto rows = from.QueryRecords(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.origin + std::to_string(r.seq));
    }
    return out;
  };
  EXPECT_EQ(seqs(l, "d-2"), (std::vector<std::string>{"a2", "a9", "b2"}));
  EXPECT_EQ(seqs(l, "d-2", true), (std::vector<std::string>{"b2", "a9", "a2"}));
  EXPECT_EQ(seqs(l, "d-11"), (std::vector<std::string>{"a11"}));  // posted with the fill at 12
  EXPECT_TRUE(seqs(l, "d-12").empty());
  ASSERT_TRUE(l.AppendBatch(with_outcome(Batch("a", 12, 3), "d-11")).ok());  // 14: tail
  EXPECT_EQ(seqs(l, "d-11"), (std::vector<std::string>{"a11", "a14"}));
  store.reset();
  // The new process holds nothing of 12-14; its first fill reads them back.
  store = Open();
  EXPECT_EQ(seqs(store->ledger(), "d-11"), (std::vector<std::string>{"a11", "a14"}));
  ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 15, 6)).ok());  // fills 12-20
  EXPECT_EQ(seqs(store->ledger(), "d-11"), (std::vector<std::string>{"a11", "a14"}));
  EXPECT_EQ(seqs(store->ledger(), "d-13"), (std::vector<std::string>{"a13"}));
  SqliteOptions ro = options_;
  ro.read_only = true;
  auto reader = OpenSqliteStore(ro);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(seqs((*reader)->ledger(), "d-16"), (std::vector<std::string>{"a16"}));
  store.reset();
  reader->reset();
  EXPECT_EQ(FileRow("SELECT d.decisions_below, (SELECT group_concat(from_seq || ':' || seqs, ' ') "
                    "FROM (SELECT * FROM ledger_postings WHERE field = 1 AND value = 'd-11' "
                    "ORDER BY from_seq)) FROM ledger_lookup_done d WHERE d.origin = 'a'"),
            (std::vector<std::string>{"21", "0:11 12:2"}));
}

// UUIDv7 ids of one millisecond share a postings row per fill; a lookup keeps only the records
// of its own id. Any other id (here one of 36 bytes that is not ASCII) has its own row. The
// migration to version 9 makes the same rows from existing records.
TEST_F(SqliteStoreTest, DecisionIdsOfOneMillisecondShareAPostingsRow) {
  options_.decision_fill_records = 4;
  const std::string a = "01a20c1a-c6a3-7000-8000-000000000000";
  const std::string b = "01a20c1a-c6a3-7000-8000-000000000001";
  const std::string c = "01a20c1a-c6a4-7000-8000-000000000002";
  const std::string odd = "01a20c1a-c6a3-7000-8000-0000000000\xc3\xa9";  // 36 bytes, 35 chars
  LedgerBatch batch = Batch("o", 0, 6);
  const std::string ids[] = {a, b, c, a, odd, "plain"};
  for (int i = 0; i < 6; ++i) batch.records[i].decision_id = ids[i];
  auto found = [&](Store& store, const std::string& id) {
    RecordQuery q;
    q.decision_id = id;
    return SeqsOf(store, q);
  };
  auto rows = [&]() {
    return FileRow(
               "SELECT group_concat(value || '@' || from_seq || ':' || seqs, ' ') FROM (SELECT * "
               "FROM ledger_postings WHERE field = 1 ORDER BY value)")
        .at(0);
  };
  auto check = [&](Store& store) {
    EXPECT_EQ(found(store, a), (std::vector<uint64_t>{0, 3}));
    EXPECT_EQ(found(store, b), (std::vector<uint64_t>{1}));
    EXPECT_EQ(found(store, c), (std::vector<uint64_t>{2}));
    EXPECT_EQ(found(store, odd), (std::vector<uint64_t>{4}));
    EXPECT_EQ(found(store, "01a20c1a-c6a3-7000-8000-000000000009"), (std::vector<uint64_t>{}));
  };
  const std::string want = "01a20c1a-c6a3@0:0,1,3 " + odd + "@0:4 01a20c1a-c6a4@0:2 plain@0:5";
  {
    auto store = Open();
    ASSERT_TRUE(store->ledger().AppendBatch(batch).ok());
    check(*store);
  }
  EXPECT_EQ(rows(), want);
  EditFile(std::string(kUndoVersion9) + "DELETE FROM schema_version WHERE version >= 9;");
  EXPECT_EQ(rows(), "");
  auto store = Open();
  ASSERT_TRUE(store);
  check(*store);
  store.reset();
  EXPECT_EQ(rows(), want);
}

// Version 9 posts the decision ids of the records already there, in blocks of 256, and drops
// the per-record index.
TEST_F(SqliteStoreTest, MigrationPostsTheDecisionsOfExistingRecords) {
  options_.decision_fill_records = 100000;
  {
    auto store = Open();
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 0, 600)).ok());
    ASSERT_TRUE(store->ledger().AppendBatch(Batch("b", 0, 3)).ok());
  }
  EditFile(
      "UPDATE ledger_records SET decision_id = 'd-7' WHERE origin = 'a' AND seq IN (300, "
      "599);" +
      std::string(kUndoVersion9) + "DELETE FROM schema_version WHERE version >= 9;");
  options_.decision_fill_records = 4;
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->SchemaVersion(), SqliteSchemaVersion());
  RecordQuery q;
  q.decision_id = "d-7";
  auto rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::vector<std::string> got;
  for (const auto& r : *rows) got.push_back(r.origin + std::to_string(r.seq));
  EXPECT_EQ(got, (std::vector<std::string>{"a7", "a300", "a599"}));
  ASSERT_TRUE(store->ledger().AppendBatch(Batch("a", 600, 5)).ok());  // the first fill after
  q.decision_id = "d-602";
  rows = store->ledger().QueryRecords(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].seq, 602u);
  store.reset();
  EXPECT_EQ(FileRow("SELECT (SELECT count(*) FROM sqlite_master WHERE name = "
                    "'ledger_records_decision'), (SELECT group_concat(origin || decisions_below, "
                    "' ') FROM ledger_lookup_done), (SELECT group_concat(from_seq || ':' || seqs, "
                    "' ') FROM (SELECT * FROM ledger_postings WHERE field = 1 AND value = 'd-7' "
                    "ORDER BY from_seq))"),
            (std::vector<std::string>{"0", "a605 b3", "0:7 256:44 512:87"}));
}

TEST_F(SqliteStoreTest, BlobsAreContentAddressedAndChecked) {
  auto store = Open();
  BlobStore& b = store->blobs();
  auto d1 = b.PutBlob("application/cedar", "permit(principal, action, resource);");
  ASSERT_TRUE(d1.ok());
  EXPECT_EQ(*d1, Sha256("permit(principal, action, resource);"));
  auto d2 = b.PutBlob("application/cedar", "permit(principal, action, resource);");
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(*d1, *d2);
  auto got = b.GetBlob(*d1);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->data, "permit(principal, action, resource);");
  EXPECT_EQ((*got)->media_type, "application/cedar");
  EXPECT_FALSE(b.GetBlob(Sha256("nothing"))->has_value());

  EditFile("UPDATE blobs SET data = 'forbid'");
  EXPECT_EQ(b.GetBlob(*d1).status().code(), StatusCode::kDataLoss);
}

TEST_F(SqliteStoreTest, LockedDatabaseFailsWithUnavailableAndRecovers) {
  options_.busy_timeout_ms = 50;
  auto store = Open();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "writ.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Status s = store->ledger().AppendBatch(Batch("o", 0, 1));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("locked"), std::string::npos);
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(store->ledger().AppendBatch(Batch("o", 0, 1)).ok());
  EXPECT_EQ(*store->ledger().RecordCount("o"), 1u);
}

TEST_F(SqliteStoreTest, ReadOnlyStoreRefusesWrites) {
  { ASSERT_TRUE(Open()); }
  options_.read_only = true;
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->ledger().AppendBatch(Batch("o", 0, 1)).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->blobs().PutBlob("x", "y").status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace writ::store
