#include "store/sqlite_api_key_store.h"

#include <sqlite3.h>

#include <mutex>

#include "store/sqlite_schema.h"

namespace writ::store {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

constexpr const char* kColumns = "id, name, role, key_hash, created_us, revoked_us";

std::string Column(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

StoredApiKey ReadKey(sqlite3_stmt* s) {
  StoredApiKey k;
  k.id = Column(s, 0);
  k.name = Column(s, 1);
  k.role = Column(s, 2);
  k.key_hash = Column(s, 3);
  k.created_us = sqlite3_column_int64(s, 4);
  k.revoked_us = sqlite3_column_int64(s, 5);
  return k;
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

class SqliteApiKeyStore final : public ApiKeyStore {
 public:
  SqliteApiKeyStore(DbPtr db, bool read_only) : db_(std::move(db)), read_only_(read_only) {}

  Status InsertApiKey(const StoredApiKey& k) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr s,
                          Prepare("INSERT INTO api_keys(id, name, role, key_hash, created_us, "
                                  "revoked_us) VALUES(?,?,?,?,?,0)"));
    BindText(s.get(), 1, k.id);
    BindText(s.get(), 2, k.name);
    BindText(s.get(), 3, k.role);
    sqlite3_bind_blob(s.get(), 4, k.key_hash.data(), static_cast<int>(k.key_hash.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(s.get(), 5, k.created_us);
    int rc = sqlite3_step(s.get());
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return Status(StatusCode::kAlreadyExists,
                    "store: an active API key named `" + k.name + "` (or with its id) exists");
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "inserting an API key");
    return Status::Ok();
  }

  Result<std::optional<StoredApiKey>> GetApiKey(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, Prepare(std::string("SELECT ") + kColumns + " FROM api_keys WHERE id = ?"));
    BindText(s.get(), 1, id);
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<StoredApiKey>();
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading an API key");
    return std::optional<StoredApiKey>(ReadKey(s.get()));
  }

  Result<std::vector<StoredApiKey>> ListApiKeys() override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr s, Prepare(std::string("SELECT ") + kColumns +
                                             " FROM api_keys ORDER BY created_us, id"));
    std::vector<StoredApiKey> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(ReadKey(s.get()));
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing API keys");
    return out;
  }

  Status RevokeApiKey(const std::string& id, int64_t time_us) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, Prepare("UPDATE api_keys SET revoked_us = ? WHERE id = ? AND revoked_us = 0"));
    sqlite3_bind_int64(s.get(), 1, time_us);
    BindText(s.get(), 2, id);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "revoking an API key");
    if (sqlite3_changes(db_.get()) == 1) return Status::Ok();
    // Nothing changed: tell a missing key from one already revoked.
    WRIT_ASSIGN_OR_RETURN(StmtPtr q, Prepare("SELECT revoked_us FROM api_keys WHERE id = ?"));
    BindText(q.get(), 1, id);
    rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) return NotFound("store: no API key with id `" + id + "`");
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading an API key");
    return FailedPrecondition("store: API key `" + id + "` is already revoked");
  }

 private:
  Result<StmtPtr> Prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "preparing a statement");
    return StmtPtr(s);
  }

  std::mutex mu_;
  DbPtr db_;
  bool read_only_;
};

}  // namespace

Result<std::unique_ptr<ApiKeyStore>> OpenSqliteApiKeyStore(const std::string& path,
                                                           const SqliteOptions& options) {
  sqlite3* raw = nullptr;
  int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "opening the API key table");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  if (!options.read_only) {
    rc = sqlite3_exec(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr,
                      nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "configuring the API key connection");
  }
  return std::unique_ptr<ApiKeyStore>(
      std::make_unique<SqliteApiKeyStore>(std::move(db), options.read_only));
}

}  // namespace writ::store
