// The SQLite schema of the Store, as an ordered list of migrations.
//
// Version N is reached by applying migrations 1..N in order; a migration is never edited once
// released — a change is a new migration appended to the list.
#pragma once

#include <sqlite3.h>

#include <vector>

#include "base/status.h"

namespace writ::store {

struct SqliteMigration {
  int version;
  const char* description;
  const char* sql;
};

// All migrations, by ascending version (1, 2, ...).
const std::vector<SqliteMigration>& SqliteMigrations();

// The schema version this binary writes (the last migration's version).
int SqliteSchemaVersion();

// Reads the version of `db` (0 for an empty database).
Result<int> ReadSchemaVersion(sqlite3* db);

// Brings `db` to SqliteSchemaVersion(): each missing migration in its own IMMEDIATE
// transaction, recorded in `schema_version`. failed_precondition (nothing changed) when the
// database is newer than this binary.
Status MigrateSqlite(sqlite3* db);

// Maps a SQLite result code of `db` to a Status with `what` as context.
Status SqliteError(sqlite3* db, int rc, const char* what);

}  // namespace writ::store
