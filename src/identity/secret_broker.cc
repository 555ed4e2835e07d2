#include "identity/secret_broker.h"

#include <openssl/crypto.h>

#include "identity/errors.h"
#include "identity/jws_policy.h"

namespace writ::identity {
namespace {

std::string SealContext(std::string_view name) {
  return "brokered-secret:" + std::string(name);
}

}  // namespace

SecretValue::~SecretValue() {
  OPENSSL_cleanse(value_.data(), value_.size());
}

SecretBroker::SecretBroker(store::IdentityStore& store, const MasterKey& master_key,
                           EventSink& events, const Clock& clock)
    : store_(store), master_key_(master_key), events_(events), clock_(clock) {}

Status SecretBroker::Put(std::string_view name, std::string_view value, std::string_view audience,
                         std::string_view description) {
  if (!ValidateKeyId(name).ok()) {
    return InvalidArgument("secrets: a name is 1-128 characters of [A-Za-z0-9._-]");
  }
  if (value.empty() || value.size() > 65536) {
    return InvalidArgument("secrets: the value is empty or larger than 64 KiB");
  }
  if (audience.size() > 2048 || description.size() > 1024) {
    return InvalidArgument("secrets: audience or description too long");
  }
  WRIT_ASSIGN_OR_RETURN(std::string sealed, master_key_.Seal(value, SealContext(name)));
  int64_t now = clock_.NowMicros();
  store::StoredSecret row;
  row.name = std::string(name);
  row.sealed_value = std::move(sealed);
  row.audience = std::string(audience);
  row.description = std::string(description);
  row.created_us = now;
  row.updated_us = now;
  return store_.PutSecret(row);
}

Result<std::vector<store::StoredSecret>> SecretBroker::List() {
  return store_.ListSecrets();
}

Status SecretBroker::Refuse(IdentityEvent& ev, std::string why) {
  Status s = IdentityFailure(IdentityError::kSecretReleaseDenied, why);
  ev.type = EventType::kRefused;
  ev.error = std::string(IdentityErrorName(IdentityError::kSecretReleaseDenied));
  ev.message = s.message();
  ev.detail["what"] = "secret_release";
  (void)events_.Record(ev);
  return s;
}

Result<SecretValue> SecretBroker::OpenAndRecord(std::string_view name, std::string_view audience,
                                                IdentityEvent& ev) {
  WRIT_ASSIGN_OR_RETURN(auto stored, store_.GetSecret(std::string(name)));
  if (!stored) return NotFound("secrets: no secret named `" + std::string(name) + "`");
  if (!stored->audience.empty() && stored->audience != audience) {
    return Refuse(ev, "the secret is not for this audience");
  }
  WRIT_ASSIGN_OR_RETURN(std::string value,
                        master_key_.Open(stored->sealed_value, SealContext(name)));
  SecretValue secret(std::move(value));
  ev.type = EventType::kSecretReleased;
  Status recorded = events_.Record(ev);
  if (!recorded.ok()) {
    return Unavailable("secrets: the release could not be recorded, so it is refused: " +
                       recorded.message());
  }
  return secret;
}

Result<SecretValue> SecretBroker::Release(std::string_view name, const SecretRelease& r) {
  IdentityEvent ev;
  ev.time_us = clock_.NowMicros();
  ev.decision_id = r.decision_id;
  ev.agent = r.agent;
  ev.task_id = r.task_id;
  ev.detail["secret"] = std::string(name);
  ev.detail["audience"] = r.audience;
  if (r.verdict != "allow") return Refuse(ev, "the decision did not allow the call");
  if (r.decision_id.empty()) return Refuse(ev, "no decision id");
  return OpenAndRecord(name, r.audience, ev);
}

Result<SecretValue> SecretBroker::ReleaseToProcess(std::string_view name,
                                                   std::string_view audience) {
  IdentityEvent ev;
  ev.time_us = clock_.NowMicros();
  ev.detail["secret"] = std::string(name);
  ev.detail["audience"] = std::string(audience);
  ev.detail["what"] = "process_environment";
  return OpenAndRecord(name, audience, ev);
}

}  // namespace writ::identity
