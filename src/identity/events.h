// What the identity part reports: every issue, exchange, use and revocation of a token or
// credential, every key rotation, every secret release, and every refusal of a token,
// assertion, exchange or credential.
//
// The identity library does not depend on the ledger (DESIGN.md §3: the ledger and identity are
// siblings under authz). It hands typed events to an EventSink; whoever wires Writ together
// turns them into ledger records (LedgerRecordKindName and EventBody give the record's kind and
// body), so that every event becomes evidence.
//
// No event carries a secret: tokens appear by id and by SHA-256 digest, never in full; brokered
// secrets by name; client secrets and private keys never.
//
// Sink contract: Record() returns ok once the event is kept (durably, for a ledger-backed
// sink). Issuing calls (a token, a credential, a released secret) fail closed: when the sink
// cannot record, the caller gets `unavailable` and nothing is handed out. Refusals stay refused
// whatever the sink answers. A sink may be called from several threads at once.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace writ::identity {

enum class EventType : uint8_t {
  kTokenIssued,       // a task token
  kTokenExchanged,    // a delegated token (RFC 8693 exchange)
  kCredentialIssued,  // a just-in-time credential
  kCredentialUsed,    // a single-use credential consumed
  kSecretReleased,    // a brokered secret released into an allowed decision
  kRevocation,        // a revocation order (token, task, agent or user)
  kTokenRevoked,      // one token or credential made inactive by a revocation (cascade)
  kKeyRotated,        // a new signing key; the previous ones verify until their window ends
  kRefused,           // a token, assertion, exchange, credential or release refused
};

// "token_issued", "token_exchanged", ..., "refused".
std::string_view EventTypeName(EventType type);
// The ledger record kind an event becomes: credential_issue, delegation, credential_use,
// credential_revoke, key_rotation, or decision (a refusal is a denial).
std::string_view LedgerRecordKindName(EventType type);

struct IdentityEvent {
  EventType type = EventType::kRefused;
  int64_t time_us = 0;
  std::string token_id;         // jti of the token concerned
  std::string parent_token_id;  // for delegations and credentials
  std::string task_id;
  std::string agent;  // the SPIFFE ID of the token's subject (or of the client)
  std::string user;   // the subject of the user it acts for
  std::string decision_id;
  std::string error;           // refusals: the code (errors.h)
  std::string message;         // refusals and revocations: the human reason
  boost::json::object detail;  // event-specific fields (scopes, depth, kid, actor chain, ...)
};

// The record body: {"event": <type>, "time": RFC 3339, the non-empty fields above, and
// "detail"}. For a refusal, "verdict": "deny".
boost::json::object EventBody(const IdentityEvent& event);

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Status Record(const IdentityEvent& event) = 0;
};

// Keeps events in memory (for the command line's --json output and for tests).
class CollectingEventSink final : public EventSink {
 public:
  Status Record(const IdentityEvent& event) override;
  std::vector<IdentityEvent> Events() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  std::vector<IdentityEvent> events_;
};

}  // namespace writ::identity
