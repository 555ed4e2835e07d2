#include "service/ledger_event_sink.h"

#include <boost/json.hpp>

#include "authz/decision.h"
#include "identity/spiffe_id.h"
#include "ledger/records.h"

namespace writ::service {
namespace {

namespace json = boost::json;
using identity::EventType;
using identity::IdentityEvent;

std::string DetailString(const IdentityEvent& e, const char* key) {
  const json::value* v = e.detail.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t DetailInt(const IdentityEvent& e, const char* key) {
  const json::value* v = e.detail.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}

std::vector<std::string> DetailStrings(const IdentityEvent& e, const char* key) {
  std::vector<std::string> out;
  const json::value* v = e.detail.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& x : v->get_array()) {
    if (x.is_string()) out.emplace_back(x.get_string());
  }
  return out;
}

std::vector<std::string> SplitScopes(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sp = text.find(' ', pos);
    if (sp == std::string::npos) sp = text.size();
    if (sp > pos) out.push_back(text.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

// task -> task_token, delegated -> delegated_token, credential -> jit.
std::string CredentialType(const std::string& token_kind) {
  if (token_kind == "task") return "task_token";
  if (token_kind == "delegated") return "delegated_token";
  if (token_kind == "credential") return "jit";
  return token_kind;
}

// The name of an agent, or the SPIFFE ID itself when it is not an agent of this domain.
std::string AgentName(const std::string& spiffe_id, const std::string& trust_domain) {
  auto name = identity::AgentNameFromSpiffeId(spiffe_id, trust_domain);
  return name.ok() ? *name : spiffe_id;
}

bool IsTraceId(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return s != std::string(32, '0');
}

Result<ledger::LedgerEntry> RefusalEntry(const IdentityEvent& e, const EventMapping& m,
                                         const ledger::EvidencePolicy& evidence,
                                         const Clock& clock) {
  ledger::DecisionRecord rec;
  WRIT_ASSIGN_OR_RETURN(rec.decision_id, authz::NewUuidV7(clock));
  rec.task_id = e.task_id;
  rec.upstream = identity::EventBody(e);
  std::string what = DetailString(e, "what");
  rec.request.action = "Action::\"identity/" + (what.empty() ? "token" : what) + "\"";
  if (!e.token_id.empty()) {
    rec.request.resource = "Token::\"" + e.token_id + "\"";
  } else if (std::string digest = DetailString(e, "token_sha256"); !digest.empty()) {
    rec.request.resource = "Token::\"sha256:" + digest + "\"";
  } else if (std::string secret = DetailString(e, "secret"); !secret.empty()) {
    rec.request.resource = "Secret::\"" + secret + "\"";
  }
  rec.identity.principal = AgentPrincipal(e.agent, m.trust_domain);
  if (!e.user.empty()) rec.identity.user = "User::\"" + e.user + "\"";
  rec.identity.token_id = e.token_id;
  if (e.agent.starts_with("spiffe://")) rec.identity.spiffe_id = e.agent;
  for (const std::string& actor : DetailStrings(e, "actors")) {
    rec.identity.actor_chain.insert(rec.identity.actor_chain.begin(),
                                    AgentName(actor, m.trust_domain));
  }
  rec.verdict = ledger::Verdict::kDeny;
  rec.reason = e.error.empty()
                   ? e.message
                   : (e.message.starts_with(e.error) ? e.message : e.error + ": " + e.message);
  std::string txn = DetailString(e, "txn");
  if (IsTraceId(txn)) rec.trace_id = txn;
  rec.node = m.node;
  return evidence.DecisionEntry(std::move(rec));
}

}  // namespace

std::string AgentPrincipal(std::string_view spiffe_id, std::string_view trust_domain) {
  auto name = identity::AgentNameFromSpiffeId(spiffe_id, trust_domain);
  return name.ok() ? "Agent::\"" + *name + "\"" : std::string();
}

Result<ledger::LedgerEntry> IdentityEventEntry(const IdentityEvent& e, const EventMapping& m,
                                               const ledger::EvidencePolicy& evidence,
                                               const Clock& clock) {
  switch (e.type) {
    case EventType::kRefused:
      return RefusalEntry(e, m, evidence, clock);
    case EventType::kTokenIssued:
    case EventType::kCredentialIssued:
    case EventType::kCredentialUsed: {
      ledger::CredentialRecord r;
      r.credential_id = e.token_id;
      r.credential_type = CredentialType(DetailString(e, "kind"));
      r.task_id = e.task_id;
      r.decision_id = !e.decision_id.empty() ? e.decision_id : m.decision_id;
      r.principal = AgentPrincipal(e.agent, m.trust_domain);
      r.audience = DetailString(e, "audience");
      r.expires_at = DetailString(e, "expires");
      r.scopes = SplitScopes(DetailString(e, "scope"));
      ledger::RecordKind kind = e.type == EventType::kCredentialUsed
                                    ? ledger::RecordKind::kCredentialUse
                                    : ledger::RecordKind::kCredentialIssue;
      return evidence.Entry(kind, r.ToJson());
    }
    case EventType::kSecretReleased: {
      ledger::CredentialRecord r;
      r.credential_id = DetailString(e, "secret");
      r.credential_type = "secret";
      r.task_id = e.task_id;
      r.decision_id = e.decision_id;
      r.principal = AgentPrincipal(e.agent, m.trust_domain);
      r.audience = DetailString(e, "audience");
      return evidence.Entry(ledger::RecordKind::kCredentialUse, r.ToJson());
    }
    case EventType::kTokenExchanged: {
      ledger::DelegationRecord r;
      r.task_id = e.task_id;
      r.decision_id = !e.decision_id.empty() ? e.decision_id : m.decision_id;
      // `actors` in the token: prior actors, nearest first; the nearest is the delegator.
      std::vector<std::string> actors = DetailStrings(e, "actors");
      if (!actors.empty()) r.principal = AgentPrincipal(actors.front(), m.trust_domain);
      r.delegate = AgentPrincipal(e.agent, m.trust_domain);
      r.parent_token_id = e.parent_token_id;
      r.child_token_id = e.token_id;
      for (auto it = actors.rbegin(); it != actors.rend(); ++it) {
        r.actor_chain.push_back(AgentName(*it, m.trust_domain));
      }
      r.scopes = SplitScopes(DetailString(e, "scope"));
      r.depth = DetailInt(e, "depth");
      r.expires_at = DetailString(e, "expires");
      std::string txn = DetailString(e, "txn");
      if (IsTraceId(txn)) r.trace_id = txn;
      return evidence.Entry(ledger::RecordKind::kDelegation, r.ToJson());
    }
    case EventType::kRevocation: {
      ledger::CredentialRecord r;
      r.credential_id = "revocation:" + std::to_string(DetailInt(e, "revocation_id"));
      r.credential_type = "revocation";
      r.task_id = e.task_id;
      r.principal = AgentPrincipal(e.agent, m.trust_domain);
      r.reason = e.message;
      r.revoked_via = DetailString(e, "target") + ":" + DetailString(e, "value");
      return evidence.Entry(ledger::RecordKind::kCredentialRevoke, r.ToJson());
    }
    case EventType::kTokenRevoked: {
      ledger::CredentialRecord r;
      r.credential_id = e.token_id;
      r.credential_type = CredentialType(DetailString(e, "kind"));
      r.task_id = e.task_id;
      r.decision_id = e.decision_id;
      r.principal = AgentPrincipal(e.agent, m.trust_domain);
      r.reason = e.message;
      r.revoked_via = DetailString(e, "cause");
      return evidence.Entry(ledger::RecordKind::kCredentialRevoke, r.ToJson());
    }
    case EventType::kKeyRotated: {
      ledger::KeyRotationRecord r;
      r.key_use = "token_signing";
      std::vector<std::string> retired = DetailStrings(e, "retired");
      if (!retired.empty()) r.old_key_id = retired.back();
      r.new_key_id = DetailString(e, "kid");
      r.reason = retired.empty() ? "first signing key" : "rotation";
      return evidence.Entry(ledger::RecordKind::kKeyRotation, r.ToJson());
    }
  }
  return InvalidArgument("events: unknown event type");
}

LedgerEventSink::LedgerEventSink(ledger::Ledger& ledger, const ledger::EvidencePolicy& evidence,
                                 const Clock& clock, std::string trust_domain)
    : ledger_(ledger), evidence_(evidence), clock_(clock), trust_domain_(std::move(trust_domain)) {}

void LedgerEventSink::ExpectDecision(const std::string& key, const std::string& decision_id) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_[key] = decision_id;
}

void LedgerEventSink::ForgetDecision(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  expected_.erase(key);
}

std::string LedgerEventSink::TakeDecision(const IdentityEvent& e) {
  std::string key;
  if (e.type == EventType::kTokenIssued) {
    key = TaskKey(e.task_id);
  } else if (e.type == EventType::kTokenExchanged) {
    key = TokenKey(e.token_id);
  } else {
    return {};
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = expected_.find(key);
  if (it == expected_.end()) return {};
  std::string id = std::move(it->second);
  expected_.erase(it);
  return id;
}

Status LedgerEventSink::Record(const IdentityEvent& event) {
  if (observer_) observer_(event);
  EventMapping m{trust_domain_, ledger_.origin(), TakeDecision(event)};
  Result<ledger::LedgerEntry> entry = IdentityEventEntry(event, m, evidence_, clock_);
  if (!entry.ok()) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    return entry.status();
  }
  if (event.type == EventType::kRefused) {
    Status queued =
        ledger_.AppendAsync(std::move(entry).value(), [this](Result<ledger::AppendReceipt> r) {
          if (!r.ok()) failures_.fetch_add(1);
        });
    if (!queued.ok()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      return queued;
    }
    recorded_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }
  Result<ledger::AppendReceipt> receipt = ledger_.Append(std::move(entry).value());
  if (!receipt.ok()) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    return receipt.status();
  }
  recorded_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

EventSinkStats LedgerEventSink::Stats() const {
  return EventSinkStats{recorded_.load(), failures_.load()};
}

}  // namespace writ::service
