// SPIFFE IDs (the SPIFFE-ID specification, §2): spiffe://<trust domain><path>.
//
// Trust domain: 1-255 characters of [a-z0-9.-_] (lowercase only; no port, no user info).
// Path: zero or more segments "/<segment>", each non-empty, of [A-Za-z0-9.-_], never "." or
// "..", no trailing slash. No query, no fragment. The whole ID is at most 2048 bytes.
// Writ names an agent spiffe://<trust domain>/agent/<name>, the name being one path segment of
// at most 128 characters.
//
// Errors are IdentityFailure(kSpiffeIdInvalid) (errors.h). All functions are pure.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace writ::identity {

inline constexpr size_t kMaxSpiffeIdBytes = 2048;
inline constexpr size_t kMaxTrustDomainBytes = 255;
inline constexpr size_t kMaxAgentNameBytes = 128;

struct SpiffeId {
  std::string trust_domain;
  std::string path;  // "" or "/seg/seg"
  std::string ToString() const { return "spiffe://" + trust_domain + path; }
};

Result<SpiffeId> ParseSpiffeId(std::string_view text);
Status ValidateTrustDomain(std::string_view trust_domain);
// An agent name: one path segment of 1-128 characters of [A-Za-z0-9.-_], not "." or "..".
Status ValidateAgentName(std::string_view name);

// spiffe://<trust_domain>/agent/<name>.
Result<std::string> AgentSpiffeId(std::string_view trust_domain, std::string_view name);
// The agent name of an agent SPIFFE ID of `trust_domain`.
Result<std::string> AgentNameFromSpiffeId(std::string_view id, std::string_view trust_domain);

}  // namespace writ::identity
