#include "server/caller.h"

namespace writ::server {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kApprover:
      return "approver";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "approver") return Role::kApprover;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

}  // namespace writ::server
