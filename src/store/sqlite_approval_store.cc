#include "store/sqlite_approval_store.h"

#include <mutex>

#include "store/sqlite_schema.h"
#include "store/sqlite_util.h"

namespace writ::store {
namespace {

using sqlite::BindText;
using sqlite::ColumnText;
using sqlite::DbPtr;
using sqlite::StmtPtr;

constexpr const char* kColumns =
    "id, decision_id, request_digest, policy_version, grp, status, principal, action, resource, "
    "summary, approver, note, override, consumed_by, created_us, expires_us, decided_us";

StoredApproval ReadApproval(sqlite3_stmt* s) {
  StoredApproval a;
  a.id = ColumnText(s, 0);
  a.decision_id = ColumnText(s, 1);
  a.request_digest = ColumnText(s, 2);
  a.policy_version = ColumnText(s, 3);
  a.group = ColumnText(s, 4);
  a.status = ColumnText(s, 5);
  a.principal = ColumnText(s, 6);
  a.action = ColumnText(s, 7);
  a.resource = ColumnText(s, 8);
  a.summary = ColumnText(s, 9);
  a.approver = ColumnText(s, 10);
  a.note = ColumnText(s, 11);
  a.override_ = sqlite3_column_int(s, 12) != 0;
  a.consumed_by = ColumnText(s, 13);
  a.created_us = sqlite3_column_int64(s, 14);
  a.expires_us = sqlite3_column_int64(s, 15);
  a.decided_us = sqlite3_column_int64(s, 16);
  return a;
}

class SqliteApprovalStore final : public ApprovalStore {
 public:
  SqliteApprovalStore(DbPtr db, bool read_only) : db_(std::move(db)), read_only_(read_only) {}

  Status InsertApproval(const StoredApproval& a) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, sqlite::Prepare(db_.get(), std::string("INSERT INTO approvals(") + kColumns +
                                                  ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    BindText(s.get(), 1, a.id);
    BindText(s.get(), 2, a.decision_id);
    BindText(s.get(), 3, a.request_digest);
    BindText(s.get(), 4, a.policy_version);
    BindText(s.get(), 5, a.group);
    BindText(s.get(), 6, a.status);
    BindText(s.get(), 7, a.principal);
    BindText(s.get(), 8, a.action);
    BindText(s.get(), 9, a.resource);
    BindText(s.get(), 10, a.summary);
    BindText(s.get(), 11, a.approver);
    BindText(s.get(), 12, a.note);
    sqlite3_bind_int(s.get(), 13, a.override_ ? 1 : 0);
    BindText(s.get(), 14, a.consumed_by);
    sqlite3_bind_int64(s.get(), 15, a.created_us);
    sqlite3_bind_int64(s.get(), 16, a.expires_us);
    sqlite3_bind_int64(s.get(), 17, a.decided_us);
    int rc = sqlite3_step(s.get());
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return Status(StatusCode::kAlreadyExists, "store: an approval with id `" + a.id + "` exists");
    }
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "inserting an approval");
    return Status::Ok();
  }

  Result<std::optional<StoredApproval>> GetApproval(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr s,
                          sqlite::Prepare(db_.get(), std::string("SELECT ") + kColumns +
                                                         " FROM approvals WHERE id = ?"));
    BindText(s.get(), 1, id);
    return One(s.get(), "reading an approval");
  }

  Result<std::optional<StoredApproval>> FindOpenApproval(const std::string& digest,
                                                         const std::string& version,
                                                         int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, sqlite::Prepare(db_.get(), std::string("SELECT ") + kColumns +
                                                  " FROM approvals WHERE request_digest = ? AND "
                                                  "policy_version = ? AND status IN ('pending', "
                                                  "'granted') AND expires_us > ? ORDER BY "
                                                  "created_us DESC LIMIT 1"));
    BindText(s.get(), 1, digest);
    BindText(s.get(), 2, version);
    sqlite3_bind_int64(s.get(), 3, now_us);
    return One(s.get(), "finding an approval");
  }

  Result<std::vector<StoredApproval>> ListApprovals(const std::string& status,
                                                    size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string sql = std::string("SELECT ") + kColumns + " FROM approvals" +
                      (status.empty() ? "" : " WHERE status = ?") +
                      " ORDER BY created_us DESC, id LIMIT ?";
    WRIT_ASSIGN_OR_RETURN(StmtPtr s, sqlite::Prepare(db_.get(), sql));
    int i = 1;
    if (!status.empty()) BindText(s.get(), i++, status);
    sqlite3_bind_int64(s.get(), i, static_cast<int64_t>(limit));
    std::vector<StoredApproval> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(ReadApproval(s.get()));
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "listing approvals");
    return out;
  }

  Status DecideApproval(const std::string& id, bool grant, const std::string& approver,
                        const std::string& note, bool override_, int64_t now_us) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, sqlite::Prepare(db_.get(),
                                   "UPDATE approvals SET status = ?, approver = ?, note = ?, "
                                   "override = ?, decided_us = ? WHERE id = ? AND status = "
                                   "'pending' AND expires_us > ?"));
    BindText(s.get(), 1, grant ? "granted" : "denied");
    BindText(s.get(), 2, approver);
    BindText(s.get(), 3, note);
    sqlite3_bind_int(s.get(), 4, override_ ? 1 : 0);
    sqlite3_bind_int64(s.get(), 5, now_us);
    BindText(s.get(), 6, id);
    sqlite3_bind_int64(s.get(), 7, now_us);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "deciding an approval");
    if (sqlite3_changes(db_.get()) == 1) return Status::Ok();
    return Explain(id, now_us, "decided");
  }

  Status ConsumeApproval(const std::string& id, const std::string& digest,
                         const std::string& version, const std::string& decision_id,
                         int64_t now_us) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, sqlite::Prepare(db_.get(),
                                   "UPDATE approvals SET status = 'consumed', consumed_by = ? "
                                   "WHERE id = ? AND status = 'granted' AND request_digest = ? "
                                   "AND policy_version = ? AND expires_us > ?"));
    BindText(s.get(), 1, decision_id);
    BindText(s.get(), 2, id);
    BindText(s.get(), 3, digest);
    BindText(s.get(), 4, version);
    sqlite3_bind_int64(s.get(), 5, now_us);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, "consuming an approval");
    if (sqlite3_changes(db_.get()) == 1) return Status::Ok();
    return Explain(id, now_us, "used");
  }

  Result<int64_t> CountPending(int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr s,
                          sqlite::Prepare(db_.get(),
                                          "SELECT count(*) FROM approvals WHERE status = "
                                          "'pending' AND expires_us > ?"));
    sqlite3_bind_int64(s.get(), 1, now_us);
    int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "counting approvals");
    return sqlite3_column_int64(s.get(), 0);
  }

 private:
  Result<std::optional<StoredApproval>> One(sqlite3_stmt* s, const char* what) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return std::optional<StoredApproval>();
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, what);
    return std::optional<StoredApproval>(ReadApproval(s));
  }

  // Why a conditional update changed nothing (called with mu_ held).
  Status Explain(const std::string& id, int64_t now_us, const char* verb) {
    auto s = sqlite::Prepare(db_.get(), "SELECT status, expires_us FROM approvals WHERE id = ?");
    if (!s.ok()) return s.status();
    BindText(s->get(), 1, id);
    int rc = sqlite3_step(s->get());
    if (rc == SQLITE_DONE) return NotFound("no approval with id `" + id + "`");
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading an approval");
    std::string status = ColumnText(s->get(), 0);
    if (sqlite3_column_int64(s->get(), 1) <= now_us) {
      return FailedPrecondition("approval `" + id + "` has expired and cannot be " + verb);
    }
    return FailedPrecondition("approval `" + id + "` is " + status + " and cannot be " + verb +
                              " now");
  }

  std::mutex mu_;
  DbPtr db_;
  bool read_only_;
};

}  // namespace

Result<std::unique_ptr<ApprovalStore>> OpenSqliteApprovalStore(const std::string& path,
                                                               const SqliteOptions& options) {
  WRIT_ASSIGN_OR_RETURN(DbPtr db, sqlite::OpenDatabase(path, options, "the approval table"));
  return std::unique_ptr<ApprovalStore>(
      std::make_unique<SqliteApprovalStore>(std::move(db), options.read_only));
}

}  // namespace writ::store
