// The embedded Store: one SQLite file, `writ.db`, under the data directory.
//
// Durability: WAL journal with synchronous=FULL, so a committed transaction survives a crash
// or power loss. Schema: versioned migrations (sqlite_schema.h) applied in order on open, each
// in its own transaction; a database whose schema is newer than this binary is refused
// (failed_precondition) and left untouched.
//
// Concurrency: one connection for writes (serialised by a mutex), one for point reads, and a
// fresh read-only connection per scan, so that a long verify does not block appends.
// Several processes may open the same file (SQLite's locking); a writer that finds the file
// locked waits `busy_timeout_ms` and then fails with `unavailable`.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace writ::store {

struct SqliteOptions {
  std::string data_dir;  // created (mode 0700) when missing
  std::string file_name = "writ.db";
  int busy_timeout_ms = 2000;
  // WAL pages after which a commit copies the WAL back into the database (SQLite's
  // wal_autocheckpoint). Larger values make appends cheaper and the WAL larger.
  int wal_autocheckpoint_pages = 4000;
  bool read_only = false;  // open an existing database without writing (verify, show)
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

// The path of the database file for `options`.
std::string SqliteDatabasePath(const SqliteOptions& options);

}  // namespace writ::store
