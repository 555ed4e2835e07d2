// Human approvals of held decisions.
//
// A decision whose allow depends on an @approval permit creates a pending approval bound to the
// request (a digest of principal, action, resource and arguments) and to the policy-set version
// it was decided under. An approver grants or denies it; a grant is consumed exactly once, by
// the decision that it allows, and only while it has not expired and the request and policy
// version still match. An administrator may override (grant regardless of group), which is
// recorded as such.
//
// The contract of store.h holds for every method: an error means nothing was changed, a write
// that returns ok is durable, and the interface may be used from any number of threads (and
// by several Writ nodes sharing a database: state changes are single conditional updates).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace writ::store {

struct StoredApproval {
  std::string id;
  std::string decision_id;     // the decision that asked for it
  std::string request_digest;  // hex SHA-256 binding the request
  std::string policy_version;  // hex policy-set hash it was decided under
  std::string group;           // the approver group named by @approval
  std::string status;          // pending, granted, denied, consumed (expiry is by time)
  std::string principal, action, resource;
  std::string summary;   // JSON shown to approvers (may be digested)
  std::string approver;  // who granted or denied
  std::string note;
  bool override_ = false;   // granted by an administrator override
  std::string consumed_by;  // the decision that used the grant
  int64_t created_us = 0;
  int64_t expires_us = 0;
  int64_t decided_us = 0;
};

class ApprovalStore {
 public:
  virtual ~ApprovalStore() = default;

  // already_exists when the id is taken.
  virtual Status InsertApproval(const StoredApproval& a) = 0;
  virtual Result<std::optional<StoredApproval>> GetApproval(const std::string& id) = 0;
  // False only when no approval of this principal, action and resource (entity texts, as in
  // StoredApproval) is pending or granted, whatever its input: the caller need not make the
  // request's digest to look one up. True otherwise, expired ones included.
  virtual Result<bool> MayHaveOpenApproval(const std::string& principal, const std::string& action,
                                           const std::string& resource) = 0;
  // The newest approval for this request digest and policy version that is pending or granted
  // and unexpired at `now_us`, if any.
  virtual Result<std::optional<StoredApproval>> FindOpenApproval(const std::string& request_digest,
                                                                 const std::string& policy_version,
                                                                 int64_t now_us) = 0;
  // Approvals in a status ("" for all), newest first.
  virtual Result<std::vector<StoredApproval>> ListApprovals(const std::string& status,
                                                            size_t limit) = 0;
  // pending -> granted/denied, only while unexpired. failed_precondition when the approval is
  // not pending or has expired; not_found when there is none.
  virtual Status DecideApproval(const std::string& id, bool grant, const std::string& approver,
                                const std::string& note, bool override_, int64_t now_us) = 0;
  // granted -> consumed by `decision_id`, only while unexpired and bound to the same digest and
  // version. failed_precondition otherwise (already used, expired, other request).
  virtual Status ConsumeApproval(const std::string& id, const std::string& request_digest,
                                 const std::string& policy_version, const std::string& decision_id,
                                 int64_t now_us) = 0;
  // granted or denied -> pending again, when the record of `approver`'s decision could not be
  // written (so that a decision the ledger does not hold does not take effect). Only while it
  // is still as `approver` left it: failed_precondition otherwise (consumed meanwhile, or
  // decided by another), not_found when there is none.
  virtual Status ReopenApproval(const std::string& id, const std::string& approver) = 0;
  // consumed -> granted again, when the decision `decision_id` that consumed it could not be
  // recorded (it failed closed: the call was denied, so the grant was not used).
  // failed_precondition when it is not consumed by that decision, not_found when there is none.
  virtual Status ReleaseApproval(const std::string& id, const std::string& decision_id) = 0;
  // Removes a pending approval whose request could not be recorded (its decision failed closed),
  // so that nobody can decide or use an approval the ledger does not name. failed_precondition
  // when it is no longer pending (decided meanwhile), not_found when there is none.
  virtual Status WithdrawApproval(const std::string& id) = 0;
  // The number of pending, unexpired approvals.
  virtual Result<int64_t> CountPending(int64_t now_us) = 0;
};

}  // namespace writ::store
