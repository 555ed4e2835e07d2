// The SQLite implementation of ApprovalStore over the store's `writ.db` (its table comes from
// the store's migrations). One connection, serialised by a mutex; every state change is a
// single conditional UPDATE, so concurrent deciders (other processes included) cannot both win.
#pragma once

#include <memory>
#include <string>

#include "store/approval_store.h"
#include "store/sqlite_store.h"

namespace writ::store {

Result<std::unique_ptr<ApprovalStore>> OpenSqliteApprovalStore(const std::string& path,
                                                               const SqliteOptions& options);

}  // namespace writ::store
