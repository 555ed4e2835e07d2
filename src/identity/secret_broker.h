// SecretBroker: secrets that agents never hold (API keys, passwords for upstream services).
// Writ keeps them sealed under the master key and releases one only into a decision that
// allowed the call, for injection into that one upstream call (the MCP gateway does this).
//
// Release rules: the verdict must be "allow", the decision id non-empty, and when the secret
// names an audience, the call's audience must be that one. Every release is reported as a
// kSecretReleased event (by secret name and decision id; never the value) and every refused
// release as kRefused with secret_release_denied. Listings never include a value.
//
// Thread-safety: every method may be called from any number of threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "identity/events.h"
#include "identity/master_key.h"
#include "store/identity_store.h"

namespace writ::identity {

// A released secret. Its bytes are wiped when it is destroyed; it cannot be copied.
class SecretValue {
 public:
  explicit SecretValue(std::string value) : value_(std::move(value)) {}
  SecretValue(SecretValue&& other) noexcept : value_(std::move(other.value_)) {
    other.value_.clear();
  }
  SecretValue& operator=(SecretValue&&) = delete;
  SecretValue(const SecretValue&) = delete;
  SecretValue& operator=(const SecretValue&) = delete;
  ~SecretValue();
  // For injection into the upstream call only.
  std::string_view Reveal() const { return value_; }

 private:
  std::string value_;
};

struct SecretRelease {
  std::string decision_id;
  std::string verdict;   // must be "allow"
  std::string audience;  // the upstream the call goes to
  std::string agent;     // SPIFFE ID of the principal, for the record
  std::string task_id;
};

class SecretBroker {
 public:
  SecretBroker(store::IdentityStore& store, const MasterKey& master_key, EventSink& events,
               const Clock& clock);

  // Stores (or replaces) a secret. invalid_argument for a bad name (1-128 of [A-Za-z0-9._-])
  // or an empty value.
  Status Put(std::string_view name, std::string_view value, std::string_view audience,
             std::string_view description);
  // Names, audiences and descriptions; never values.
  Result<std::vector<store::StoredSecret>> List();
  // not_found for an unknown name; secret_release_denied when the rules above are not met.
  Result<SecretValue> Release(std::string_view name, const SecretRelease& release);
  // Releases a secret into the environment of an upstream process that Writ starts (a stdio
  // MCP server), for that process's life. No decision is involved: when the secret names an
  // audience it must be `audience` (the upstream's name). Reported as kSecretReleased with
  // detail "what" = "process_environment" (never the value); refused as Release is.
  Result<SecretValue> ReleaseToProcess(std::string_view name, std::string_view audience);

 private:
  // The stored secret opened, when it may go to `audience`; the release recorded in `ev`.
  Result<SecretValue> OpenAndRecord(std::string_view name, std::string_view audience,
                                    IdentityEvent& ev);
  Status Refuse(IdentityEvent& ev, std::string why);

  store::IdentityStore& store_;
  const MasterKey& master_key_;
  EventSink& events_;
  const Clock& clock_;
};

}  // namespace writ::identity
