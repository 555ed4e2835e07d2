#include "store/sqlite_identity_store.h"

#include <sqlite3.h>

#include <mutex>

#include "store/sqlite_schema.h"

namespace writ::store {

const char* RevocationTargetName(RevocationTarget target) {
  switch (target) {
    case RevocationTarget::kToken:
      return "token";
    case RevocationTarget::kTask:
      return "task";
    case RevocationTarget::kAgent:
      return "agent";
    case RevocationTarget::kUser:
      return "user";
  }
  return "?";
}

namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// A prepared statement with positional binders; finalised when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, StmtPtr stmt) : db_(db), stmt_(std::move(stmt)) {}
  Statement& Text(const std::string& v) {
    sqlite3_bind_text(stmt_.get(), ++index_, v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& TextOrNull(const std::string& v) {
    if (v.empty()) {
      sqlite3_bind_null(stmt_.get(), ++index_);
      return *this;
    }
    return Text(v);
  }
  Statement& Blob(const std::string& v) {
    sqlite3_bind_blob(stmt_.get(), ++index_, v.data(), static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Int(int64_t v) {
    sqlite3_bind_int64(stmt_.get(), ++index_, v);
    return *this;
  }
  int Step() { return sqlite3_step(stmt_.get()); }
  std::string ColText(int i) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_.get(), i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), i)))
             : std::string();
  }
  int64_t ColInt(int i) const { return sqlite3_column_int64(stmt_.get(), i); }
  sqlite3* db() const { return db_; }

 private:
  sqlite3* db_;
  StmtPtr stmt_;
  int index_ = 0;
};

Status Exec(sqlite3* db, const char* sql, const char* what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqliteError(db, rc, what);
}

constexpr const char* kTokenColumns =
    "jti, kind, parent_jti, task_id, agent, user_id, audience, decision_id, scopes, depth, "
    "issued_us, expires_us, single_use, consumed_us";

StoredToken ReadToken(const Statement& s) {
  StoredToken t;
  t.jti = s.ColText(0);
  t.kind = s.ColText(1);
  t.parent_jti = s.ColText(2);
  t.task_id = s.ColText(3);
  t.agent = s.ColText(4);
  t.user = s.ColText(5);
  t.audience = s.ColText(6);
  t.decision_id = s.ColText(7);
  t.scopes = s.ColText(8);
  t.depth = static_cast<int>(s.ColInt(9));
  t.issued_us = s.ColInt(10);
  t.expires_us = s.ColInt(11);
  t.single_use = s.ColInt(12) != 0;
  t.consumed_us = s.ColInt(13);
  return t;
}

StoredSigningKey ReadKey(const Statement& s) {
  StoredSigningKey k;
  k.kid = s.ColText(0);
  k.algorithm = s.ColText(1);
  k.public_jwk = s.ColText(2);
  k.sealed_private = s.ColText(3);
  k.created_us = s.ColInt(4);
  k.retired_us = s.ColInt(5);
  k.verify_until_us = s.ColInt(6);
  return k;
}

StoredAgent ReadAgent(const Statement& s) {
  StoredAgent a;
  a.name = s.ColText(0);
  a.spiffe_id = s.ColText(1);
  a.owner = s.ColText(2);
  a.team = s.ColText(3);
  a.public_jwk = s.ColText(4);
  a.secret_hash = s.ColText(5);
  a.created_us = s.ColInt(6);
  return a;
}

class SqliteIdentityStore final : public IdentityStore {
 public:
  SqliteIdentityStore(DbPtr db, bool read_only) : db_(std::move(db)), read_only_(read_only) {}

  Status RotateSigningKey(const StoredSigningKey& k, int64_t old_verify_until_us) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_RETURN_IF_ERROR(Exec(db_.get(), "BEGIN IMMEDIATE", "starting a key rotation"));
    Status s = [&]() -> Status {
      WRIT_ASSIGN_OR_RETURN(Statement retire,
                            Prepare("UPDATE identity_signing_keys SET retired_us = ?, "
                                    "verify_until_us = ? WHERE retired_us = 0"));
      retire.Int(k.created_us).Int(old_verify_until_us);
      int rc = retire.Step();
      if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "retiring signing keys");
      WRIT_ASSIGN_OR_RETURN(
          Statement insert,
          Prepare("INSERT INTO identity_signing_keys(kid, algorithm, public_jwk, sealed_private, "
                  "created_us, retired_us, verify_until_us) VALUES(?,?,?,?,?,0,0)"));
      insert.Text(k.kid)
          .Text(k.algorithm)
          .Text(k.public_jwk)
          .Blob(k.sealed_private)
          .Int(k.created_us);
      rc = insert.Step();
      if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "inserting a signing key");
      return Exec(db_.get(), "COMMIT", "committing a key rotation");
    }();
    if (!s.ok() && !sqlite3_get_autocommit(db_.get())) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return s;
  }

  Result<std::vector<StoredSigningKey>> ListSigningKeys() override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("SELECT kid, algorithm, public_jwk, "
                                               "sealed_private, created_us, retired_us, "
                                               "verify_until_us FROM identity_signing_keys "
                                               "ORDER BY created_us, kid"));
    std::vector<StoredSigningKey> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadKey(s));
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing signing keys");
    return out;
  }

  Status InsertAgent(const StoredAgent& a) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s,
                          Prepare("INSERT INTO identity_agents(name, spiffe_id, owner, team, "
                                  "public_jwk, secret_hash, created_us) VALUES(?,?,?,?,?,?,?)"));
    s.Text(a.name).Text(a.spiffe_id).Text(a.owner).Text(a.team).TextOrNull(a.public_jwk);
    s.TextOrNull(a.secret_hash).Int(a.created_us);
    int rc = s.Step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return Status(StatusCode::kAlreadyExists, "store: agent `" + a.name + "` already exists");
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "inserting an agent");
    return Status::Ok();
  }

  Result<std::optional<StoredAgent>> GetAgent(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("SELECT name, spiffe_id, owner, team, public_jwk, "
                                               "secret_hash, created_us FROM identity_agents "
                                               "WHERE name = ?"));
    s.Text(name);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredAgent>();
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading an agent");
    return std::optional<StoredAgent>(ReadAgent(s));
  }

  Result<std::vector<StoredAgent>> ListAgents() override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("SELECT name, spiffe_id, owner, team, public_jwk, "
                                               "secret_hash, created_us FROM identity_agents "
                                               "ORDER BY name"));
    std::vector<StoredAgent> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadAgent(s));
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing agents");
    return out;
  }

  Status InsertToken(const StoredToken& t) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s,
                          Prepare(std::string("INSERT INTO identity_tokens(") + kTokenColumns +
                                  ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    s.Text(t.jti).Text(t.kind).TextOrNull(t.parent_jti).Text(t.task_id).Text(t.agent);
    s.Text(t.user).Text(t.audience).TextOrNull(t.decision_id).Text(t.scopes).Int(t.depth);
    s.Int(t.issued_us).Int(t.expires_us).Int(t.single_use ? 1 : 0);
    if (t.consumed_us != 0) {
      s.Int(t.consumed_us);
    } else {
      s.TextOrNull("");
    }
    int rc = s.Step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return Status(StatusCode::kAlreadyExists, "store: token id already issued");
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "inserting a token");
    return Status::Ok();
  }

  Result<std::optional<StoredToken>> GetToken(const std::string& jti) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare(std::string("SELECT ") + kTokenColumns +
                                               " FROM identity_tokens WHERE jti = ?"));
    s.Text(jti);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredToken>();
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading a token");
    return std::optional<StoredToken>(ReadToken(s));
  }

  Result<std::vector<StoredToken>> TokensReachedBy(RevocationTarget target,
                                                   const std::string& value,
                                                   int64_t live_at_us) override {
    const char* column = "jti";
    switch (target) {
      case RevocationTarget::kToken:
        column = "jti";
        break;
      case RevocationTarget::kTask:
        column = "task_id";
        break;
      case RevocationTarget::kAgent:
        column = "agent";
        break;
      case RevocationTarget::kUser:
        column = "user_id";
        break;
    }
    std::string sql =
        std::string("WITH RECURSIVE reached(jti) AS (SELECT jti FROM identity_tokens WHERE ") +
        column +
        " = ? UNION SELECT t.jti FROM identity_tokens t JOIN reached r ON t.parent_jti = r.jti) "
        "SELECT " +
        kTokenColumns +
        " FROM identity_tokens WHERE jti IN (SELECT jti FROM reached) AND expires_us > ? "
        "ORDER BY issued_us, jti";
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare(sql));
    s.Text(value).Int(live_at_us);
    std::vector<StoredToken> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadToken(s));
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing revoked tokens");
    return out;
  }

  Result<bool> ConsumeToken(const std::string& jti, int64_t now_us) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("UPDATE identity_tokens SET consumed_us = ? "
                                               "WHERE jti = ? AND single_use = 1 AND "
                                               "consumed_us IS NULL"));
    s.Int(now_us).Text(jti);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "consuming a token");
    if (sqlite3_changes(db_.get()) == 1) return true;
    WRIT_ASSIGN_OR_RETURN(Statement exists, Prepare("SELECT 1 FROM identity_tokens WHERE jti = ?"));
    exists.Text(jti);
    rc = exists.Step();
    if (rc == SQLITE_DONE) return NotFound("store: no token with that id was issued");
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading a token");
    return false;
  }

  Result<bool> RecordAssertionJti(const std::string& client, const std::string& jti,
                                  int64_t expires_us) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s,
                          Prepare("INSERT INTO identity_assertion_jtis(client, jti, expires_us) "
                                  "VALUES(?,?,?) ON CONFLICT(client, jti) DO NOTHING"));
    s.Text(client).Text(jti).Int(expires_us);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "recording an assertion id");
    return sqlite3_changes(db_.get()) == 1;
  }

  Result<int64_t> PruneAssertionJtis(int64_t now_us) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s,
                          Prepare("DELETE FROM identity_assertion_jtis WHERE expires_us < ?"));
    s.Int(now_us);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "pruning assertion ids");
    return static_cast<int64_t>(sqlite3_changes(db_.get()));
  }

  Result<bool> InsertRevocation(StoredRevocation* r) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("INSERT INTO identity_revocations(target_kind, "
                                               "target, reason, time_us) VALUES(?,?,?,?) ON "
                                               "CONFLICT(target_kind, target) DO NOTHING"));
    s.Text(RevocationTargetName(r->target)).Text(r->value).Text(r->reason).Int(r->time_us);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "inserting a revocation");
    bool inserted = sqlite3_changes(db_.get()) == 1;
    WRIT_ASSIGN_OR_RETURN(Statement id, Prepare("SELECT id, reason, time_us FROM "
                                                "identity_revocations WHERE target_kind = ? AND "
                                                "target = ?"));
    id.Text(RevocationTargetName(r->target)).Text(r->value);
    rc = id.Step();
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading a revocation");
    r->id = id.ColInt(0);
    if (!inserted) {
      r->reason = id.ColText(1);
      r->time_us = id.ColInt(2);
    }
    return inserted;
  }

  Result<std::vector<StoredRevocation>> ListRevocations(int64_t after_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("SELECT id, target_kind, target, reason, time_us "
                                               "FROM identity_revocations WHERE id > ? ORDER BY "
                                               "id"));
    s.Int(after_id);
    std::vector<StoredRevocation> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      StoredRevocation r;
      r.id = s.ColInt(0);
      std::string kind = s.ColText(1);
      if (kind == "token") {
        r.target = RevocationTarget::kToken;
      } else if (kind == "task") {
        r.target = RevocationTarget::kTask;
      } else if (kind == "agent") {
        r.target = RevocationTarget::kAgent;
      } else if (kind == "user") {
        r.target = RevocationTarget::kUser;
      } else {
        return DataLoss("store: revocation " + std::to_string(r.id) + " has an unknown kind");
      }
      r.value = s.ColText(2);
      r.reason = s.ColText(3);
      r.time_us = s.ColInt(4);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing revocations");
    return out;
  }

  Status PutSecret(const StoredSecret& v) override {
    WRIT_RETURN_IF_ERROR(Writable());
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        Statement s,
        Prepare("INSERT INTO identity_secrets(name, sealed_value, audience, description, "
                "created_us, updated_us) VALUES(?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                "sealed_value = excluded.sealed_value, audience = excluded.audience, "
                "description = excluded.description, updated_us = excluded.updated_us"));
    s.Text(v.name).Blob(v.sealed_value).Text(v.audience).Text(v.description);
    s.Int(v.created_us).Int(v.updated_us);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "storing a secret");
    return Status::Ok();
  }

  Result<std::optional<StoredSecret>> GetSecret(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("SELECT name, sealed_value, audience, "
                                               "description, created_us, updated_us FROM "
                                               "identity_secrets WHERE name = ?"));
    s.Text(name);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<StoredSecret>();
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading a secret");
    return std::optional<StoredSecret>(ReadSecret(s, true));
  }

  Result<std::vector<StoredSecret>> ListSecrets() override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(Statement s, Prepare("SELECT name, NULL, audience, description, "
                                               "created_us, updated_us FROM identity_secrets "
                                               "ORDER BY name"));
    std::vector<StoredSecret> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadSecret(s, false));
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing secrets");
    return out;
  }

 private:
  static StoredSecret ReadSecret(const Statement& s, bool with_value) {
    StoredSecret v;
    v.name = s.ColText(0);
    if (with_value) v.sealed_value = s.ColText(1);
    v.audience = s.ColText(2);
    v.description = s.ColText(3);
    v.created_us = s.ColInt(4);
    v.updated_us = s.ColInt(5);
    return v;
  }

  Status Writable() const {
    return read_only_ ? FailedPrecondition("store: opened read-only") : Status::Ok();
  }

  Result<Statement> Prepare(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &s, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, "preparing a statement");
    return Statement(db_.get(), StmtPtr(s));
  }

  std::mutex mu_;
  DbPtr db_;
  bool read_only_;
};

}  // namespace

Result<std::unique_ptr<IdentityStore>> OpenSqliteIdentityStore(const std::string& path,
                                                               const SqliteOptions& options) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteError(db.get(), rc, "opening the identity tables");
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  WRIT_RETURN_IF_ERROR(Exec(db.get(),
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                            "PRAGMA foreign_keys=ON;",
                            "configuring the identity connection"));
  return std::unique_ptr<IdentityStore>(
      std::make_unique<SqliteIdentityStore>(std::move(db), options.read_only));
}

}  // namespace writ::store
