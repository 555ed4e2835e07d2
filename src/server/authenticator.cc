#include "server/authenticator.h"

namespace writ::server {
namespace {

ApiError Unauthorized(std::string code, std::string message) {
  return ApiError{401, std::move(code), std::move(message)};
}

// The snake_case word before ": " at the start of `message`, or empty.
std::string_view LeadingCode(std::string_view message) {
  size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 64) return {};
  std::string_view word = message.substr(0, colon);
  for (char c : word) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return {};
  }
  // Context prefixes ("store: ...") are single words; codes have at least one '_'.
  return word.find('_') == std::string_view::npos ? std::string_view() : word;
}

}  // namespace

ApiResult<Caller> Authenticator::Authenticate(std::string_view authorization,
                                              const Access& access) const {
  if (access.is_public) return Caller{};
  if (authorization.empty()) {
    return Unauthorized("unauthenticated",
                        "this endpoint needs `Authorization: Bearer <credential>`");
  }
  // RFC 9110 §11.4: the scheme is case-insensitive, then one or more spaces.
  constexpr std::string_view kScheme = "bearer";
  bool scheme_ok = authorization.size() > kScheme.size() + 1;
  for (size_t i = 0; scheme_ok && i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    scheme_ok = c == kScheme[i];
  }
  if (!scheme_ok || authorization[kScheme.size()] != ' ') {
    return Unauthorized("invalid_authorization",
                        "the Authorization field must be `Bearer <credential>`");
  }
  std::string_view credential = authorization.substr(kScheme.size());
  while (!credential.empty() && credential.front() == ' ') credential.remove_prefix(1);
  while (!credential.empty() && (credential.back() == ' ' || credential.back() == '\t')) {
    credential.remove_suffix(1);
  }
  if (credential.empty()) {
    return Unauthorized("invalid_authorization",
                        "the Authorization field must be `Bearer <credential>`");
  }

  if (credential.substr(0, kApiKeyPrefix.size()) == kApiKeyPrefix) {
    if (!access.min_role) {
      return Unauthorized("bearer_token_required", "this endpoint is for agents' bearer tokens");
    }
    if (api_keys_ == nullptr) return Unauthorized("invalid_api_key", "the API key is not valid");
    ApiResult<Caller> caller = api_keys_->Authenticate(credential);
    if (!caller.ok()) return caller;
    if (!RoleIncludes(caller->role, *access.min_role)) {
      return ApiError{403, "insufficient_role",
                      "this endpoint needs the " + std::string(RoleName(*access.min_role)) +
                          " role; the key has " + std::string(RoleName(caller->role))};
    }
    return caller;
  }

  if (!access.agents) {
    return Unauthorized("api_key_required", "this endpoint needs an API key");
  }
  if (!verifier_) {
    return Unauthorized("bearer_tokens_unsupported",
                        "this server does not accept agents' bearer tokens");
  }
  Result<Caller> verified = verifier_(credential);
  if (!verified.ok()) {
    const Status& s = verified.status();
    if (s.code() == StatusCode::kUnavailable) {
      return ApiError{503, "unavailable", "the credential cannot be checked now; retry later"};
    }
    std::string_view code = LeadingCode(s.message());
    return Unauthorized(code.empty() ? "invalid_token" : std::string(code), s.message());
  }
  Caller caller = std::move(verified).value();
  caller.kind = CallerKind::kAgent;
  return caller;
}

}  // namespace writ::server
