// The embedded Store: one SQLite file, `writ.db`, under the data directory.
//
// Durability: WAL journal with synchronous=FULL, so a committed transaction survives a crash
// or power loss. Schema: versioned migrations (sqlite_schema.h) applied in order on open, each
// in its own transaction; a database whose schema is newer than this binary is refused
// (failed_precondition) and left untouched.
//
// Ledger appends (LedgerStore::CommitBatch / SyncCommitted) keep the same guarantee with the
// sync taken out of the commit: the ledger's writer connection commits with
// synchronous=NORMAL (the WAL is written, not synced), and SyncCommitted() calls fdatasync on
// the WAL file, which makes every transaction committed before the call durable — what
// synchronous=FULL does at each commit, once for many commits, while the next batch is being
// written. (NORMAL keeps the database consistent after a crash; only commits not yet synced can
// be lost, and those were never acknowledged.) Linux semantics are assumed: fdatasync writes
// back the file's pages whichever descriptor wrote them.
//
// Checkpoints (copying the WAL back into the database) run on a background thread with its
// own connection every `wal_checkpoint_pages` pages, not on the committing thread as SQLite's
// automatic checkpoint would. Once the WAL holds `wal_restart_pages` pages, the writer copies
// the few pages not yet copied so that the next commit writes the WAL from its start again;
// a reader holding an older snapshot (a long verify) delays that, and the WAL grows meanwhile.
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
  // WAL pages added after which the background checkpoint copies the WAL back into the
  // database (also SQLite's wal_autocheckpoint for the other connections). Small, so that each
  // copy's sync of the database is short: a 32 MiB copy held the ledger's own syncs back for
  // tens of milliseconds (docs/store.md).
  int wal_checkpoint_pages = 128;  // 2 MiB of 16 KiB pages
  // WAL size in pages at which the ledger's writer lets the WAL start over (see above).
  int wal_restart_pages = 8192;  // 128 MiB
  // Page cache of the ledger's writer connection, in KiB (bounded: memory stays flat). It
  // keeps the pages that appends revisit (the ends of the indexes) from being read again.
  int ledger_cache_kib = 16384;
  // Task and principal lookups: records are added to the postings table in bulk once this many
  // have accumulated (in the transaction of the batch that reaches it; the rows wait in
  // memory); queries read the newer records of each log directly.
  int lookup_fill_records = 8192;
  // Each fill appends its rows to a table of recent fills, in log order; once this many have
  // accumulated they are merged into the postings table, one row per task and principal for
  // all of them (in the transaction of the batch that completes the last). Queries read the
  // recent fills of a log in full, so this bounds their work too.
  int postings_merge_fills = 16;
  // Decision lookups likewise, in smaller fills: a query by decision id reads at most about this
  // many records of each log directly (the records of one decision are few, so larger fills
  // would not make fewer rows).
  int decision_fill_records = 256;
  // Page size of a new database file in bytes (a power of two, 512 to 65536); an existing
  // file keeps the size it was created with. Measured with ledger appends of 1.3 KB records:
  // 16 KiB pages halve the checkpoint work of 4 KiB pages (fewer, fuller pages to copy).
  int page_size = 16384;
  bool read_only = false;  // open an existing database without writing (verify, show)
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

// The path of the database file for `options`.
std::string SqliteDatabasePath(const SqliteOptions& options);

// The SQL of a ledger record query that does not go through the postings (no decision id,
// task or principal). Exposed so that tests can check its query plan.
std::string LedgerQuerySql(const RecordQuery& q);

}  // namespace writ::store
