#include "identity/spiffe_id.h"

#include "identity/errors.h"

namespace writ::identity {
namespace {

bool TrustDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}
bool PathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

Status Bad(std::string_view why) {
  return IdentityFailure(IdentityError::kSpiffeIdInvalid, why);
}

Status ValidateSegment(std::string_view seg) {
  if (seg.empty()) return Bad("empty path segment");
  if (seg == "." || seg == "..") return Bad("path segment \".\" or \"..\"");
  for (char c : seg) {
    if (!PathChar(c)) return Bad("path character outside [A-Za-z0-9.-_]");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateTrustDomain(std::string_view td) {
  if (td.empty()) return Bad("empty trust domain");
  if (td.size() > kMaxTrustDomainBytes) return Bad("trust domain longer than 255 characters");
  for (char c : td) {
    if (!TrustDomainChar(c)) return Bad("trust domain character outside [a-z0-9.-_]");
  }
  return Status::Ok();
}

Result<SpiffeId> ParseSpiffeId(std::string_view text) {
  if (text.size() > kMaxSpiffeIdBytes) return Bad("longer than 2048 bytes");
  constexpr std::string_view kScheme = "spiffe://";
  if (text.substr(0, kScheme.size()) != kScheme) return Bad("scheme is not spiffe://");
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view td = rest.substr(0, slash);
  WRIT_RETURN_IF_ERROR(ValidateTrustDomain(td));
  SpiffeId id;
  id.trust_domain = std::string(td);
  if (slash == std::string_view::npos) return id;
  std::string_view path = rest.substr(slash);
  if (path.back() == '/') return Bad("trailing slash");
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    WRIT_RETURN_IF_ERROR(ValidateSegment(path.substr(pos, next - pos)));
    pos = next + 1;
  }
  id.path = std::string(path);
  return id;
}

Status ValidateAgentName(std::string_view name) {
  if (name.size() > kMaxAgentNameBytes) return Bad("agent name longer than 128 characters");
  return ValidateSegment(name);
}

Result<std::string> AgentSpiffeId(std::string_view trust_domain, std::string_view name) {
  WRIT_RETURN_IF_ERROR(ValidateTrustDomain(trust_domain));
  WRIT_RETURN_IF_ERROR(ValidateAgentName(name));
  return "spiffe://" + std::string(trust_domain) + "/agent/" + std::string(name);
}

Result<std::string> AgentNameFromSpiffeId(std::string_view text, std::string_view trust_domain) {
  WRIT_ASSIGN_OR_RETURN(SpiffeId id, ParseSpiffeId(text));
  if (id.trust_domain != trust_domain) return Bad("another trust domain");
  constexpr std::string_view kPrefix = "/agent/";
  std::string_view path = id.path;
  if (path.substr(0, kPrefix.size()) != kPrefix) return Bad("not an agent ID (/agent/<name>)");
  std::string_view name = path.substr(kPrefix.size());
  WRIT_RETURN_IF_ERROR(ValidateAgentName(name));
  return std::string(name);
}

}  // namespace writ::identity
