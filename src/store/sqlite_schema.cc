#include "store/sqlite_schema.h"

#include <string>

#include "base/clock.h"

namespace writ::store {

const std::vector<SqliteMigration>& SqliteMigrations() {
  static const std::vector<SqliteMigration> kMigrations = {
      {1, "ledger records, Merkle nodes, checkpoints; content-addressed blobs",
       R"sql(
CREATE TABLE ledger_records (
  id          INTEGER PRIMARY KEY,
  origin      TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  time_us     INTEGER NOT NULL,
  decision_id TEXT,
  task_id     TEXT,
  principal   TEXT,
  verdict     TEXT,
  leaf_hash   BLOB    NOT NULL,
  body        BLOB    NOT NULL,
  UNIQUE (origin, seq)
);
CREATE INDEX ledger_records_decision ON ledger_records (decision_id) WHERE decision_id IS NOT NULL;
CREATE INDEX ledger_records_task ON ledger_records (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX ledger_records_principal ON ledger_records (principal) WHERE principal IS NOT NULL;
CREATE INDEX ledger_records_time ON ledger_records (time_us);
CREATE TABLE ledger_nodes (
  origin TEXT    NOT NULL,
  level  INTEGER NOT NULL,
  idx    INTEGER NOT NULL,
  hash   BLOB    NOT NULL,
  PRIMARY KEY (origin, level, idx)
) WITHOUT ROWID;
CREATE TABLE ledger_checkpoints (
  origin    TEXT    NOT NULL,
  tree_size INTEGER NOT NULL,
  time_us   INTEGER NOT NULL,
  note      TEXT    NOT NULL,
  PRIMARY KEY (origin, tree_size)
) WITHOUT ROWID;
CREATE TABLE blobs (
  sha256     BLOB    PRIMARY KEY,
  media_type TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  data       BLOB    NOT NULL,
  created_us INTEGER NOT NULL
);
)sql"},
      {2, "identity: signing keys, agents, issued tokens, revocations, assertion ids, secrets",
       R"sql(
CREATE TABLE identity_signing_keys (
  kid             TEXT    PRIMARY KEY,
  algorithm       TEXT    NOT NULL,
  public_jwk      TEXT    NOT NULL,
  sealed_private  BLOB    NOT NULL,
  created_us      INTEGER NOT NULL,
  retired_us      INTEGER NOT NULL DEFAULT 0,
  verify_until_us INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE identity_agents (
  name        TEXT    PRIMARY KEY,
  spiffe_id   TEXT    NOT NULL UNIQUE,
  owner       TEXT    NOT NULL,
  team        TEXT    NOT NULL,
  public_jwk  TEXT,
  secret_hash TEXT,
  created_us  INTEGER NOT NULL
);
CREATE TABLE identity_tokens (
  jti         TEXT    PRIMARY KEY,
  kind        TEXT    NOT NULL,
  parent_jti  TEXT,
  task_id     TEXT    NOT NULL,
  agent       TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  audience    TEXT    NOT NULL,
  decision_id TEXT,
  scopes      TEXT    NOT NULL,
  depth       INTEGER NOT NULL,
  issued_us   INTEGER NOT NULL,
  expires_us  INTEGER NOT NULL,
  single_use  INTEGER NOT NULL,
  consumed_us INTEGER
);
CREATE INDEX identity_tokens_parent ON identity_tokens (parent_jti) WHERE parent_jti IS NOT NULL;
CREATE INDEX identity_tokens_task ON identity_tokens (task_id);
CREATE INDEX identity_tokens_agent ON identity_tokens (agent);
CREATE INDEX identity_tokens_user ON identity_tokens (user_id);
CREATE TABLE identity_revocations (
  id          INTEGER PRIMARY KEY,
  target_kind TEXT    NOT NULL,
  target      TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  time_us     INTEGER NOT NULL,
  UNIQUE (target_kind, target)
);
CREATE TABLE identity_assertion_jtis (
  client     TEXT    NOT NULL,
  jti        TEXT    NOT NULL,
  expires_us INTEGER NOT NULL,
  PRIMARY KEY (client, jti)
) WITHOUT ROWID;
CREATE TABLE identity_secrets (
  name         TEXT    PRIMARY KEY,
  sealed_value BLOB    NOT NULL,
  audience     TEXT    NOT NULL,
  description  TEXT    NOT NULL,
  created_us   INTEGER NOT NULL,
  updated_us   INTEGER NOT NULL
);
)sql"},
      {3, "API keys of people and tools (hashed), with role and revocation",
       R"sql(
CREATE TABLE api_keys (
  id         TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL,
  role       TEXT    NOT NULL,
  key_hash   BLOB    NOT NULL,
  created_us INTEGER NOT NULL,
  revoked_us INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_us = 0;
)sql"},
      {4, "approvals of held decisions, bound to the request digest and policy version",
       R"sql(
CREATE TABLE approvals (
  id             TEXT    PRIMARY KEY,
  decision_id    TEXT    NOT NULL,
  request_digest TEXT    NOT NULL,
  policy_version TEXT    NOT NULL,
  grp            TEXT    NOT NULL,
  status         TEXT    NOT NULL,
  principal      TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  resource       TEXT    NOT NULL,
  summary        TEXT    NOT NULL,
  approver       TEXT    NOT NULL,
  note           TEXT    NOT NULL,
  override       INTEGER NOT NULL,
  consumed_by    TEXT    NOT NULL,
  created_us     INTEGER NOT NULL,
  expires_us     INTEGER NOT NULL,
  decided_us     INTEGER NOT NULL
);
CREATE INDEX approvals_request ON approvals (request_digest, policy_version);
CREATE INDEX approvals_status ON approvals (status, created_us);
)sql"},
      {5, "ledger lookups by task and principal in a table filled in bulk",
       // Per-record indexes on these columns made every commit rewrite one index page per
       // distinct task and principal in the batch (measured: 5 times the records' own bytes
       // in the WAL); the lookup table is filled every few thousand records in sorted order
       // instead, and queries read the records not yet in it from the tail of each log.
       // (Decision ids are UUIDv7, increasing: their index only grows at its end.)
       R"sql(
DROP INDEX ledger_records_task;
DROP INDEX ledger_records_principal;
CREATE TABLE ledger_lookup (
  field  INTEGER NOT NULL,
  value  TEXT    NOT NULL,
  origin TEXT    NOT NULL,
  seq    INTEGER NOT NULL,
  PRIMARY KEY (field, value, origin, seq)
) WITHOUT ROWID;
CREATE TABLE ledger_lookup_done (
  origin TEXT    PRIMARY KEY,
  below  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO ledger_lookup
  SELECT 2, task_id, origin, seq FROM ledger_records WHERE task_id IS NOT NULL
  UNION ALL SELECT 3, principal, origin, seq FROM ledger_records WHERE principal IS NOT NULL;
INSERT INTO ledger_lookup_done SELECT origin, MAX(seq) + 1 FROM ledger_records GROUP BY origin;
)sql"},
      {6, "ledger lookups as one row of record numbers per task or principal and fill",
       // One row per (task or principal, record) made each fill insert about two rows per
       // record at as many places in the table as there were distinct values: measured, half
       // the commit thread's time and a third of the WAL's bytes at 64 writers. One row per
       // value and fill holds the fill's records of that value: `seqs` lists their offsets
       // from `from_seq`, in decimal, comma-separated. (The rows converted here group the
       // old ones by blocks of 8192; group_concat keeps no promised order, so readers sort.)
       R"sql(
CREATE TABLE ledger_postings (
  field    INTEGER NOT NULL,
  value    TEXT    NOT NULL,
  origin   TEXT    NOT NULL,
  from_seq INTEGER NOT NULL,
  seqs     TEXT    NOT NULL,
  PRIMARY KEY (field, value, origin, from_seq)
) WITHOUT ROWID;
INSERT INTO ledger_postings
  SELECT field, value, origin, (seq / 8192) * 8192, group_concat(seq - (seq / 8192) * 8192)
  FROM (SELECT field, value, origin, seq FROM ledger_lookup ORDER BY field, value, origin, seq)
  GROUP BY field, value, origin, seq / 8192;
DROP TABLE ledger_lookup;
)sql"},
      {7, "ledger time ranges per fill instead of a per-record time index",
       // The time index was one more B-tree written by every commit (a page per small commit,
       // with the record's own page, the (origin, seq) and decision indexes). Each fill now
       // records the least and greatest time of its records; a query by time reads the fills
       // that overlap the range, and the tail of each log.
       R"sql(
CREATE TABLE ledger_time_blocks (
  origin      TEXT    NOT NULL,
  from_seq    INTEGER NOT NULL,
  to_seq      INTEGER NOT NULL,
  min_time_us INTEGER NOT NULL,
  max_time_us INTEGER NOT NULL,
  PRIMARY KEY (origin, from_seq)
) WITHOUT ROWID;
INSERT INTO ledger_time_blocks
  SELECT r.origin, (r.seq / 8192) * 8192, MAX(r.seq) + 1, MIN(r.time_us), MAX(r.time_us)
  FROM ledger_records r JOIN ledger_lookup_done d ON d.origin = r.origin
  WHERE r.seq < d.below GROUP BY r.origin, r.seq / 8192;
DROP INDEX ledger_records_time;
)sql"},
      {8, "ledger records keyed by origin number and seq, without a separate (origin, seq) index",
       // The unique (origin, seq) index was one more B-tree whose right-hand page every commit
       // rewrote beside the records' own pages (measured: 5% of the durable rate at 64
       // writers). Each origin now has a number, and a record's rowid is that number times
       // 2^48 plus its seq, so the table itself is ordered by (origin, seq) and a range of one
       // log is a rowid range. Origins are numbered from 1 to 32767; seqs stay under 2^48.
       R"sql(
CREATE TABLE ledger_origins (
  no     INTEGER PRIMARY KEY,
  origin TEXT    NOT NULL
);
CREATE UNIQUE INDEX ledger_origins_by_name ON ledger_origins (origin);
INSERT INTO ledger_origins(origin) SELECT DISTINCT origin FROM ledger_records ORDER BY origin;
CREATE TABLE ledger_records_keyed (
  id          INTEGER PRIMARY KEY,
  origin      TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  time_us     INTEGER NOT NULL,
  decision_id TEXT,
  task_id     TEXT,
  principal   TEXT,
  verdict     TEXT,
  leaf_hash   BLOB    NOT NULL,
  body        BLOB    NOT NULL
);
INSERT INTO ledger_records_keyed(id, origin, seq, kind, time_us, decision_id, task_id, principal,
                                 verdict, leaf_hash, body)
  SELECT o.no * 281474976710656 + r.seq, r.origin, r.seq, r.kind, r.time_us, r.decision_id,
         r.task_id, r.principal, r.verdict, r.leaf_hash, r.body
  FROM ledger_records r JOIN ledger_origins o ON o.origin = r.origin ORDER BY o.no, r.seq;
DROP TABLE ledger_records;
ALTER TABLE ledger_records_keyed RENAME TO ledger_records;
CREATE INDEX ledger_records_decision ON ledger_records (decision_id) WHERE decision_id IS NOT NULL;
)sql"},
      {9, "ledger lookups by decision id in the postings table instead of a per-record index",
       // The decision index was the last B-tree besides the records' own whose right-hand page
       // every commit rewrote (measured: 8% of the durable rate at 64 writers). Decision ids
       // now go into ledger_postings (field 1) every few hundred records, one row per fill and
       // millisecond of UUIDv7 ids (the first 13 characters; any other id is its own value),
       // and ledger_lookup_done.decisions_below says up to where; queries read the records
       // from there on directly. The existing records are posted in blocks of 256.
       R"sql(
ALTER TABLE ledger_lookup_done ADD COLUMN decisions_below INTEGER NOT NULL DEFAULT 0;
INSERT INTO ledger_postings
  SELECT 1, bucket, origin, (seq / 256) * 256, group_concat(seq - (seq / 256) * 256)
  FROM (SELECT CASE WHEN length(decision_id) = 36 AND length(CAST(decision_id AS BLOB)) = 36
                     AND substr(decision_id, 9, 1) = '-'
                     AND substr(decision_id, 14, 1) = '-' AND substr(decision_id, 15, 1) = '7'
                     AND substr(decision_id, 19, 1) = '-' AND substr(decision_id, 24, 1) = '-'
                    THEN substr(decision_id, 1, 13) ELSE decision_id END AS bucket,
               origin, seq
        FROM ledger_records WHERE decision_id IS NOT NULL ORDER BY bucket, origin, seq)
  GROUP BY bucket, origin, seq / 256;
UPDATE ledger_lookup_done SET decisions_below =
  COALESCE((SELECT r.seq + 1 FROM ledger_origins o JOIN ledger_records r
            ON r.id >= o.no * 281474976710656 AND r.id < (o.no + 1) * 281474976710656
            WHERE o.origin = ledger_lookup_done.origin ORDER BY r.id DESC LIMIT 1), 0);
DROP INDEX ledger_records_decision;
)sql"},
      {10, "recent task and principal fills appended in order, merged into the postings later",
       // Each fill inserted one postings row per distinct task and principal, each at its
       // value's place in the table: a page rewritten (often split) per value and fill, in the
       // WAL and again in the database (measured with 161 values: about 230 pages per fill of
       // 8192 records, a fifth of the WAL at 64 writers). A fill now appends its rows here, in
       // (origin, from_seq) order; every few fills they are merged into ledger_postings, one
       // row per value for all of them, and deleted. Rows already in ledger_postings stay.
       R"sql(
CREATE TABLE ledger_postings_recent (
  origin   TEXT    NOT NULL,
  from_seq INTEGER NOT NULL,
  field    INTEGER NOT NULL,
  value    TEXT    NOT NULL,
  seqs     TEXT    NOT NULL,
  PRIMARY KEY (origin, from_seq, field, value)
) WITHOUT ROWID;
)sql"},
  };
  return kMigrations;
}

int SqliteSchemaVersion() {
  return SqliteMigrations().back().version;
}

Status SqliteError(sqlite3* db, int rc, const char* what) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = std::string("store: ") + what + ": ";
  int primary = rc & 0xff;
  int sys_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  switch (primary) {
    case SQLITE_FULL:
      return Status(StatusCode::kResourceExhausted,
                    msg + "disk full or file-size limit (" + detail + ")");
    case SQLITE_IOERR:
      if (sys_errno == 27 /* EFBIG */ || sys_errno == 28 /* ENOSPC */ ||
          sys_errno == 122 /* EDQUOT */) {
        return Status(StatusCode::kResourceExhausted, msg + "disk full or file-size limit (" +
                                                          detail + ", errno " +
                                                          std::to_string(sys_errno) + ")");
      }
      return IoError(msg + "I/O error (" + detail + ", errno " + std::to_string(sys_errno) + ")");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(msg + "database is locked by another writer (" + detail + ")");
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Unavailable(msg + "database cannot be written or opened (" + detail + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(msg + "database file is damaged (" + detail + ")");
    case SQLITE_CONSTRAINT:
      return FailedPrecondition(msg + "constraint violated (" + detail + ")");
    case SQLITE_NOMEM:
      return Status(StatusCode::kResourceExhausted, msg + "out of memory");
    default:
      return Internal(msg + detail);
  }
}

Result<int> ReadSchemaVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(
      db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'", -1,
      &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "reading the schema version");
  rc = sqlite3_step(stmt);
  bool exists = rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) > 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return SqliteError(db, rc, "reading the schema version");
  if (!exists) return 0;
  rc = sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1, &stmt,
                          nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "reading the schema version");
  rc = sqlite3_step(stmt);
  int version = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return SqliteError(db, rc, "reading the schema version");
  return version;
}

Status MigrateSqlite(sqlite3* db) {
  WRIT_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db));
  if (version > SqliteSchemaVersion()) {
    return FailedPrecondition("store: the database has schema version " + std::to_string(version) +
                              " but this binary knows only up to " +
                              std::to_string(SqliteSchemaVersion()) + "; use a newer writ binary");
  }
  for (const auto& m : SqliteMigrations()) {
    if (m.version <= version) continue;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db, rc, "starting a migration");
    // Another process may have migrated between our read and our lock.
    auto now = ReadSchemaVersion(db);
    if (!now.ok() || *now >= m.version) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      if (!now.ok()) return now.status();
      continue;
    }
    std::string sql = m.sql;
    sql +=
        "\nCREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "applied_us INTEGER NOT NULL, description TEXT NOT NULL);";
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      rc = sqlite3_prepare_v2(
          db, "INSERT INTO schema_version(version, applied_us, description) VALUES(?,?,?)", -1,
          &stmt, nullptr);
      if (rc == SQLITE_OK) {
        sqlite3_bind_int(stmt, 1, m.version);
        sqlite3_bind_int64(stmt, 2, SystemClock().NowMicros());
        sqlite3_bind_text(stmt, 3, m.description, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
        sqlite3_finalize(stmt);
      }
    }
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      Status s = SqliteError(db, rc, "applying a schema migration");
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace writ::store
