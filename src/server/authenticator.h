// Authenticator: decides who a request comes from and whether that caller may use a route.
//
// Credentials come in `Authorization: Bearer <credential>` (RFC 6750). A credential that
// starts with "wk_" is an API key (api_keys.h); anything else is an agent's bearer token,
// checked by the BearerVerifier the product installs (identity is wired in there). Answers:
//   401 unauthenticated            no credential on a route that needs one
//   401 invalid_authorization      an Authorization field that is not "Bearer <credential>"
//   401 invalid_api_key / api_key_revoked
//   401 api_key_required           a bearer token on a route only API keys may use
//   401 bearer_token_required      an API key on a route only agents may use
//   401 <verifier's code>          a token the verifier refused (default code invalid_token)
//   403 insufficient_role          an API key whose role does not include the route's
// 401 answers carry `WWW-Authenticate: Bearer realm="writ"`. No answer repeats the credential.
//
// Thread-safety: Authenticate may be called from any number of threads once configured.
#pragma once

#include <functional>
#include <string_view>

#include "base/status.h"
#include "server/api_error.h"
#include "server/api_keys.h"
#include "server/caller.h"

namespace writ::server {

// Checks an agent's bearer token and returns the agent as a Caller (kind kAgent). A refusal is
// a Status whose message starts with the machine code ("token_expired: ..."), the convention of
// identity/errors.h (a snake_case word with at least one '_'); the answer is 401 with that code
// (invalid_token when the message has none), or 503 when the Status is unavailable (e.g. a JWKS
// could not be fetched). Called on a server thread: it must be quick and must not block on the
// network.
using BearerVerifier = std::function<Result<Caller>(std::string_view token)>;

class Authenticator {
 public:
  // `api_keys` may be null (no API key is accepted); it must outlive the Authenticator.
  explicit Authenticator(ApiKeyAuthenticator* api_keys) : api_keys_(api_keys) {}

  // Installs the verifier of agents' tokens (before the server starts). Without one, routes
  // open to agents answer bearer tokens 401 bearer_tokens_unsupported.
  void SetBearerVerifier(BearerVerifier verifier) { verifier_ = std::move(verifier); }

  // The caller when `authorization` (the header value, empty when absent) satisfies `access`.
  ApiResult<Caller> Authenticate(std::string_view authorization, const Access& access) const;

 private:
  ApiKeyAuthenticator* api_keys_;
  BearerVerifier verifier_;
};

}  // namespace writ::server
