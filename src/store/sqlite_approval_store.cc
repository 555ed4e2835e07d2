#include "store/sqlite_approval_store.h"

#include <mutex>
#include <string>
#include <unordered_map>

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
    if (a.status == "pending" || a.status == "granted") {
      Opened(a.request_digest, RequestKey(a.principal, a.action, a.resource));
    }
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

  Result<bool> MayHaveOpenApproval(const std::string& principal, const std::string& action,
                                   const std::string& resource) override {
    if (read_only_) return true;
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_loaded_) WRIT_RETURN_IF_ERROR(LoadOpen());
    return open_requests_.count(RequestKey(principal, action, resource)) > 0;
  }

  Result<std::optional<StoredApproval>> FindOpenApproval(const std::string& digest,
                                                         const std::string& version,
                                                         int64_t now_us) override {
    std::lock_guard<std::mutex> lock(mu_);
    // Most requests have no approval: the in-memory set of open digests answers them without
    // a query (see open_).
    if (!read_only_) {
      if (!open_loaded_) WRIT_RETURN_IF_ERROR(LoadOpen());
      if (open_.find(digest) == open_.end()) return std::optional<StoredApproval>();
    }
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
                                   "'pending' AND expires_us > ? RETURNING request_digest, "
                                   "principal, action, resource"));
    BindText(s.get(), 1, grant ? "granted" : "denied");
    BindText(s.get(), 2, approver);
    BindText(s.get(), 3, note);
    sqlite3_bind_int(s.get(), 4, override_ ? 1 : 0);
    sqlite3_bind_int64(s.get(), 5, now_us);
    BindText(s.get(), 6, id);
    sqlite3_bind_int64(s.get(), 7, now_us);
    std::string digest, request;
    WRIT_ASSIGN_OR_RETURN(bool changed,
                          ChangeOne(s.get(), "deciding an approval", &digest, &request));
    if (!changed) return Explain(id, now_us, "decided");
    if (!grant) Closed(digest, request);
    return Status::Ok();
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
                                   "AND policy_version = ? AND expires_us > ? "
                                   "RETURNING request_digest, principal, action, resource"));
    BindText(s.get(), 1, decision_id);
    BindText(s.get(), 2, id);
    BindText(s.get(), 3, digest);
    BindText(s.get(), 4, version);
    sqlite3_bind_int64(s.get(), 5, now_us);
    std::string matched, request;
    WRIT_ASSIGN_OR_RETURN(bool changed,
                          ChangeOne(s.get(), "consuming an approval", &matched, &request));
    if (!changed) return Explain(id, now_us, "used");
    Closed(matched, request);
    return Status::Ok();
  }

  Status ReopenApproval(const std::string& id, const std::string& approver) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr before,
                          sqlite::Prepare(db_.get(), "SELECT status FROM approvals WHERE id = ?"));
    BindText(before.get(), 1, id);
    int rc = sqlite3_step(before.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return SqliteError(db_.get(), rc, "reopening an approval");
    }
    bool was_denied = rc == SQLITE_ROW && ColumnText(before.get(), 0) == "denied";
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, sqlite::Prepare(db_.get(),
                                   "UPDATE approvals SET status = 'pending', approver = '', "
                                   "note = '', override = 0, decided_us = 0 WHERE id = ? AND "
                                   "status IN ('granted', 'denied') AND approver = ? "
                                   "RETURNING request_digest, principal, action, resource"));
    BindText(s.get(), 1, id);
    BindText(s.get(), 2, approver);
    std::string digest, request;
    WRIT_ASSIGN_OR_RETURN(bool changed,
                          ChangeOne(s.get(), "reopening an approval", &digest, &request));
    if (!changed) return CannotChange(id, "reopened for " + approver);
    if (was_denied) Opened(digest, request);  // a grant was still counted as open
    return Status::Ok();
  }

  Status ReleaseApproval(const std::string& id, const std::string& decision_id) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(
        StmtPtr s, sqlite::Prepare(db_.get(),
                                   "UPDATE approvals SET status = 'granted', consumed_by = '' "
                                   "WHERE id = ? AND status = 'consumed' AND consumed_by = ? "
                                   "RETURNING request_digest, principal, action, resource"));
    BindText(s.get(), 1, id);
    BindText(s.get(), 2, decision_id);
    std::string digest, request;
    WRIT_ASSIGN_OR_RETURN(bool changed,
                          ChangeOne(s.get(), "releasing an approval", &digest, &request));
    if (!changed) return CannotChange(id, "released for decision " + decision_id);
    Opened(digest, request);
    return Status::Ok();
  }

  Status WithdrawApproval(const std::string& id) override {
    if (read_only_) return FailedPrecondition("store: opened read-only");
    std::lock_guard<std::mutex> lock(mu_);
    WRIT_ASSIGN_OR_RETURN(StmtPtr s,
                          sqlite::Prepare(db_.get(),
                                          "DELETE FROM approvals WHERE id = ? AND "
                                          "status = 'pending' RETURNING "
                                          "request_digest, principal, action, resource"));
    BindText(s.get(), 1, id);
    std::string digest, request;
    WRIT_ASSIGN_OR_RETURN(bool changed,
                          ChangeOne(s.get(), "withdrawing an approval", &digest, &request));
    if (!changed) return CannotChange(id, "withdrawn");
    Closed(digest, request);
    return Status::Ok();
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

  // The key of open_requests_: the three texts, each after its length.
  static std::string RequestKey(const std::string& principal, const std::string& action,
                                const std::string& resource) {
    std::string key;
    for (const std::string* part : {&principal, &action, &resource}) {
      key += std::to_string(part->size());
      key += ':';
      key += *part;
    }
    return key;
  }

  // Runs `s`, a change of at most one approval that RETURNs its request_digest, principal,
  // action and resource (called with mu_ held). True when it changed one, with `*digest` and
  // `*request` (a RequestKey) set; false when none matched.
  Result<bool> ChangeOne(sqlite3_stmt* s, const char* what, std::string* digest,
                         std::string* request) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, what);
    *digest = ColumnText(s, 0);
    *request = RequestKey(ColumnText(s, 1), ColumnText(s, 2), ColumnText(s, 3));
    rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return SqliteError(db_.get(), rc, what);
    return true;
  }

  // Why approval `id` could not be `what` (called with mu_ held): not_found when there is none,
  // else failed_precondition naming its status.
  Status CannotChange(const std::string& id, const std::string& what) {
    WRIT_ASSIGN_OR_RETURN(StmtPtr found,
                          sqlite::Prepare(db_.get(), "SELECT status FROM approvals WHERE id = ?"));
    BindText(found.get(), 1, id);
    int rc = sqlite3_step(found.get());
    if (rc == SQLITE_DONE) return NotFound("no approval with id `" + id + "`");
    if (rc != SQLITE_ROW) return SqliteError(db_.get(), rc, "reading an approval");
    return FailedPrecondition("approval `" + id + "` is " + ColumnText(found.get(), 0) +
                              " and cannot be " + what);
  }

  // Fills open_ and open_requests_ from the table (called with mu_ held).
  Status LoadOpen() {
    WRIT_ASSIGN_OR_RETURN(StmtPtr s, sqlite::Prepare(db_.get(),
                                                     "SELECT request_digest, principal, action, "
                                                     "resource FROM approvals WHERE status IN "
                                                     "('pending', 'granted')"));
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      ++open_[ColumnText(s.get(), 0)];
      ++open_requests_[RequestKey(ColumnText(s.get(), 1), ColumnText(s.get(), 2),
                                  ColumnText(s.get(), 3))];
    }
    if (rc != SQLITE_DONE) {
      open_.clear();
      open_requests_.clear();
      return SqliteError(db_.get(), rc, "loading open approvals");
    }
    open_loaded_ = true;
    return Status::Ok();
  }

  // An approval of `digest` and `request` (a RequestKey) entered the pending or granted state
  // (called with mu_ held).
  void Opened(const std::string& digest, const std::string& request) {
    if (!open_loaded_) return;
    ++open_[digest];
    ++open_requests_[request];
  }

  // An approval of `digest` and `request` (a RequestKey) left the pending and granted states
  // (called with mu_ held).
  void Closed(const std::string& digest, const std::string& request) {
    auto drop = [](std::unordered_map<std::string, uint32_t>& counts, const std::string& key) {
      auto it = counts.find(key);
      if (it != counts.end() && --it->second == 0) counts.erase(it);
    };
    drop(open_, digest);
    drop(open_requests_, request);
  }

  std::mutex mu_;
  DbPtr db_;
  bool read_only_;
  // How many approvals are pending or granted, by request digest — every row written through
  // this store counted, as the embedded store has one writing process. Expiry is not tracked:
  // the set only spares the query when a digest has no open approval at all; a digest in it is
  // still looked up in the table with its expiry. A read-only store (another process, beside a
  // running server) always queries.
  std::unordered_map<std::string, uint32_t> open_;
  // The same count by principal, action and resource (RequestKey), whatever the input.
  std::unordered_map<std::string, uint32_t> open_requests_;
  bool open_loaded_ = false;
};

}  // namespace

Result<std::unique_ptr<ApprovalStore>> OpenSqliteApprovalStore(const std::string& path,
                                                               const SqliteOptions& options) {
  WRIT_ASSIGN_OR_RETURN(DbPtr db, sqlite::OpenDatabase(path, options, "the approval table"));
  return std::unique_ptr<ApprovalStore>(
      std::make_unique<SqliteApprovalStore>(std::move(db), options.read_only));
}

}  // namespace writ::store
