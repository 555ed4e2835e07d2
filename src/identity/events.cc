#include "identity/events.h"

#include "base/clock.h"

namespace writ::identity {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kTokenIssued:
      return "token_issued";
    case EventType::kTokenExchanged:
      return "token_exchanged";
    case EventType::kCredentialIssued:
      return "credential_issued";
    case EventType::kCredentialUsed:
      return "credential_used";
    case EventType::kSecretReleased:
      return "secret_released";
    case EventType::kRevocation:
      return "revocation";
    case EventType::kTokenRevoked:
      return "token_revoked";
    case EventType::kKeyRotated:
      return "key_rotated";
    case EventType::kRefused:
      return "refused";
  }
  return "unknown";
}

std::string_view LedgerRecordKindName(EventType type) {
  switch (type) {
    case EventType::kTokenIssued:
    case EventType::kCredentialIssued:
      return "credential_issue";
    case EventType::kTokenExchanged:
      return "delegation";
    case EventType::kCredentialUsed:
    case EventType::kSecretReleased:
      return "credential_use";
    case EventType::kRevocation:
    case EventType::kTokenRevoked:
      return "credential_revoke";
    case EventType::kKeyRotated:
      return "key_rotation";
    case EventType::kRefused:
      return "decision";
  }
  return "decision";
}

boost::json::object EventBody(const IdentityEvent& e) {
  boost::json::object o;
  o["event"] = EventTypeName(e.type);
  o["time"] = FormatRfc3339Micros(e.time_us);
  auto put = [&](const char* name, const std::string& v) {
    if (!v.empty()) o[name] = v;
  };
  put("token_id", e.token_id);
  put("parent_token_id", e.parent_token_id);
  put("task_id", e.task_id);
  put("agent", e.agent);
  put("user", e.user);
  put("decision_id", e.decision_id);
  put("error", e.error);
  put("message", e.message);
  if (e.type == EventType::kRefused) o["verdict"] = "deny";
  if (!e.detail.empty()) o["detail"] = e.detail;
  return o;
}

Status CollectingEventSink::Record(const IdentityEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(event);
  return Status::Ok();
}

std::vector<IdentityEvent> CollectingEventSink::Events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

void CollectingEventSink::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  events_.clear();
}

}  // namespace writ::identity
