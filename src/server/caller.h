// Who is calling (Caller) and who may call a route (Access).
//
// People and tools authenticate with API keys that carry a Role; roles are ordered, each
// including the ones below it: admin ⊇ approver ⊇ viewer. Agents authenticate with bearer
// tokens that Writ issued; the server checks them through a pluggable verifier
// (authenticator.h) and knows them as CallerKind::kAgent.
//
// Thread-safety: values; distinct objects may be used from any thread.
#pragma once

#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace writ::server {

enum class Role : uint8_t { kViewer = 1, kApprover = 2, kAdmin = 3 };

// "viewer", "approver", "admin".
std::string_view RoleName(Role role);
// The role named `name` (exactly as RoleName spells it), or std::nullopt.
std::optional<Role> ParseRole(std::string_view name);
// True when `held` includes `required` (admin includes approver includes viewer).
inline bool RoleIncludes(Role held, Role required) {
  return static_cast<uint8_t>(held) >= static_cast<uint8_t>(required);
}

enum class CallerKind : uint8_t {
  kAnonymous,  // a public route; no credential was checked
  kApiKey,     // a person or tool with an API key
  kAgent,      // an agent with a bearer token accepted by the bearer verifier
};

struct Caller {
  CallerKind kind = CallerKind::kAnonymous;
  // kApiKey: the key's public id. kAgent: the subject the verifier named (e.g. a SPIFFE ID).
  std::string id;
  // kApiKey: the key's name. kAgent: whatever the verifier chose to show (e.g. the token id).
  std::string name;
  Role role = Role::kViewer;  // kApiKey only
  // kAgent: what the bearer verifier attached (e.g. the verified token's claims), for the
  // handlers that know its type (std::any_cast). Empty otherwise.
  std::any credential;
};

// Who may call a route. A route is public, or requires a credential: an API key whose role
// includes `min_role`, an agent's bearer token, or either.
struct Access {
  bool is_public = false;
  std::optional<Role> min_role;  // API keys with at least this role are accepted
  bool agents = false;           // agents' bearer tokens are accepted

  static Access Public() { return Access{true, std::nullopt, false}; }
  static Access AtLeast(Role role) { return Access{false, role, false}; }
  static Access Agents() { return Access{false, std::nullopt, true}; }
  static Access AgentsOr(Role role) { return Access{false, role, true}; }
};

}  // namespace writ::server
