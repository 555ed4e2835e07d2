// LedgerEventSink: every identity event (identity/events.h) becomes a typed ledger record, so
// that the ledger alone can answer which credentials a task held, who delegated to whom, and
// which tokens were refused.
//
// Mapping (documented in docs/api.md, "Evidence"):
//   token_issued       credential_issue  credential_type task_token, the task and the decision
//                                        that allowed `task/start`
//   credential_issued  credential_issue  credential_type jit, bound to its decision
//   token_exchanged    delegation        delegator, delegate, parent and child token ids, actor
//                                        chain (agent names, outermost first), scopes, depth,
//                                        and the decision that allowed `delegate`
//   credential_used    credential_use    credential_type jit
//   secret_released    credential_use    credential_type secret, credential_id the secret name
//   revocation         credential_revoke credential_type revocation, credential_id
//                                        "revocation:<id>", revoked_via "<target>:<value>"
//   token_revoked      credential_revoke the token's type, revoked_via the cause
//   key_rotated        key_rotation      key_use token_signing
//   refused            decision          verdict deny, action Action::"identity/<what>", the
//                                        refusal code and message as the reason, the event as
//                                        the upstream context
// Principals are Cedar uids (Agent::"<name>") when the SPIFFE ID is an agent of this trust
// domain, so that the ledger's principal index finds an agent's records of every kind. Events
// whose decision is known only to the caller of the identity part (a task token issued after
// `task/start`, a delegation after `delegate`) get it through ExpectDecision, keyed by the task
// id or the child token id, set before the identity call and consumed by the event.
//
// Durability: issuing, use, revocation and rotation events are appended and waited for (the
// identity part fails closed when Record fails), so they must not be recorded on a thread that
// must not block. Refusals are appended without waiting: a refusal stays a refusal whatever the
// ledger answers, and the bearer check that refuses runs on the server's workers.
//
// Thread-safety: Record, ExpectDecision and ForgetDecision may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "identity/events.h"
#include "ledger/evidence.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

namespace writ::service {

// Agent::"<name>" for an agent SPIFFE ID of `trust_domain`; "" otherwise.
std::string AgentPrincipal(std::string_view spiffe_id, std::string_view trust_domain);

struct EventMapping {
  std::string trust_domain;
  std::string node;         // the ledger origin, recorded on refusal decisions
  std::string decision_id;  // the decision the event follows ("" when none)
};

// The ledger entry an event becomes (the table above), with the evidence policy applied.
// `clock` draws the decision id of a refusal.
Result<ledger::LedgerEntry> IdentityEventEntry(const identity::IdentityEvent& event,
                                               const EventMapping& mapping,
                                               const ledger::EvidencePolicy& evidence,
                                               const Clock& clock);

struct EventSinkStats {
  uint64_t recorded = 0;  // entries handed to the ledger
  uint64_t failures = 0;  // entries the ledger refused or could not make durable
};

class LedgerEventSink final : public identity::EventSink {
 public:
  // Every reference must outlive the sink.
  LedgerEventSink(ledger::Ledger& ledger, const ledger::EvidencePolicy& evidence,
                  const Clock& clock, std::string trust_domain);

  Status Record(const identity::IdentityEvent& event) override;

  // The next event about task `task_id`'s task token, or about token `token_id` (a delegated
  // token), follows `decision_id`.
  void ExpectDecision(const std::string& key, const std::string& decision_id);
  void ForgetDecision(const std::string& key);
  static std::string TaskKey(std::string_view task_id) { return "task:" + std::string(task_id); }
  static std::string TokenKey(std::string_view token_id) {
    return "token:" + std::string(token_id);
  }

  EventSinkStats Stats() const;
  // Called with every event before it is recorded (e.g. to count refusals). Set before use.
  void SetObserver(std::function<void(const identity::IdentityEvent&)> observer) {
    observer_ = std::move(observer);
  }

 private:
  std::string TakeDecision(const identity::IdentityEvent& event);

  ledger::Ledger& ledger_;
  const ledger::EvidencePolicy& evidence_;
  const Clock& clock_;
  std::string trust_domain_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> expected_;  // key -> decision id
  std::atomic<uint64_t> recorded_{0};
  std::atomic<uint64_t> failures_{0};
  std::function<void(const identity::IdentityEvent&)> observer_;
};

}  // namespace writ::service
