// The SQLite implementation of IdentityStore, over the same `writ.db` as the rest of the Store
// (its tables come from the store's migrations). It holds its own connection, serialised by a
// mutex; SQLite's locking arbitrates between processes, and every write is one statement or one
// IMMEDIATE transaction, so concurrent writers (other processes included) never interleave.
#pragma once

#include <memory>
#include <string>

#include "store/identity_store.h"
#include "store/sqlite_store.h"

namespace writ::store {

// Opens the identity tables of the database at `path` (already migrated).
Result<std::unique_ptr<IdentityStore>> OpenSqliteIdentityStore(const std::string& path,
                                                               const SqliteOptions& options);

}  // namespace writ::store
