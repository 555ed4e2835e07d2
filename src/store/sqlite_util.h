// Small RAII and binding helpers shared by the SQLite implementations of the store's
// interfaces.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/sqlite_store.h"

namespace writ::store::sqlite {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Opens a connection to the (already migrated) database at `path` with the store's settings:
// extended result codes, the busy timeout, WAL and synchronous=FULL when writable.
// `what` names the table set in error messages.
Result<DbPtr> OpenDatabase(const std::string& path, const SqliteOptions& options, const char* what);

Result<StmtPtr> Prepare(sqlite3* db, std::string_view sql);

// Binds text (the value must outlive the statement's step).
inline void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
// A text or blob column as bytes (empty when NULL).
inline std::string ColumnText(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

}  // namespace writ::store::sqlite
