// The SQLite implementation of ApiKeyStore, over the same `writ.db` as the rest of the Store
// (its table comes from the store's migrations). It holds its own connection, serialised by a
// mutex; every write is one statement, so concurrent writers (other processes included, such as
// `writ apikey create` while `writ serve` runs) never interleave.
#pragma once

#include <memory>
#include <string>

#include "store/api_key_store.h"
#include "store/sqlite_store.h"

namespace writ::store {

// Opens the API key table of the database at `path` (already migrated).
Result<std::unique_ptr<ApiKeyStore>> OpenSqliteApiKeyStore(const std::string& path,
                                                           const SqliteOptions& options);

}  // namespace writ::store
