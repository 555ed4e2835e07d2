#include "store/sqlite_schema.h"

#include <gtest/gtest.h>

namespace writ::store {
namespace {

struct MemoryDb {
  MemoryDb() { sqlite3_open(":memory:", &db); }
  ~MemoryDb() { sqlite3_close(db); }
  sqlite3* db = nullptr;
};

TEST(SqliteSchemaTest, MigrationsAreNumberedFromOneWithoutGaps) {
  int expected = 1;
  for (const auto& m : SqliteMigrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_NE(std::string(m.description), "");
  }
  EXPECT_EQ(SqliteSchemaVersion(), expected - 1);
}

TEST(SqliteSchemaTest, MigratesAnEmptyDatabaseOnceAndRecordsEachVersion) {
  MemoryDb m;
  EXPECT_EQ(*ReadSchemaVersion(m.db), 0);
  ASSERT_TRUE(MigrateSqlite(m.db).ok());
  EXPECT_EQ(*ReadSchemaVersion(m.db), SqliteSchemaVersion());
  ASSERT_TRUE(MigrateSqlite(m.db).ok());  // idempotent
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(m.db, "SELECT count(*) FROM schema_version", -1, &s, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), SqliteSchemaVersion());
  sqlite3_finalize(s);
}

TEST(SqliteSchemaTest, NewerDatabaseIsRefusedAndUntouched) {
  MemoryDb m;
  ASSERT_TRUE(MigrateSqlite(m.db).ok());
  ASSERT_EQ(sqlite3_exec(m.db, "INSERT INTO schema_version VALUES(1000, 0, 'x')", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  Status s = MigrateSqlite(m.db);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*ReadSchemaVersion(m.db), 1000);
}

TEST(SqliteSchemaTest, FailedMigrationLeavesNothingBehind) {
  MemoryDb m;
  // A table the first migration wants to create already exists: the migration fails whole.
  ASSERT_EQ(sqlite3_exec(m.db, "CREATE TABLE blobs(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  Status s = MigrateSqlite(m.db);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*ReadSchemaVersion(m.db), 0);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(m.db, "SELECT count(*) FROM sqlite_master WHERE name='ledger_records'", -1,
                         &st, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
}

TEST(SqliteSchemaTest, ErrorsMapToMachineCodes) {
  EXPECT_EQ(SqliteError(nullptr, SQLITE_FULL, "x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_BUSY, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CORRUPT, "x").code(), StatusCode::kDataLoss);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_IOERR_WRITE, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(SqliteError(nullptr, SQLITE_CONSTRAINT, "x").code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace writ::store
