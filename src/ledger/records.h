// Typed ledger records: what each kind of evidence holds, with conversion to and from the JSON
// body of a record (record.h). Every field is documented in docs/ledger.md. Empty strings,
// empty lists and empty objects are left out of the JSON; a missing member reads back as empty.
// FromJson refuses a member of the wrong type (invalid_argument) and ignores unknown members
// (so that older binaries can read newer records).
//
// The decision service fills a DecisionRecord for every decision, allowed or denied, and turns
// it into a LedgerEntry through an EvidencePolicy (evidence.h), which applies the evidence depth
// and digests sensitive fields.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "ledger/record.h"

namespace writ::ledger {

enum class Verdict : uint8_t { kAllow, kDeny, kApprovalRequired };
enum class RiskTier : uint8_t { kLow, kMedium, kHigh, kCritical };
enum class TransitionClass : uint8_t {
  kPrivilegeEscalation,
  kDataExport,
  kExternalToolInvocation,
  kApprovalOverride,
};
enum class EvidenceDepth : uint8_t { kFull, kSummary };

std::string_view VerdictName(Verdict v);  // "allow", "deny", "approval_required"
Result<Verdict> ParseVerdict(std::string_view s);
std::string_view RiskTierName(RiskTier r);  // "low", "medium", "high", "critical"
Result<RiskTier> ParseRiskTier(std::string_view s);
// "privilege_escalation", "data_export", "external_tool_invocation", "approval_override"
std::string_view TransitionClassName(TransitionClass t);
Result<TransitionClass> ParseTransitionClass(std::string_view s);
std::string_view EvidenceDepthName(EvidenceDepth d);  // "full", "summary"
Result<EvidenceDepth> ParseEvidenceDepth(std::string_view s);

// Who acted: the principal Cedar saw, on whose behalf, through which delegations.
struct IdentityChain {
  std::string principal;                 // Cedar principal, e.g. Agent::"mailer"
  std::string user;                      // the human on whose behalf, e.g. User::"alice"
  std::vector<std::string> actor_chain;  // outermost first: orchestrator, sub-agent, ...
  std::string token_id;                  // jti of the token presented
  std::string spiffe_id;                 // spiffe://<trust-domain>/agent/<name>
  bool operator==(const IdentityChain&) const = default;
};

struct DecisionRequest {
  std::string action;           // Cedar action, e.g. Action::"tools/call:send_email"
  std::string resource;         // Cedar resource
  boost::json::object context;  // Cedar context (tool arguments under "input")
  bool operator==(const DecisionRequest&) const = default;
};

struct DecisionRecord {
  std::string decision_id;
  std::string task_id;
  std::string intent;            // the task's declared intent
  boost::json::object upstream;  // upstream context: caller, request id, prompt digest, ...
  DecisionRequest request;
  IdentityChain identity;
  Verdict verdict = Verdict::kDeny;
  std::string reason;  // message given to the agent when denied
  std::vector<std::string> determining_policies;
  std::vector<std::string> erroring_policies;
  std::string policy_set_hash;                  // hex SHA-256 of the policy set (kept as a blob)
  std::string entities_hash;                    // hex SHA-256 of the entity data (kept as a blob)
  boost::json::array obligations;               // what narrows an allowed call
  std::vector<std::string> credentials_issued;  // ids of credentials minted for this decision
  // The approval this decision asked for (approval_required), found denied, or consumed (allow).
  std::string approval_id;
  RiskTier risk = RiskTier::kLow;
  std::vector<TransitionClass> transitions;
  std::string trace_id;  // W3C trace context: 32 hex digits
  std::string span_id;   // 16 hex digits
  std::string parent_span_id;
  int64_t latency_us = 0;
  std::string node;                               // the Writ node that decided
  EvidenceDepth evidence = EvidenceDepth::kFull;  // set by the EvidencePolicy

  boost::json::object ToJson() const&;
  // The same object; the record's JSON members (upstream, context, obligations) are moved in.
  boost::json::object ToJson() &&;
  static Result<DecisionRecord> FromJson(const boost::json::object& o);
  bool operator==(const DecisionRecord&) const = default;
};

struct TaskStartRecord {
  std::string task_id, decision_id, principal, user, spiffe_id, intent, token_id, trace_id;
  std::string expires_at;  // RFC 3339
  boost::json::object ToJson() const;
  static Result<TaskStartRecord> FromJson(const boost::json::object& o);
  bool operator==(const TaskStartRecord&) const = default;
};

struct TaskEndRecord {
  std::string task_id, principal, reason, trace_id;
  int64_t revoked_credentials = 0;
  boost::json::object ToJson() const;
  static Result<TaskEndRecord> FromJson(const boost::json::object& o);
  bool operator==(const TaskEndRecord&) const = default;
};

struct DelegationRecord {
  std::string task_id, decision_id, principal /* delegator */, delegate, parent_token_id,
      child_token_id, expires_at, trace_id;
  std::vector<std::string> actor_chain, scopes;
  int64_t depth = 0;
  boost::json::object ToJson() const;
  static Result<DelegationRecord> FromJson(const boost::json::object& o);
  bool operator==(const DelegationRecord&) const = default;
};

// credential_issue, credential_use and credential_revoke.
struct CredentialRecord {
  std::string credential_id, credential_type /* task_token, delegated_token, jit, secret */,
      task_id, decision_id, principal, audience, expires_at, reason, revoked_via;
  std::vector<std::string> scopes;
  boost::json::object ToJson() const;
  static Result<CredentialRecord> FromJson(const boost::json::object& o);
  bool operator==(const CredentialRecord&) const = default;
};

// approval_request, approval_grant, approval_deny and approval_override. An approval_request
// also names what the approval binds to: the request's digest, the policy set and the expiry.
struct ApprovalRecord {
  std::string approval_id, decision_id, task_id, principal, approver, group, reason;
  std::string request_digest;   // hex SHA-256 binding the request (DecisionEngine::RequestDigest)
  std::string policy_set_hash;  // hex content hash of the policy set it was asked under
  std::string expires_at;       // RFC 3339: when it expires, decided or not
  boost::json::object ToJson() const;
  static Result<ApprovalRecord> FromJson(const boost::json::object& o);
  bool operator==(const ApprovalRecord&) const = default;
};

struct OutcomeRecord {
  std::string decision_id, task_id, principal, status /* success, error */, result_digest, error,
      trace_id;
  int64_t result_size = 0;
  int64_t latency_us = 0;
  boost::json::object ToJson() const;
  static Result<OutcomeRecord> FromJson(const boost::json::object& o);
  bool operator==(const OutcomeRecord&) const = default;
};

// policy_set_loaded and entity_data_loaded.
struct VersionLoadedRecord {
  std::string content_hash, previous_hash, source, node;
  int64_t size = 0;
  boost::json::object ToJson() const;
  static Result<VersionLoadedRecord> FromJson(const boost::json::object& o);
  bool operator==(const VersionLoadedRecord&) const = default;
};

struct KeyRotationRecord {
  std::string key_use /* token_signing, ledger_checkpoint */, old_key_id, new_key_id, reason;
  boost::json::object ToJson() const;
  static Result<KeyRotationRecord> FromJson(const boost::json::object& o);
  bool operator==(const KeyRotationRecord&) const = default;
};

// Written by the ledger itself: the signed checkpoint of the tree of `tree_size` records.
struct CheckpointRecord {
  int64_t tree_size = 0;
  std::string root;  // base64, as in the note
  std::string note;  // the signed note
  boost::json::object ToJson() const;
  static Result<CheckpointRecord> FromJson(const boost::json::object& o);
  bool operator==(const CheckpointRecord&) const = default;
};

}  // namespace writ::ledger
