// The decision pipeline: from a verified caller and a call to a recorded verdict.
//
// For each request the engine:
//  1. builds the Cedar request: the principal is the acting agent (Agent::"<name>") with the
//     user it acts for, its team and owner, the delegation chain and depth, scopes and task
//     (request-time entities layered over the bundle's entity data; docs/entity-model.md);
//     the action and resource as the caller names them; the context the caller sent (arguments
//     under `input`, `prompt`, `upstream`, ...) plus what Writ knows (`intent`, `task`,
//     `approval`, `trace`, `time`, `delegation_depth`), which callers cannot override;
//  2. authorizes it against the current bundle;
//  3. applies Writ's annotations: an allow that only @approval permits determine becomes
//     `approval_required` (a pending approval bound to the request is created, and recorded as
//     an `approval_request` in the same batch as the decision) unless a granted approval for
//     this very request exists, which is then consumed; @narrow obligations of the determining
//     permits narrow the arguments or deny when they cannot be met; @reason gives a denied agent
//     its message; @risk, @transition and @log set the evidence;
//  4. writes the decision record to the ledger (evidence depth and sensitive-field digests by
//     the EvidencePolicy) and answers only once it is durable. If the ledger cannot record,
//     the answer is deny with code `ledger_unavailable` (fail closed), naming no approval, and a
//     pending approval the decision created is withdrawn.
//
// Thread-safety: Decide may be called from any number of threads at once.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "authz/bundle.h"
#include "authz/obligations.h"
#include "base/clock.h"
#include "ledger/evidence.h"
#include "ledger/ledger.h"
#include "ledger/records.h"
#include "store/approval_store.h"

namespace writ::authz {

// Who is calling, as established from a verified token.
struct Caller {
  std::string agent;      // agent name: the principal is Agent::"<agent>"
  std::string spiffe_id;  // spiffe://<trust-domain>/agent/<agent>
  std::string team;
  std::string owner;
  std::string user;                      // subject of the user the agent acts for ("" if none)
  std::vector<std::string> user_groups;  // the user's groups (UserGroup parents)
  std::string task_id;
  std::string token_id;
  std::string intent;                    // the task's declared intent
  std::vector<std::string> actor_chain;  // delegators, outermost first
  int64_t delegation_depth = 0;
  std::vector<std::string> scopes;
};

struct TraceContext {
  std::string trace_id;  // 32 hex digits
  std::string span_id;   // 16 hex digits: this decision's span
  std::string parent_span_id;
};

// A just-in-time credential asked for with a decision: minted only when the verdict is allow,
// for one audience, with its lifetime and scopes narrowed by the decision's obligations.
struct CredentialAsk {
  std::string audience;
  int64_t lifetime_s = 0;  // 0: the issuer's default
  // Empty: the caller's. A scopes(...) obligation keeps the allowed ones; when it keeps none
  // the decision is denied (obligation_unmet) and nothing is minted, never an empty list.
  std::vector<std::string> scopes;
};

struct MintedCredential {
  std::string id;     // its token id
  std::string token;  // the bearer credential, returned to the caller only
  int64_t expires_us = 0;
  std::vector<std::string> scopes;
};

// Mints credentials for allowed decisions (the service wires identity into it).
class CredentialMinter {
 public:
  virtual ~CredentialMinter() = default;
  // `presented_token` is the token the decision was made for; `decision_id` binds the
  // credential to the decision.
  virtual Result<MintedCredential> Mint(const std::string& presented_token,
                                        const std::string& decision_id,
                                        const CredentialAsk& ask) = 0;
};

struct DecisionInput {
  Caller caller;
  std::string presented_token;  // the caller's token (for minting credentials)
  std::optional<CredentialAsk> credential;
  std::string action;         // id of an Action entity ("tools/call"), or a full uid
  std::string resource_type;  // e.g. "Tool"
  std::string resource_id;    // e.g. "filesystem/read_file"
  boost::json::object context;
  std::string approval_id;  // an approval the caller presents (optional)
  TraceContext trace;
  // A listing probe (the MCP gateway filtering tools/list): may the caller be offered this
  // action before any arguments exist? The context is not checked against the schema (keys it
  // requires, such as `input`, may be missing; policies that read them error and are skipped),
  // and an allow that needs an approval creates no pending approval. Recorded like any other
  // decision.
  bool listing = false;
};

// Machine codes of a decision that is not a plain allow: the `code` of POST /v1/authorize's
// answer (api_authorize.cc) and of the MCP gateway's refusals (docs/gateway.md).
inline constexpr const char* kCodePolicyDenied = "policy_denied";  // a forbid applied
inline constexpr const char* kCodeNoPermit = "no_permit";          // default deny
inline constexpr const char* kCodeObligationUnmet = "obligation_unmet";
inline constexpr const char* kCodeApprovalRequired = "approval_required";
inline constexpr const char* kCodeApprovalDenied = "approval_denied";
inline constexpr const char* kCodeLedgerUnavailable = "ledger_unavailable";
inline constexpr const char* kCodeInvalidRequest = "invalid_request";
inline constexpr const char* kCodeCredentialUnavailable =
    "credential_unavailable";  // context does not fit the schema

struct DecisionOutcome {
  std::string decision_id;
  ledger::Verdict verdict = ledger::Verdict::kDeny;
  std::string code;    // empty for an allow; see the kCode* constants
  std::string reason;  // for the agent, when not allowed
  std::vector<std::string> determining_policies;
  std::vector<std::string> erroring_policies;
  ObligationSet obligations;
  std::optional<boost::json::object> narrowed_input;  // when obligations changed the arguments
  std::string approval_id;                            // approval_required, or the one consumed
  std::optional<MintedCredential> credential;         // when asked for and allowed
  ledger::RiskTier risk = ledger::RiskTier::kLow;
  std::vector<ledger::TransitionClass> transitions;
  std::string policy_version;
  uint64_t ledger_seq = 0;
  int64_t latency_us = 0;
  TraceContext trace;

  boost::json::object ToJson() const;  // the API's response body
};

struct DecisionMetrics {
  std::atomic<uint64_t> allow{0}, deny{0}, approval_required{0}, ledger_failures{0},
      evaluation_errors{0};
};

struct EngineOptions {
  std::string node;                            // this node's name (the ledger origin)
  int64_t approval_ttl_us = 3600LL * 1000000;  // how long a pending approval stays open
  CredentialMinter* minter = nullptr;          // null: credentials cannot be asked for
};

// Where the current bundle comes from (hot reload swaps it).
class BundleSource {
 public:
  virtual ~BundleSource() = default;
  virtual std::shared_ptr<const Bundle> Current() const = 0;
};

class DecisionEngine {
 public:
  DecisionEngine(const BundleSource& bundles, ledger::Ledger& ledger,
                 const ledger::EvidencePolicy& evidence, store::ApprovalStore& approvals,
                 const Clock& clock, EngineOptions options);

  using DecisionCallback = std::function<void(Result<DecisionOutcome>)>;

  // Decides and hands the record to the ledger; `done` is called exactly once, when the
  // record is durable (or the ledger failed, which makes the answer a deny), on the ledger's
  // completion thread or, for errors and refusals found before recording, on the calling
  // thread. It must be short. invalid_argument (nothing recorded) when the request is
  // malformed: unknown action text, a context that does not conform to the schema.
  void DecideAsync(const DecisionInput& input, DecisionCallback done);
  // The same, blocking until the record is durable.
  Result<DecisionOutcome> Decide(const DecisionInput& input);

  const DecisionMetrics& metrics() const { return metrics_; }

  // The digest that binds an approval to a request: hex SHA-256 of the canonical JSON of
  // {principal, action, resource, input}.
  static std::string RequestDigest(const std::string& principal, const std::string& action,
                                   const std::string& resource, const boost::json::value& input);

 private:
  struct Prepared {
    DecisionOutcome outcome;
    std::vector<ledger::LedgerEntry> entries;
    int64_t start_us = 0;
    // The pending approval this decision created: withdrawn when its record cannot be written.
    std::string created_approval_id;
    // The grant this decision consumed: given back when its record cannot be written.
    std::string consumed_approval_id;
  };
  Result<Prepared> Prepare(const DecisionInput& input);
  void Count(const DecisionOutcome& out);
  void FailClosed(DecisionOutcome& out);

  const BundleSource& bundles_;
  ledger::Ledger& ledger_;
  const ledger::EvidencePolicy& evidence_;
  store::ApprovalStore& approvals_;
  const Clock& clock_;
  EngineOptions options_;
  DecisionMetrics metrics_;
};

// A new identifier: a UUIDv7 (time-ordered, 74 random bits), e.g. for decision ids.
// `unavailable` when the system's random generator fails: an id without its random bits would
// be the same as every other made in that millisecond, so none is made.
Result<std::string> NewUuidV7(const Clock& clock);

}  // namespace writ::authz
