#include "store/sqlite_util.h"

#include "store/sqlite_schema.h"

namespace writ::store::sqlite {

Result<DbPtr> OpenDatabase(const std::string& path, const SqliteOptions& options,
                           const char* what) {
  sqlite3* raw = nullptr;
  int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, (std::string("opening ") + what).c_str());
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  if (!options.read_only) {
    rc = sqlite3_exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr,
                      nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return SqliteError(db.get(), rc, (std::string("configuring ") + what).c_str());
    }
  }
  return db;
}

Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "preparing a statement");
  return StmtPtr(s);
}

}  // namespace writ::store::sqlite
